;; A suspending call as each operand of `select` (and of a typed `select`).
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "sleep_f64" (func $sleep_f64 (result f64)))
  (memory (export "memory") 1)
  (func (export "second") (param $x i32) (result i32)
    (select (local.get $x) (call $sleep_i32) (i32.and (local.get $x) (i32.const 1))))
  (func (export "cond") (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.eq (call $sleep_i32) (i32.const 20))))
  (func (export "first") (param $b i32) (result i32)
    (select (call $sleep_i32) (local.get $b) (local.get $b)))
  (func (export "typed") (param $c i32) (result f64)
    (select (result f64) (call $sleep_f64) (f64.const 1.5) (local.get $c))))
