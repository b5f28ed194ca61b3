;; Deep recursion through a suspending call: every leaf of a Fibonacci call
;; tree yields, and the Ackermann-style helper mutually recurses.
(module
  (import "env" "yield_now" (func $yield))
  (memory (export "memory") 1)

  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then
        (call $yield)
        (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  (func $even (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else
        (if (i32.eqz (i32.rem_u (local.get $n) (i32.const 16)))
          (then (call $yield)))
        (call $odd (i32.sub (local.get $n) (i32.const 1))))))

  (func $odd (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (call $even (i32.sub (local.get $n) (i32.const 1))))))

  (func (export "run") (result i32)
    (i32.add
      (i32.mul (call $fib (i32.const 13)) (i32.const 1000))
      (call $even (i32.const 101))))
)
