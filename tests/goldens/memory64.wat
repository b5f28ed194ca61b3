;; A memory64 module: the data structure holds two i64, the save stack is
;; addressed with i64.
(module
  (import "env" "sleep" (func $sleep))
  (memory i64 1)
  (func (export "main") (param $p i64) (result i64)
    (call $sleep)
    (local.get $p)))
