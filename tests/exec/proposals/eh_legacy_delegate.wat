;; Legacy exception handling: `delegate`. The exception thrown after a
;; suspension inside the delegating `try` skips the `catch_all` between it
;; and the `try` it delegates to.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))

  (func $raise (param $v i32)
    (throw $e (local.get $v)))

  ;; x + sleep_i32(); the log in the catch_all never runs.
  (func (export "main") (param $x i32) (result i32)
    try $outer (result i32)
      try
        try
          (call $sleep)
          (call $raise (local.get $x))
        delegate $outer
      catch_all
        (call $log (i32.const -99))
      end
      (i32.const -1)
    catch $e
      (i32.add (call $sleep_i32))
    end)

  ;; delegate to the caller: the function's own label.
  (func $to_caller (param $v i32)
    try
      (call $sleep)
      (call $raise (local.get $v))
    delegate 0)

  ;; 2x.
  (func (export "through_caller") (param $x i32) (result i32)
    try (result i32)
      (call $to_caller (local.get $x))
      (i32.const -1)
    catch $e
      (i32.mul (i32.const 2))
    end))
