;; Tail calls (`return_call`, `return_call_indirect`) to functions that
;; suspend, and a deep tail recursion that suspends every `every`
;; iterations and at the bottom.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (type $step (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $count_indirect $done)

  ;; Counts n down, sleeping at multiples of $every; at 0 returns acc +
  ;; sleep_i32().
  (global $every (mut i32) (i32.const 1))
  (func $count (param $n i32) (param $acc i32) (result i32)
    (if (i32.eqz (local.get $n))
      (then (return (i32.add (local.get $acc) (call $sleep_i32)))))
    (if (i32.eqz (i32.rem_u (local.get $n) (global.get $every)))
      (then (call $sleep)))
    (return_call $count
      (i32.sub (local.get $n) (i32.const 1))
      (i32.add (local.get $acc) (i32.const 1))))

  ;; n + sleep_i32(), after sleeps at the multiples of `every` from n down.
  (func (export "deep") (param $n i32) (param $every i32) (result i32)
    (global.set $every (local.get $every))
    (return_call $count (local.get $n) (i32.const 0)))

  ;; Sleeps, then tail-calls itself through the table with (n - 1, acc + n)
  ;; until n = 0, then $done.
  (func $count_indirect (param $n i32) (param $acc i32) (result i32)
    (call $sleep)
    (return_call_indirect (type $step)
      (i32.sub (local.get $n) (i32.const 1))
      (i32.add (local.get $acc) (local.get $n))
      (i32.eqz (local.get $n))))

  (func $done (param $n i32) (param $acc i32) (result i32)
    (i32.add (local.get $acc) (call $sleep_i32)))

  ;; n(n+1)/2 + sleep_i32(), after n + 1 sleeps.
  (func (export "indirect") (param $n i32) (result i32)
    (return_call_indirect (type $step) (local.get $n) (i32.const 0) (i32.const 0))))
