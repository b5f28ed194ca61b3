;; A hot loop that yields every 7th iteration, with i32/i64/f64 state live
;; across the suspension and a value on the operand stack at the call.
(module
  (import "env" "yield_now" (func $yield))
  (import "env" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "loop done")

  ;; Never suspends: must stay uninstrumented.
  (func $mix (param $acc i64) (param $x i32) (result i64)
    (i64.xor
      (i64.mul (local.get $acc) (i64.const 0x100000001b3))
      (i64.extend_i32_u (local.get $x))))

  ;; Suspends sometimes; returns its argument doubled.
  (func $step (param $i i32) (result i32)
    (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 7)))
      (then (call $yield)))
    (i32.shl (local.get $i) (i32.const 1)))

  (func (export "run") (result i32)
    (local $i i32) (local $acc i64) (local $f f64) (local $sum i32)
    (local.set $acc (i64.const 0xcbf29ce484222325))
    (loop $next
      (local.set $acc (call $mix (local.get $acc) (local.get $i)))
      (local.set $f (f64.add (local.get $f) (f64.convert_i32_u (local.get $i))))
      ;; `$sum` is on the operand stack while `$step` may suspend.
      (local.set $sum (i32.add (local.get $sum) (call $step (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 200))))
    (call $log (i32.const 1) (i32.const 16) (i32.const 9))
    (i32.add
      (i32.xor (i32.wrap_i64 (local.get $acc)) (i32.trunc_f64_u (local.get $f)))
      (local.get $sum)))
)
