;; options: --only-list main
;; Exactly `$main` is instrumented; `$other` also calls env.sleep but is
;; left alone.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (param $x i32) (result i32)
    (call $sleep)
    (local.get $x))
  (func $other (export "other") (param $x i32) (result i32)
    (call $sleep)
    (local.get $x)))
