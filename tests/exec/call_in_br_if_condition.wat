;; A suspending call computes the condition of a `br_if` that carries a value.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $x i32) (result i32)
    (block $b (result i32)
      (local.get $x)
      (i32.eq (i32.const 20) (call $sleep_i32))
      (br_if $b)
      (i32.const 1000)
      (i32.add))))
