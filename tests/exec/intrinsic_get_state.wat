;; The `asyncify.get_state` intrinsic (a Rewind extension; Binaryen rejects
;; it) reads the state from guest code: 0 normally, 1 after a guest-side
;; start_unwind, 0 again after stop_unwind.
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "get_state" (func $get_state (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $suspend
    (i32.store (i32.const 16) (i32.const 24))
    (i32.store (i32.const 20) (i32.const 1024))
    (call $start_unwind (i32.const 16)))
  (func $task
    (call $log (call $get_state))
    (call $suspend)
    (call $log (i32.const 99)))
  (func (export "main") (result i32)
    (call $task)
    (call $log (call $get_state))
    (call $stop_unwind)
    (call $get_state)))
