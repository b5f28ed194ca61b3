;; One suspension in the middle of a function.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $x i32) (result i32)
    (call $log (i32.const 1))
    (call $sleep)
    (call $log (i32.const 2))
    (i32.mul (local.get $x) (i32.const 3))))
