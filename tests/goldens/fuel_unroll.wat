;; options: --fuel
;; Small call-free loops are laid out four times with one check: the check
;; charges the four copies' entry runs but fires below -3x that charge, its
;; handler call stores and reloads the counter as if one copy was charged,
;; and each way out of copies 1-3 (falling off the end, `br_if` and `br`
;; out of the loop, `return`) first refunds the copies that did not run.
;; `count` is a do-while loop with a result; `search` leaves early; `calls`
;; has a call in its body and keeps one check per iteration. `mix` is a
;; do-while loop without a result: each copy but the last leaves when its
;; back-edge would not be taken (`br_if $x (i32.eqz cond)`, to a block
;; followed by the refund) and otherwise falls into the next copy.
(module
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32)
    (loop $again (result i32)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.get $i)
      (br_if $again (i32.lt_u (local.get $i) (local.get $n)))))
  (func $search (export "search") (param $p i32) (param $end i32) (result i32)
    (block $not_found
      (loop $next
        (br_if $not_found (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eqz (i32.load8_u (local.get $p)))
          (then (return (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.const -1))
  (func $mix (export "mix") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eq (local.get $acc) (i32.const 99)))
        (local.set $acc (i32.add (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $i) (local.get $n)))))
    (local.get $acc))
  (func $calls (export "calls") (param $n i32)
    (loop $again
      (call $log (local.get $n))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again))))
