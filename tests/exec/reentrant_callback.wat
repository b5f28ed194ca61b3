;; An import (`env.call_double`) calls back into the export `double` while
;; nothing is suspended; the nested call logs and even sleeps (the host never
;; suspends inside a callback).
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "call_double" (func $call_double (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "double") (param $x i32) (result i32)
    (call $log (local.get $x))
    (call $sleep)
    (i32.mul (local.get $x) (i32.const 2)))
  (func (export "main") (param $x i32) (result i32)
    (call $sleep)
    (local.set $x (call $call_double (local.get $x)))
    (call $sleep)
    (i32.add (local.get $x) (i32.const 1))))
