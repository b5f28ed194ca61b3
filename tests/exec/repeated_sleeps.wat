;; Many suspensions in one export call, and a second export call on the same
;; instance (the state machine must be back at rest between calls).
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (func (export "main") (result i32)
    (local $i i32)
    (call $sleep)
    (call $sleep)
    (loop $l
      (call $sleep)
      (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
      (call $log (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
    (call $sleep)
    (local.get $i)))
