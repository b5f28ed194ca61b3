;; Legacy exception handling: nested `try`s with suspending calls at every
;; level, an inner handler that does not match, a middle one that throws a
;; different tag, and an outer one that catches it.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))
  (tag $f (param i32))

  ;; Throws $e for positive values, $f otherwise.
  (func $raise (param $v i32)
    (if (i32.gt_s (local.get $v) (i32.const 0))
      (then (throw $e (local.get $v))))
    (throw $f (local.get $v)))

  (func (export "main") (param $x i32) (result i32)
    (local $acc i32)
    try (result i32)
      (local.set $acc (call $sleep_i32))
      try
        (local.set $acc (i32.add (local.get $acc) (call $sleep_i32)))
        try
          (call $sleep)
          (call $raise (local.get $x))
        catch $f
          (call $log)
          (call $sleep)
        end
        (call $log (local.get $acc))
      catch $e
        (local.set $acc (i32.add (local.get $acc)))
        (call $sleep)
        (throw $f (local.get $acc))
      end
      (local.get $acc)
    catch $f
      (i32.add (call $sleep_i32))
    catch_all
      (i32.const -1)
    end))
