;; options: --memory save
;; Two memories: the save stack lives in the one exported as `save` (the
;; second), not in the first.
(module
  (import "env" "sleep" (func $sleep))
  (memory $data 1)
  (memory $save (export "save") 1)
  (func (export "main") (param $x i32) (result i32)
    (i32.store $data (i32.const 0) (local.get $x))
    (call $sleep)
    (i32.load $data (i32.const 0))))
