;; options: --fuel
;; A runtime function (it calls `asyncify.start_unwind`) is not metered at
;; all, not even its loop: it is never instrumented, so a check there could
;; not suspend, and it runs again on every rewind. Its caller is checked at
;; its loop head as usual; calling an intrinsic is not calling the host.
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (memory 1)
  (global $unwinding (mut i32) (i32.const 0))
  (func $suspend
    (local $i i32)
    (loop $spin
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $i) (i32.const 3))))
    (if (global.get $unwinding)
      (then
        (global.set $unwinding (i32.const 0))
        (call $stop_rewind))
      (else
        (global.set $unwinding (i32.const 1))
        (call $start_unwind (i32.const 16)))))
  (func (export "run") (param $n i32)
    (loop $again
      (call $suspend)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))))
