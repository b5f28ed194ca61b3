;; options: --only-list inner,outer --asserts
;; `middle` is missing from the list: it checks the state on entry and after
;; its call to the instrumented `inner`, and traps in
;; `__rewind_not_instrumented` with its name id and the callee's; `outer`
;; (left unchanged: its callee does not suspend under the list) has no
;; checked call and no checks.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $inner (call $sleep))
  (func $middle (call $inner))
  (func $outer (export "main") (call $middle)))
