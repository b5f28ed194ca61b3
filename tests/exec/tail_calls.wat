;; Tail calls to defined functions that may suspend stay tail calls (a
;; rewind re-enters the callee by the tag in its frame); a tail call to a
;; suspending import becomes call + return; tail calls to functions that
;; cannot suspend stay tail calls. `$count` tail-recurses, sleeping at
;; every level.
(module
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (type $t (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $count $pure)
  (memory (export "memory") 1)
  (func $count (type $t) (param $n i32) (param $acc i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.add (local.get $acc) (call $sleep_i32)))
      (else
        (local.set $acc (i32.add (local.get $acc) (call $sleep_i32)))
        (return_call $count (i32.sub (local.get $n) (i32.const 1)) (local.get $acc)))))
  (func $pure (type $t) (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "direct") (param i32) (result i32)
    (return_call $count (local.get 0) (i32.const 0)))
  (func (export "indirect") (param i32) (result i32)
    (drop (call $sleep_i32))
    (return_call_indirect (type $t) (local.get 0) (i32.const 5) (i32.const 0)))
  (func (export "pure_tail") (param i32) (result i32)
    (drop (call $sleep_i32))
    (return_call $pure (local.get 0) (i32.const 1)))
  (func (export "to_import") (result i32)
    (return_call $sleep_i32)))
