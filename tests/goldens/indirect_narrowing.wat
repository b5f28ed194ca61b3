;; options: --imports env.sleep
;; Indirect calls are narrowed by signature and table contents: the call
;; through type $pure_t reaches no suspending function and stays plain; the
;; call through $t can reach $sleepy and is instrumented.
(module
  (import "env" "sleep" (func $sleep))
  (type $t (func (param i32) (result i32)))
  (type $pure_t (func (param i64) (result i64)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sleepy $pure)
  (func $sleepy (type $t)
    (call $sleep)
    (local.get 0))
  (func $pure (type $pure_t)
    (i64.add (local.get 0) (i64.const 1)))
  (func $may_sleep (export "may_sleep") (param $x i32) (result i32)
    (call_indirect (type $t) (local.get $x) (i32.const 0)))
  (func $never_sleeps (export "never_sleeps") (param $x i64) (result i64)
    (call_indirect (type $pure_t) (local.get $x) (i32.const 1))))
