;; options: --fuel
;; While a rewind runs the counter is parked at a large negative value, so
;; the entry check of `$fib` (on a call cycle, and not callable by a host)
;; is also its rewind test: `counter = fuel - cost`, then `br_if` past the
;; rest when it is not negative; else normal state calls the handler and a
;; rewind restores the frame and dispatches. `sum` is exported: its entry
;; keeps the state test, and its frame restore parks the counter again (a
;; host may have set the budget after `asyncify_start_rewind`).
(module
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $sum (export "sum") (param $n i32) (result i32)
    (call $log (local.get $n))
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $fib (local.get $n))
                     (call $sum (i32.sub (local.get $n) (i32.const 1))))))))
