;; options: --imports env.sleep
;; Only `env.sleep` suspends: `$sleeper` is instrumented, `$logger` (calls
;; only `env.log`) is not.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (func $sleeper (export "sleeper") (param $x i32) (result i32)
    (call $sleep)
    (local.get $x))
  (func $logger (export "logger") (param $x i32)
    (call $log (local.get $x))))
