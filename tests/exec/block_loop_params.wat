;; Block and loop parameters (multi-value) around a suspending call.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "block_param") (param $x i32) (result i32)
    local.get $x
    i32.const 3
    block (param i32 i32) (result i32)
      call $sleep
      i32.mul
    end)
  (func (export "loop_param") (param $n i32) (result i32)
    (local $i i32)
    i32.const 0
    loop $l (param i32) (result i32)
      call $sleep_i32
      i32.add
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if $l
    end))
