;; `br` carrying values out of blocks that contain a suspending call.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $x i32) (result i32)
    (block $out (result i32)
      (call $sleep)
      (br $out (i32.add (local.get $x) (call $sleep_i32)))))
  (func (export "outer") (param $x i32) (result i32 i64)
    (block $a (result i32 i64)
      (block $b
        (block $c
          (call $sleep)
          (br $a (local.get $x) (i64.extend_i32_u (call $sleep_i32))))
        (call $log (i32.const -1)))
      (call $log (i32.const -2))
      (i32.const 0)
      (i64.const 0))))
