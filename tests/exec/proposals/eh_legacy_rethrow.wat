;; Legacy exception handling: `rethrow` in a catch body, before a
;; suspending call (on one path) and after it (on the other).
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))

  (func $raise (param $v i32)
    (throw $e (local.get $v)))

  ;; Negative values are rethrown at once; others are logged, the handler
  ;; sleeps, logs again and rethrows the same exception.
  (func $handler (param $x i32)
    (local $v i32)
    try
      (call $raise (local.get $x))
    catch $e
      (local.set $v)
      (if (i32.lt_s (local.get $v) (i32.const 0))
        (then (rethrow 1)))
      (call $log (local.get $v))
      (call $sleep)
      (call $log (i32.add (local.get $v) (i32.const 1)))
      (rethrow 0)
    end)

  ;; The rethrown value plus sleep_i32().
  (func (export "main") (param $x i32) (result i32)
    try (result i32)
      (call $handler (local.get $x))
      (i32.const -1)
    catch $e
      (i32.add (call $sleep_i32))
    end))
