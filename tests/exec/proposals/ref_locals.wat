;; externref and funcref values live across suspensions, in locals and on
;; the operand stack. externrefs come from the host: parameters (host
;; objects the test passes) and the results of `env.make` (host object 10k
;; for its k-th call).
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "make" (func $make (result externref)))
  (import "env" "log_ref" (func $log_ref (param externref)))
  (memory (export "memory") 1)
  (type $ret (func (result i32)))
  (table $t 3 funcref)
  (elem (table $t) (i32.const 0) func $one $two $three)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (i32.const 3))

  ;; [p, make()]; logs make() after the sleep.
  (func (export "extern_local") (param $p externref) (result externref externref)
    (local $m externref)
    (local.set $m (call $make))
    (call $sleep)
    (call $log_ref (local.get $m))
    (local.get $p)
    (local.get $m))

  ;; p, kept on the operand stack across the sleep.
  (func (export "extern_stack") (param $p externref) (result externref)
    (local.get $p)
    (call $sleep)
    (call $log_ref (call $make)))

  ;; Picks p or a null by a condition computed before the sleep.
  (func (export "extern_select") (param $p externref) (param $c i32) (result i32)
    (select (result externref) (local.get $p) (ref.null extern) (local.get $c))
    (call $sleep)
    (ref.is_null))

  ;; The i-th function, held in a local across the sleep, called through
  ;; table slot 0.
  (func (export "func_local") (param $i i32) (result i32)
    (local $f funcref)
    (local.set $f (table.get $t (local.get $i)))
    (call $sleep)
    (table.set $t (i32.const 0) (local.get $f))
    (call_indirect $t (type $ret) (i32.const 0)))

  ;; The same with the funcref on the operand stack.
  (func (export "func_stack") (param $i i32) (result i32)
    (i32.const 0)
    (table.get $t (local.get $i))
    (call $sleep)
    (table.set $t)
    (call_indirect $t (type $ret) (i32.const 0))))
