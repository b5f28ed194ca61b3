;; call_indirect to functions that suspend and to one that does not; an
;; out-of-bounds index traps the same way.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (import "env" "sleep" (func $sleep))
  (type $t (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table 3 funcref)
  (elem (i32.const 0) $sleepy $pure $sleepy2)
  (func $sleepy (type $t)
    (i32.add (local.get 0) (call $sleep_i32)))
  (func $pure (type $t)
    (i32.mul (local.get 0) (i32.const 2)))
  (func $sleepy2 (type $t)
    (call $sleep)
    (i32.sub (local.get 0) (i32.const 1)))
  (func (export "main") (param $i i32) (param $x i32) (result i32)
    (i32.add (i32.const 1000)
      (call_indirect (type $t) (local.get $x) (local.get $i))))
  (func (export "index_from_sleep") (param $x i32) (result i32)
    ;; The table index comes from a suspending call: 10k % 3: k = 1 -> 1 ($pure), k = 2 -> 2 ($sleepy2), k = 3 -> 0.
    (call_indirect (type $t) (local.get $x) (i32.rem_u (call $sleep_i32) (i32.const 3)))))
