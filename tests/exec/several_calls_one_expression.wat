;; Several suspending calls in one expression tree, of mixed types.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "sleep_i64" (func $sleep_i64 (result i64)))
  (memory (export "memory") 1)
  (func (export "main") (result i32)
    (i32.sub
      (i32.mul (call $sleep_i32) (call $sleep_i32))
      (i32.add (call $sleep_i32) (call $sleep_i32))))
  (func (export "mixed") (param $x i64) (result i64)
    (i64.add
      (i64.mul (local.get $x) (call $sleep_i64))
      (i64.extend_i32_u (i32.add (call $sleep_i32) (call $sleep_i32))))))
