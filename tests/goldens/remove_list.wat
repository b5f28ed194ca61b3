;; options: --remove-list quiet
;; `$quiet` calls env.sleep but is never instrumented, and calls to it are
;; assumed not to suspend: `$main` stays plain; `$loud` is instrumented.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $quiet
    (call $sleep))
  (func $main (export "main") (param $x i32) (result i32)
    (call $quiet)
    (local.get $x))
  (func $loud (export "loud")
    (call $sleep)))
