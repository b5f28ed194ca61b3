;; Legacy exception handling: a tail call inside a `try` body that becomes
;; call + return (the function also tail-calls an import) is made after
;; the body, so the callee's exception passes the `catch` by, as it does
;; in the original, and reaches the caller's caller.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))

  ;; Sleeps, then throws x + 100.
  (func $sleepy_throw (param $x i32) (result i32)
    (call $sleep)
    (throw $e (i32.add (local.get $x) (i32.const 100))))

  ;; x = 0: tail-calls the import; else $sleepy_throw. The catch would
  ;; give -1.
  (func $tail (param $x i32) (result i32)
    try (result i32)
      (call $sleep)
      (if (i32.eqz (local.get $x))
        (then (return_call $sleep_i32)))
      (return_call $sleepy_throw (local.get $x))
    catch $e
      (drop)
      (i32.const -1)
    end)

  ;; 1000 + what $tail let through, or its result.
  (func (export "main") (param $x i32) (result i32)
    try (result i32)
      (call $tail (local.get $x))
    catch $e
      (i32.add (i32.const 1000))
    end)
)
