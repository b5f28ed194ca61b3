;; options: --imports env.sleep
;; A br_table carrying a value out of nested blocks around a suspending
;; call.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "main") (param $sel i32) (result i32)
    (block $b0 (result i32)
      (block $b1 (result i32)
        (i32.const 42)
        (call $sleep)
        (local.get $sel)
        (br_table $b0 $b1))
      (i32.const 1)
      (i32.add))))
