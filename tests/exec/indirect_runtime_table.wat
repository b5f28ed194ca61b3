;; Indirect-call narrowing must account for table entries written at run
;; time (table.set, table.grow, table.init of a passive segment), not only
;; for active element segments.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (type $t (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table $tab 1 funcref)
  (elem $passive func $sleepy_c)
  (elem declare func $sleepy_a $sleepy_b)
  (func $sleepy_a (type $t) (i32.add (local.get 0) (call $sleep_i32)))
  (func $sleepy_b (type $t) (i32.sub (local.get 0) (call $sleep_i32)))
  (func $sleepy_c (type $t) (i32.mul (local.get 0) (call $sleep_i32)))
  (func (export "init")
    (table.set (i32.const 0) (ref.func $sleepy_a))
    (drop (table.grow (ref.func $sleepy_b) (i32.const 1)))
    (drop (table.grow (ref.null func) (i32.const 1)))
    (table.init $passive (i32.const 2) (i32.const 0) (i32.const 1)))
  (func (export "main") (param $i i32) (param $x i32) (result i32)
    (i32.add (i32.const 1000) (call_indirect (type $t) (local.get $x) (local.get $i)))))
