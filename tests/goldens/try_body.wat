;; options: --imports env.sleep
;; A suspension inside a legacy `try` body: the rewind re-enters the `try`
;; (its handler, which cannot suspend, stays where it is).
(module
  (import "env" "sleep" (func $sleep))
  (tag $e (param i32))
  (memory 1)
  (func (export "main") (param $x i32) (result i32)
    try (result i32)
      call $sleep
      local.get $x
      throw $e
    catch $e
      i32.const 1
      i32.add
    end))
