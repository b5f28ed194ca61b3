;; Two memories; the save stack goes to the one exported as `memory` (the
;; second), chosen with `--memory memory`. The program's data lives in the
;; first, which is only one page: a save stack put there would trap.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory $data (export "data") 1 1)
  (memory $save (export "memory") 1)
  (func (export "main") (param $x i32) (result i32)
    (local $y i32)
    (i32.store $data (i32.const 0) (local.get $x))
    (local.set $y (i32.add (local.get $x) (i32.const 1)))
    (call $sleep)
    (i32.add
      (i32.add (i32.load $data (i32.const 0)) (local.get $y))
      (call $sleep_i32))))
