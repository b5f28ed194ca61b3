;; Leaving the function from nested blocks after a suspension: `br` to the
;; function's own label with values, `br_if` to it, and `return`.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "br_out") (param $x i32) (result i32 i32)
    (block
      (loop
        (call $sleep)
        (br 2 (local.get $x) (call $sleep_i32))))
    (i32.const -1)
    (i32.const -1))
  (func (export "br_if_out") (param $x i32) (result i32)
    (block
      (drop (br_if 1 (call $sleep_i32) (local.get $x)))
      (call $sleep))
    (i32.const -2))
  (func (export "return_out") (param $x i32) (result i64)
    (if (local.get $x)
      (then
        (block
          (call $sleep)
          (return (i64.extend_i32_s (call $sleep_i32))))))
    (i64.const -3)))
