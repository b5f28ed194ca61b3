;; options: --imports env.sleep*
;; Operand-stack values at a suspending call are spilled to locals:
;; `i32.add (local.get 0) (call $sleep_i32)`, plus an i64 and an f64 below.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory 1)
  (func (export "main") (param $x i32) (param $y i64) (param $z f64) (result i32 i64 f64)
    (local.get $y)
    (local.get $z)
    (i32.add (local.get $x) (call $sleep_i32))
    (local.set $x)
    (local.get $x)
    (call $pack)
    )
  (func $pack (param i64 f64 i32) (result i32 i64 f64)
    (local.get 2) (local.get 0) (local.get 1)))
