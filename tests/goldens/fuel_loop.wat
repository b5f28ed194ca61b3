;; options: --fuel --imports env.sleep
;; Metering: the loop head gets a check merged with the charge of the
;; loop's first run; the counter lives in a local, stored before calls and
;; reloaded after; the check itself runs unguarded, its call site guarded.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $work (export "work") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $again
      (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 3))))
      (call $log (local.get $acc))
      (call $log (local.get $i))
      (if (i32.eq (i32.and (local.get $i) (i32.const 7)) (i32.const 0))
        (then (call $sleep (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
