;; The arguments of a suspending import, seen again when the call is
;; repeated during the rewind: Binaryen keeps a call's arguments live across
;; it, so a host sees the same arguments both times.
(module
  (import "env" "sleep_take" (func $sleep_take (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $x i32) (result i32)
    (call $sleep_take (local.get $x))))
