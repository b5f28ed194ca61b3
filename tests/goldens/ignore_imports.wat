;; options: --ignore-imports
;; No import suspends; only the asyncify intrinsics change the state:
;; `$yield` is the top-most runtime, `$task` (calls it) is instrumented,
;; `$sleeper` (calls env.sleep) is not.
(module
  (import "env" "sleep" (func $sleep))
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (memory 1)
  (global $rewinding (mut i32) (i32.const 0))
  (func $yield
    (if (global.get $rewinding)
      (then (global.set $rewinding (i32.const 0)) (call $stop_rewind))
      (else (call $start_unwind (i32.const 16)))))
  (func $task (export "task") (param $x i32) (result i32)
    (call $yield)
    (local.get $x))
  (func $sleeper (export "sleeper")
    (call $sleep)))
