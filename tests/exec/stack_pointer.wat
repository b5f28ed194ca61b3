;; Rewind's extension imports read and write `__stack_pointer`, also with a
;; suspension in between.
(module
  (import "rewind" "get_stack_pointer" (func $get_sp (result i32)))
  (import "rewind" "set_stack_pointer" (func $set_sp (param i32)))
  (import "env" "sleep" (func $sleep))
  (memory (export "memory") 1)
  (global $__stack_pointer (export "sp") (mut i32) (i32.const 4096))
  (func (export "swap") (param $new i32) (result i32)
    (local $old i32)
    (local.set $old (call $get_sp))
    (call $sleep)
    (call $set_sp (local.get $new))
    (local.get $old)))
