;; options: --imports env.sleep
;; A handler that rethrows its own exception after a suspension cannot be
;; moved out of its `try`: it unwinds normally, and a rewind toward the
;; site inside it traps in `__rewind_resume_in_catch_with_rethrow`. The
;; `rethrow` depth is recomputed after the guards wrap it.
(module
  (import "env" "sleep" (func $sleep))
  (tag $e)
  (memory 1)
  (func (export "main")
    try
      throw $e
    catch $e
      call $sleep
      rethrow 0
    end))
