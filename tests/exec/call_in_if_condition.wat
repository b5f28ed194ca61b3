;; A suspending call computes the condition of an `if`.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $x i32) (result i32)
    (if (result i32) (i32.gt_u (call $sleep_i32) (local.get $x))
      (then (i32.const 1))
      (else (i32.const 2)))))
