;; `return_call_ref` to a function that suspends, after a suspension in the
;; caller: 2x + sleep_i32().
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (type $unary (func (param i32) (result i32)))
  (elem declare func $target)

  (func $target (type $unary)
    (i32.add (local.get 0) (call $sleep_i32)))

  (func (export "main") (param $x i32) (result i32)
    (call $sleep)
    (return_call_ref $unary (i32.mul (local.get $x) (i32.const 2)) (ref.func $target))))
