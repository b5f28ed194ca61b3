;; options: --imports env.sleep*
;; A suspending import returning two values that stay on the stack.
(module
  (import "env" "sleep_pair" (func $sleep_pair (result i32 i64)))
  (memory 1)
  (func (export "main") (param $x i32) (result i32 i64)
    (call $sleep_pair)
    (local.get $x)
    (drop)))
