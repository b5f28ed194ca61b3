;; options: --imports env.sleep --propagate-add-list helper
;; `$helper` is instrumented and counts as suspending, so its caller `$main`
;; is instrumented too.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $helper (param $x i32)
    (call $log (local.get $x)))
  (func $main (export "main") (param $x i32) (result i32)
    (call $helper (local.get $x))
    (local.get $x)))
