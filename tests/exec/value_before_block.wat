;; A value pushed before a block/loop/if that contains a suspending call and
;; consumed after it: on rewind the code that pushed it is skipped.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "block") (param $x i32) (result i32)
    local.get $x
    block (result i32)
      (call $log (i32.const 1))
      (call $sleep)
      (i32.const 5)
    end
    i32.add)
  (func (export "loop") (param $x i32) (result i32)
    (local $i i32)
    local.get $x
    i32.const 1000
    loop $l
      (call $sleep)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3)))
    end
    i32.sub)
  (func (export "if") (param $x i32) (result i32)
    local.get $x
    local.get $x
    if
      (call $sleep)
      (call $log (i32.const 2))
    end
    i32.const 2
    i32.mul))
