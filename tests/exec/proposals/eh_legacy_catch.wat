;; Legacy exception handling: suspending calls inside `catch` and
;; `catch_all` bodies. A catch body cannot be re-entered without its
;; exception, so the values of the caught exception (in locals, or still on
;; the operand stack) must survive the suspension some other way.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $pair (param i32 i64))

  ;; Throws (a, 100 * a).
  (func $raise (param $a i32)
    (throw $pair (local.get $a) (i64.mul (i64.extend_i32_s (local.get $a)) (i64.const 100))))

  ;; The caught values go to locals, then the handler suspends: a + 100a.
  (func (export "in_catch_locals") (param $a i32) (result i64)
    (local $x i32) (local $y i64)
    try (result i64)
      (call $raise (local.get $a))
      (i64.const -1)
    catch $pair
      (local.set $y)
      (local.set $x)
      (call $log (call $sleep_i32))
      (i64.add (i64.extend_i32_s (local.get $x)) (local.get $y))
    end)

  ;; The caught values stay on the operand stack across the suspension.
  (func (export "in_catch_stack") (param $a i32) (result i64)
    (local $y i64)
    try (result i64)
      (call $raise (local.get $a))
      (i64.const -1)
    catch $pair
      (call $sleep)
      (local.set $y)
      (i64.extend_i32_s)
      (local.get $y)
      (i64.add)
    end)

  ;; catch_all: the handler suspends twice and uses a local set before the
  ;; try: 3a + sleep_i32().
  (func (export "in_catch_all") (param $a i32) (result i32)
    (local $seen i32)
    (local.set $seen (i32.mul (local.get $a) (i32.const 3)))
    try (result i32)
      (call $raise (local.get $a))
      (i32.const -1)
    catch_all
      (call $sleep)
      (i32.add (local.get $seen) (call $sleep_i32))
    end))
