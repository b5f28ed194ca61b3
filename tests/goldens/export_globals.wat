;; options: --export-globals
;; `__asyncify_state` and `__asyncify_data` are exported.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "main")
    (call $sleep)))
