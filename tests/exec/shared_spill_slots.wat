;; Operands spilled across suspending calls, most of them short-lived and
;; disjoint (they end up sharing slots, coalesce.rs), beside values that
;; stay live across every call (saved, so they keep their own), and two
;; locals live at the same time between calls (not saved, but they must
;; not share), in two types.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "sleep_f64" (func $sleep_f64 (result f64)))
  (memory (export "memory") 1)
  (func $mix (param i32 i32) (result i32)
    (i32.sub (i32.mul (local.get 0) (i32.const 3)) (local.get 1)))
  (func (export "main") (param $x i32) (result i32)
    (local $keep i32) (local $acc f64) (local $a i32) (local $b i32)
    (local.set $keep (i32.add (local.get $x) (call $sleep_i32)))
    (local.set $acc
      (f64.add (f64.convert_i32_s (local.get $keep)) (call $sleep_f64)))
    (call $mix (local.get $keep) (call $mix (call $sleep_i32) (local.get $x)))
    (i32.add (call $mix (call $sleep_i32) (call $sleep_i32)))
    (i32.add (i32.trunc_f64_s (local.get $acc)))
    (i32.add (local.get $keep))
    (local.set $a (i32.mul (local.get $x) (i32.const 7)))
    (local.set $b (i32.add (local.get $x) (i32.const 5)))
    (i32.add (i32.sub (local.get $a) (local.get $b)))))
