;; options: --imports env.sleep
;; A suspension inside a `try_table`, and an `exnref` live across a
;; suspension (saved in the side table for exnref) and rethrown after it.
(module
  (import "env" "sleep" (func $sleep))
  (tag $e (param i32))
  (memory 1)
  (func (export "main") (param $x i32) (result i32)
    (local $ex exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $e $h)
        (call $sleep)
        (throw $e (local.get $x)))
      (unreachable))
    (local.set $ex)
    (call $sleep)
    (drop)
    (block $h2 (result i32)
      (try_table (catch $e $h2)
        (throw_ref (local.get $ex)))
      (unreachable))))
