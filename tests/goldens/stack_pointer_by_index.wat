;; options: --stack-pointer-global 1
;; Without a `__stack_pointer` name the shadow-stack pointer is given by
;; index (global 1, named `$sp` here).
(module
  (import "rewind" "get_stack_pointer" (func $get_sp (result i32)))
  (import "rewind" "set_stack_pointer" (func $set_sp (param i32)))
  (memory 1)
  (global $other (mut i32) (i32.const 7))
  (global $sp (mut i32) (i32.const 65536))
  (func (export "swap") (param $new i32) (result i32)
    (local $old i32)
    (local.set $old (call $get_sp))
    (call $set_sp (local.get $new))
    (local.get $old)))
