;; Exception handling (`try_table`): each catch kind, with suspending calls
;; in the body and in the handler code at the branch target, and an exnref
;; on the operand stack across a suspension.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))

  (func $raise (param $v i32)
    (throw $e (local.get $v)))

  ;; catch: 2 * (x + sleep_i32()).
  (func (export "catch") (param $x i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        (call $sleep)
        (call $raise (i32.add (local.get $x) (call $sleep_i32))))
      (i32.const -1))
    (call $sleep)
    (i32.mul (i32.const 2)))

  ;; catch_ref: the value and the exnref stay on the stack across a
  ;; suspension; x + 1.
  (func (export "catch_ref") (param $x i32) (result i32)
    (local $ex exnref)
    (block $h (result i32 exnref)
      (try_table (catch_ref $e $h)
        (call $sleep)
        (call $raise (local.get $x)))
      (unreachable))
    (call $sleep)
    (local.set $ex)
    (i32.add (i32.const 1))
    (if (ref.is_null (local.get $ex)) (then (unreachable))))

  ;; catch_all: the body suspends before and inside the throwing callee.
  (func $sleepy_raise (param $v i32)
    (call $sleep)
    (call $raise (local.get $v)))

  (func (export "catch_all") (param $x i32) (result i32)
    (block $h
      (try_table (catch_all $h)
        (call $log (call $sleep_i32))
        (call $sleepy_raise (local.get $x)))
      (return (i32.const -1)))
    (call $sleep)
    (i32.const 77))

  ;; catch_all_ref: the exnref is on the stack across a suspension, then
  ;; rethrown with throw_ref and caught by an outer try_table: x + 500.
  (func (export "catch_all_ref") (param $x i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $e $outer)
        (block $h (result exnref)
          (try_table (catch_all_ref $h)
            (call $sleepy_raise (local.get $x)))
          (return (i32.const -1)))
        (call $sleep)
        (throw_ref))
      (i32.const -2))
    (i32.add (i32.const 500))))
