;; Recursion through a suspending call: every level sleeps before recursing,
;; with a value of its own pending on the operand stack.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func $rec (export "rec") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $sleep_i32))
      (else
        (i32.add
          (i32.add (local.get $n) (call $sleep_i32))
          (call $rec (i32.sub (local.get $n) (i32.const 1))))))))
