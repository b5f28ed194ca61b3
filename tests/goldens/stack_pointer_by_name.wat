;; The rewind.get_stack_pointer/set_stack_pointer extension imports resolve
;; to the global named `__stack_pointer`.
(module
  (import "rewind" "get_stack_pointer" (func $get_sp (result i32)))
  (import "rewind" "set_stack_pointer" (func $set_sp (param i32)))
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (global $__stack_pointer (mut i32) (i32.const 65536))
  (func (export "swap") (param $sp i32) (result i32)
    (local $old i32)
    (local.set $old (call $get_sp))
    (call $set_sp (local.get $sp))
    (local.get $old))
  (func (export "main")
    (call $sleep)))
