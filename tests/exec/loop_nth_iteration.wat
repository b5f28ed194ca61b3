;; A suspending call reached only on some iterations of a loop: the rewind
;; must land in that iteration without re-running earlier ones (memory
;; counters would be incremented twice).
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (if (i32.eq (local.get $i) (i32.const 7))
        (then (local.set $acc (i32.add (local.get $acc) (call $sleep_i32)))))
      (call $log (local.get $acc))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  (func (export "every_third") (param $n i32) (result i32)
    (local $i i32)
    (loop $l
      (i32.store (i32.mul (local.get $i) (i32.const 4))
        (i32.add (i32.load (i32.mul (local.get $i) (i32.const 4))) (i32.const 1)))
      (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 3)))
        (then
          (i32.store offset=400 (i32.mul (local.get $i) (i32.const 4)) (call $sleep_i32))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))
