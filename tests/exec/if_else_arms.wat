;; Suspending calls in both arms of if/else, nested.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $c i32) (result i32)
    (local $r i32)
    (if (local.get $c)
      (then (call $log (i32.const 1)) (call $sleep) (local.set $r (i32.const 100)))
      (else (call $log (i32.const 2)) (call $sleep) (local.set $r (i32.const 200))))
    (call $log (local.get $r))
    (local.get $r))
  (func (export "nested") (param $a i32) (param $b i32) (result i32)
    (if (result i32) (local.get $a)
      (then
        (if (result i32) (local.get $b)
          (then (call $sleep) (i32.const 11))
          (else (call $log (i32.const 12)) (call $sleep) (i32.const 12))))
      (else
        (if (result i32) (local.get $b)
          (then (i32.const 21))
          (else (call $sleep) (call $log (i32.const 22)) (i32.const 22)))))))
