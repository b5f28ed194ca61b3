;; Legacy exception handling: a suspending call inside a `try` body. On
;; rewind the `try` is re-entered and the handler must still be in place:
;; the body throws after the suspension, directly or from a callee that
;; suspended first.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))

  ;; y = x + sleep_i32(); throws y when y > 100, caught as -y; else 2y.
  (func (export "body_suspends") (param $x i32) (result i32)
    (local $y i32)
    try (result i32)
      (local.set $y (i32.add (local.get $x) (call $sleep_i32)))
      (call $log (local.get $y))
      (if (i32.gt_s (local.get $y) (i32.const 100))
        (then (throw $e (local.get $y))))
      (i32.mul (local.get $y) (i32.const 2))
    catch $e
      (local.set $y)
      (i32.sub (i32.const 0) (local.get $y))
    end)

  (func $thrower (param $v i32)
    (call $sleep)
    (throw $e (local.get $v)))

  ;; The callee suspends, then throws: x + 1000.
  (func (export "callee_throws") (param $x i32) (result i32)
    try (result i32)
      (call $thrower (local.get $x))
      (i32.const 0)
    catch $e
      (i32.add (i32.const 1000))
    end))
