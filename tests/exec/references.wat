;; References live across suspensions: funcref locals (one null), a
;; funcref on the operand stack, and recursion where every level keeps its
;; own reference, so several frames hold slots of the side table at once.
(module
  (import "env" "sleep" (func $sleep))
  (type $t (func (result i32)))
  (table $tab 1 funcref)
  (memory (export "memory") 1)
  (elem declare func $a $b)
  (func $a (result i32) (i32.const 11))
  (func $b (result i32) (i32.const 22))
  (func $call_ref_in_table (param $f funcref) (result i32)
    (table.set $tab (i32.const 0) (local.get $f))
    (call_indirect (type $t) (i32.const 0)))
  (func (export "locals") (param $which i32) (result i32)
    (local $f funcref) (local $none funcref)
    (local.set $f (select (result funcref) (ref.func $a) (ref.func $b) (local.get $which)))
    (call $sleep)
    (i32.add
      (call $call_ref_in_table (local.get $f))
      (i32.mul (ref.is_null (local.get $none)) (i32.const 100))))
  (func (export "stack") (result i32)
    (ref.func $b)
    (call $sleep)
    (call $call_ref_in_table))
  ;; level n keeps $a (odd n) or $b (even n), sleeps, recurses, then adds
  ;; its reference's value.
  (func $levels (export "levels") (param $n i32) (result i32)
    (local $f funcref)
    (local.set $f
      (select (result funcref) (ref.func $a) (ref.func $b) (i32.and (local.get $n) (i32.const 1))))
    (call $sleep)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else
        (i32.add
          (call $levels (i32.sub (local.get $n) (i32.const 1)))
          (call $call_ref_in_table (local.get $f)))))))
