;; options: --fuel
;; `rewind.get_fuel` and `rewind.set_fuel` are resolved in place (same
;; function indices) to read and write the counter; they are not metered.
(module
  (import "rewind" "get_fuel" (func $get_fuel (result i64)))
  (import "rewind" "set_fuel" (func $set_fuel (param i64)))
  (memory 1)
  (func (export "grant") (param $extra i64) (result i64)
    (call $set_fuel (i64.add (call $get_fuel) (local.get $extra)))
    (call $get_fuel)))
