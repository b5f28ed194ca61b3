;; Values that cross a suspending call as small pure expressions of locals
;; and constants (`i32.eqz`, comparisons, `add`/`shl`, `extend`) are
;; computed again after it instead of going through a local. Where the code
;; before the call, or an `if` around it, changes one of those locals, the
;; value must still be the one computed before.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "sleep_take" (func $sleep_take (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  ;; `if` conditions: one of a local the arm leaves alone, one of locals
  ;; each arm changes (the rewind must take the arm taken before).
  (func (export "conditions") (param $a i32) (param $b i32) (result i32)
    (if (i32.eqz (local.get $a))
      (then (call $sleep) (call $log (i32.const 1))))
    (if (i32.lt_u (local.get $a) (local.get $b))
      (then (local.set $b (i32.const 0)) (call $sleep) (call $log (local.get $b)))
      (else (local.set $a (i32.const 0)) (call $sleep) (call $log (i32.const 3))))
    (i32.add (local.get $a) (local.get $b)))
  ;; A condition of a local not read after the `if` (and not a parameter,
  ;; which the repeated call passes again): the rewind still needs it to
  ;; choose the arm, so the frame keeps it.
  (func (export "dead_after") (param $a i32) (result i32)
    (local $t i32)
    (local.set $t (i32.mul (local.get $a) (i32.const 3)))
    (if (i32.gt_u (local.get $t) (i32.const 9))
      (then (call $sleep) (call $log (i32.const 4)))
      (else (call $sleep) (call $log (i32.const 5))))
    (i32.const 9))
  ;; An import's argument, seen again when the call repeats in the rewind.
  (func (export "arguments") (param $x i32) (result i32)
    (call $sleep_take (i32.add (local.get $x) (i32.const 7))))
  ;; Values below a call's result: `(x - 3) * 2` is recomputed after the call;
  ;; `2x` and `x` as i64 are not, because `x` changes before the call or in
  ;; the `if` around it.
  (func (export "carried") (param $x i32) (param $c i32) (result i32)
    (i32.mul (i32.sub (local.get $x) (i32.const 3)) (i32.const 2))
    (call $sleep_i32)
    (i32.add)
    (i32.shl (local.get $x) (i32.const 1))
    (local.set $x (i32.const 1000))
    (call $sleep_i32)
    (i32.add)
    (i32.add)
    (i64.extend_i32_u (local.get $x))
    (if (result i32) (local.get $c)
      (then (local.set $x (i32.const 5)) (call $sleep) (i32.const 1))
      (else (i32.const 2)))
    (i64.extend_i32_u)
    (i64.add)
    (i32.wrap_i64)
    (i32.add))
  ;; A value a `local.tee` left is read back from its local after the call,
  ;; unless the local changes first; a two-operation condition is
  ;; recomputed, unless an arm changes its local.
  (func (export "teed") (param $a i32) (result i32)
    (local $t i32) (local $u i32)
    (local.tee $t (i32.mul (local.get $a) (i32.const 3)))
    (call $sleep_i32)
    (i32.add)
    (local.tee $u (i32.mul (local.get $a) (i32.const 5)))
    (local.set $u (i32.const 0))
    (call $sleep_i32)
    (i32.add)
    (i32.add)
    (if (i32.eqz (i32.and (local.get $a) (i32.const 4)))
      (then (local.set $a (i32.const 4)) (call $sleep) (call $log (i32.const 6)))
      (else (call $sleep) (call $log (i32.const 7))))
    (i32.add (local.get $a))))
