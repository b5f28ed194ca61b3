;; options: --imports env.sleep
;; Suspending calls in both arms of an if/else with a result; the rewind
;; must take the same arm.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "main") (param $c i32) (result i32)
    (if (result i32) (local.get $c)
      (then (call $sleep) (i32.const 1))
      (else (call $sleep) (i32.const 2)))))
