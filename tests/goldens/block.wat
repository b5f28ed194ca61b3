;; options: --imports env.sleep
;; A suspending call inside a block with a result, a value pushed before it.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "main") (param $x i32) (result i32)
    (local.get $x)
    (block (result i32)
      (call $sleep)
      (i32.const 5))
    (i32.add)))
