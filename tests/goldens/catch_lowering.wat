;; options: --imports env.sleep
;; A `catch` and a `catch_all` handler that may suspend run after their
;; `try`, the caught value in a local; a `catch` that cannot suspend stays.
(module
  (import "env" "sleep" (func $sleep))
  (tag $e (param i32))
  (tag $f (param i64))
  (memory 1)
  (func (export "main") (param $x i32) (result i32)
    try (result i32)
      local.get $x
      throw $e
    catch $e
      call $sleep
    catch $f
      i32.wrap_i64
    catch_all
      call $sleep
      i32.const 2
    end))
