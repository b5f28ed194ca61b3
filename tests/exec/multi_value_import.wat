;; A suspending import returning two values, used directly, passed through a
;; function, and out of a block.
(module
  (import "env" "sleep_pair" (func $sleep_pair (result i32 i64)))
  (memory (export "memory") 1)
  (func $combine (param $x i32) (param $a i32) (param $b i64) (result i64)
    (i64.add
      (i64.extend_i32_u (i32.add (i32.mul (local.get $x) (i32.const 1000))
                                 (i32.mul (local.get $a) (i32.const 100))))
      (local.get $b)))
  (func $pass (result i32 i64)
    (call $sleep_pair))
  (func (export "main") (param $x i32) (result i64)
    local.get $x
    call $sleep_pair
    call $combine)
  (func (export "through") (param $x i32) (result i64)
    local.get $x
    call $pass
    call $combine)
  (func (export "block") (param $x i32) (result i64)
    local.get $x
    block (result i32 i64)
      call $sleep_pair
    end
    call $combine))
