;; A coroutine runtime in wasm: the asyncify.* imports become the module's
;; own functions, and their direct calls are replaced by their code;
;; `$yield` (top-most runtime) and `$run` (bottom-most runtime) stay
;; uninstrumented, `$task` is instrumented.
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (memory 1)
  (global $rewinding (mut i32) (i32.const 0))
  (func $yield
    (if (global.get $rewinding)
      (then (global.set $rewinding (i32.const 0)) (call $stop_rewind))
      (else (call $start_unwind (i32.const 16)))))
  (func $task (param $x i32) (result i32)
    (call $yield)
    (i32.add (local.get $x) (i32.const 1)))
  (func $run (export "run") (param $resume i32) (result i32)
    (if (local.get $resume)
      (then (global.set $rewinding (i32.const 1)) (call $start_rewind (i32.const 16))))
    (call $task (i32.const 41))
    (call $stop_unwind)))
