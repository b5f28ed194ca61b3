;; options: --imports env.sleep*
;; Values crossing a suspending call that are small pure expressions of
;; locals and constants are computed again where they are used, not kept
;; in a local saved with the frame: the `if` condition `x < 2` and the
;; argument `x - 1`. `2y` is kept in a local: `y` changes before the call.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (param i32) (result i32)))
  (memory 1)
  (func (export "main") (param $x i32) (param $y i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $x) (i32.const 2))
      (then (local.get $x))
      (else
        (i32.shl (local.get $y) (i32.const 1))
        (local.set $y (i32.const 0))
        (call $sleep_i32 (i32.sub (local.get $x) (i32.const 1)))
        (i32.add)
        (local.get $y)
        (i32.add)))))
