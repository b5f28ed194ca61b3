;; options: --imports env.sleep --add-list helper
;; `$helper` cannot suspend but is instrumented anyway; its caller `$main`
;; is not affected.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $helper (param $x i32)
    (call $log (local.get $x)))
  (func $main (export "main") (param $x i32)
    (call $helper (local.get $x))))
