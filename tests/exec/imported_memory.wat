;; The memory is imported (and re-exported so the host can find it).
(module
  (import "env" "memory" (memory 1))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (export "memory" (memory 0))
  (func (export "main") (param $x i32) (result i32)
    (i32.store (i32.const 8) (local.get $x))
    (i32.add (call $sleep_i32) (i32.load (i32.const 8)))))
