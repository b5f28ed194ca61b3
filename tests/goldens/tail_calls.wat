;; options: --imports env.sleep
;; A tail call to a defined function that may suspend stays a tail call:
;; the callee's frame carries a tag after its call-site number, and the
;; caller, rewound, re-enters the function whose tag is on top. A tail
;; call to a suspending import becomes `call` + `return`; a tail call to a
;; function that cannot suspend stays a tail call.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $sleeper (param $n i32) (result i32)
    (call $sleep)
    (local.get $n))
  (func $pure (param $n i32) (result i32)
    (i32.add (local.get $n) (i32.const 1)))
  (func (export "to_sleeper") (param $n i32) (result i32)
    (return_call $sleeper (local.get $n)))
  (func (export "to_pure") (param $n i32) (result i32)
    (call $sleep)
    (return_call $pure (local.get $n)))
  (func (export "to_import")
    (return_call $sleep)))
