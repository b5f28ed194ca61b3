;; `if` with a parameter and a result, with suspending calls in both arms.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $x i32) (param $c i32) (result i32)
    local.get $x
    local.get $c
    if (param i32) (result i32)
      call $sleep_i32
      i32.add
    else
      call $sleep
      i32.const 2
      i32.mul
    end))
