;; A suspending call's result goes through `local.tee`.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (result i32)
    (local $t i32)
    (i32.add (local.tee $t (call $sleep_i32)) (local.get $t)))
  (func (export "stack") (param $x i32) (result i32)
    (local $t i32)
    local.get $x
    call $sleep_i32
    local.tee $t
    i32.mul
    local.get $t
    i32.sub))
