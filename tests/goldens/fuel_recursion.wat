;; options: --fuel
;; Metering a recursive function: its entry is checked (it is on a call
;; cycle); an early `return` stores the counter first. The leaf helper is
;; only charged.
(module
  (memory 1)
  (func $double (param $x i32) (result i32)
    (i32.shl (local.get $x) (i32.const 1)))
  (func $sum (export "sum") (param $n i32) (result i32)
    (if (i32.eqz (local.get $n))
      (then (return (i32.const 0))))
    (i32.add
      (call $double (local.get $n))
      (call $sum (i32.sub (local.get $n) (i32.const 1))))))
