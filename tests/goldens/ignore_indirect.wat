;; options: --ignore-indirect
;; Indirect calls are assumed not to suspend: `$dispatch` is not
;; instrumented although the table holds a sleeping function.
(module
  (import "env" "sleep" (func $sleep))
  (type $t (func (param i32) (result i32)))
  (memory 1)
  (table 1 funcref)
  (elem (i32.const 0) $sleepy)
  (func $sleepy (type $t)
    (call $sleep)
    (local.get 0))
  (func $dispatch (export "dispatch") (param $x i32) (result i32)
    (call_indirect (type $t) (local.get $x) (i32.const 0))))
