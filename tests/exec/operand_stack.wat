;; Values on the operand stack at a suspending call: they are not locals and
;; must be spilled. `stale_local` and `stale_global` check that the spilled
;; value is the one pushed, not a re-read of a local/global changed since.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (global $g (export "g") (mut i32) (i32.const 1000))
  (func (export "main") (param $x i32) (result i32)
    (i32.add (local.get $x) (call $sleep_i32)))
  (func (export "deep") (param $x i32) (result i32)
    local.get $x
    i32.const 100
    local.get $x
    i32.const 7
    call $sleep_i32
    i32.sub
    i32.mul
    i32.add
    i32.sub)
  (func (export "stale_local") (param $x i32) (result i32)
    (i32.sub
      (local.get $x)
      (block (result i32)
        (local.set $x (i32.const 99))
        (call $sleep_i32))))
  (func $bump_and_sleep (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (call $sleep)
    (i32.const 5))
  (func (export "stale_global") (result i32)
    (i32.sub (global.get $g) (call $bump_and_sleep))))
