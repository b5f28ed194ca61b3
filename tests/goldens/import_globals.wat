;; options: --import-globals
;; `__asyncify_state` and `__asyncify_data` are imported from `env` instead
;; of defined.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "main")
    (call $sleep)))
