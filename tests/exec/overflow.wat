;; Two frames with several i64 locals live across a suspension: with a tiny
;; save stack the unwind must report an overflow instead of writing past
;; stack_end.
(module
  (import "env" "sleep" (func $sleep))
  (memory (export "memory") 1)
  (func $deep (param $a i64) (param $b i64) (param $c i64) (result i64)
    (call $sleep)
    (i64.add (local.get $a) (i64.add (local.get $b) (local.get $c))))
  (func (export "main") (param $x i64) (result i64)
    (local $p i64) (local $q i64) (local $r i64)
    (local.set $p (i64.mul (local.get $x) (i64.const 3)))
    (local.set $q (i64.add (local.get $x) (i64.const 1)))
    (local.set $r (i64.sub (local.get $x) (i64.const 1)))
    (i64.add
      (i64.add (local.get $p) (local.get $q))
      (i64.add (local.get $r) (call $deep (local.get $x) (i64.const 2) (i64.const 3))))))
