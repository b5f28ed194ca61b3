;; options: --fuel --fast-path
;; Metering with a fast path: recursive fib's fast copy keeps the entry
;; check (its handler call and unwind check unguarded), the counter
;; store before each call and the reload after, and the unwind checks after
;; the recursive calls; the slow copy is the ordinary instrumented body.
(module
  (memory 1)
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
