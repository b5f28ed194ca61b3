;; options: --imports env.sleep
;; A `br_on_null` between two suspensions, with a value below its
;; reference: a taken branch carries the value to its label, so it is put
;; back on the stack before the branch (and spilled at the next call)
;; instead of being reloaded from `$x` after it.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func (export "on_null") (param $x i32) (param $f funcref) (result i32)
    (block $null (result i32)
      (local.get $x)
      (local.get $f)
      (call $sleep)
      (br_on_null $null)
      (call $sleep)
      (drop)
      (i32.const 100)
      (i32.add)))
)
