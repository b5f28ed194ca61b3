;; options: --imports env.sleep
;; A funcref local and a funcref on the operand stack live across a
;; suspension: each is saved in the side table for funcref (a table, its
;; `top` global, a save and a restore helper), the frame holding the slot
;; index.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (table $tab 1 funcref)
  (elem declare func $f)
  (func $f)
  (func (export "main") (param $r funcref)
    (ref.func $f)
    (call $sleep)
    (table.set $tab (i32.const 0) (local.get $r))
    (drop)))
