;; Exception handling: an exnref held in a local across suspensions, then
;; rethrown with throw_ref and caught: x + 1000.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))

  (func $raise (param $v i32)
    (throw $e (local.get $v)))

  (func $capture (param $x i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (call $raise (local.get $x)))
      (unreachable)))

  (func (export "main") (param $x i32) (result i32)
    (local $ex exnref)
    (local.set $ex (call $capture (local.get $x)))
    (call $sleep)
    (call $log (call $sleep_i32))
    (block $h (result i32)
      (try_table (catch $e $h)
        (throw_ref (local.get $ex)))
      (unreachable))
    (i32.add (i32.const 1000))))
