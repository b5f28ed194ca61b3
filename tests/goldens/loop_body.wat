;; options: --imports env.sleep
;; A suspending call inside a loop, with a counter live across it.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "main") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (call $sleep)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))
