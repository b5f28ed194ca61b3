;; A memory64 module: the data structure is two i64, addresses are i64.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") i64 1)
  (func $store_then_sleep (param $p i64) (param $v i32) (result i32)
    (i32.store (local.get $p) (local.get $v))
    (call $sleep)
    (i32.load (local.get $p)))
  (func (export "main") (param $p i64) (result i32)
    (i32.add
      (call $store_then_sleep (local.get $p) (i32.const 77))
      (call $sleep_i32))))
