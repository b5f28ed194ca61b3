;; Dispatch through a table: one signature has suspending members, another
;; has none (signature narrowing should leave its call sites alone).
(module
  (import "env" "yield_now" (func $yield))
  (import "env" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "indirect done")

  (type $unary (func (param i32) (result i32)))
  (type $binary (func (param i32 i32) (result i32)))

  (table 6 funcref)
  (elem (i32.const 0) $double $inc_yield $square $neg_yield $add $mul)

  (func $double (type $unary) (i32.shl (local.get 0) (i32.const 1)))
  (func $inc_yield (type $unary) (call $yield) (i32.add (local.get 0) (i32.const 1)))
  (func $square (type $unary) (i32.mul (local.get 0) (local.get 0)))
  (func $neg_yield (type $unary) (call $yield) (i32.sub (i32.const 0) (local.get 0)))
  (func $add (type $binary) (i32.add (local.get 0) (local.get 1)))
  (func $mul (type $binary) (i32.mul (local.get 0) (local.get 1)))

  (func $apply (param $f i32) (param $x i32) (result i32)
    (call_indirect (type $unary) (local.get $x) (local.get $f)))

  (func $combine (param $f i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $binary) (local.get $a) (local.get $b)
      (i32.add (i32.const 4) (i32.and (local.get $f) (i32.const 1)))))

  (func (export "run") (result i32)
    (local $i i32) (local $acc i32)
    (local.set $acc (i32.const 1))
    (loop $next
      (local.set $acc
        (call $combine
          (local.get $i)
          (call $apply (i32.rem_u (local.get $i) (i32.const 4))
            (i32.and (local.get $acc) (i32.const 0xffff)))
          (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 64))))
    (call $log (i32.const 1) (i32.const 32) (i32.const 13))
    (local.get $acc))
)
