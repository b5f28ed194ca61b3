;; options: --imports env.sleep
;; Only locals live across the suspending call are saved: `$dead` is used
;; only before it, `$later` is written after it before any read; only
;; `$live` needs a slot in the frame.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func (export "main") (param $x i32) (result i32)
    (local $dead i32) (local $live i32) (local $later i32)
    (local.set $dead (i32.mul (local.get $x) (i32.const 2)))
    (call $log (local.get $dead))
    (local.set $live (i32.add (local.get $x) (i32.const 1)))
    (call $sleep)
    (local.set $later (i32.const 3))
    (i32.add (local.get $live) (local.get $later))))
