;; A suspending call as an argument of another call (an import, a defined
;; function, and another suspending import).
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "sleep_take" (func $sleep_take (param i32) (result i32)))
  (import "env" "log2" (func $log2 (param i32 i32)))
  (memory (export "memory") 1)
  (func $add3 (param i32 i32 i32) (result i32)
    (i32.add (local.get 0) (i32.add (local.get 1) (local.get 2))))
  (func (export "main") (param $x i32) (result i32)
    (call $log2 (local.get $x) (call $sleep_i32))
    (call $add3 (i32.const 1) (call $sleep_i32) (local.get $x)))
  (func (export "nested") (result i32)
    (call $sleep_take (call $sleep_i32))))
