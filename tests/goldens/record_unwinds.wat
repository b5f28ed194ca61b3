;; options: --record-unwinds
;; Each instrumented function reports its id to `rewind.unwound` as it
;; saves its frame; the `rewind.unwound` custom section names the ids.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $inner (call $sleep))
  (func $outer (export "main") (call $inner)))
