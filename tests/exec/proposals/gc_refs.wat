;; GC references live across suspensions: a struct in a nullable and in a
;; non-nullable local, an array on the operand stack and in a local, i31
;; references, an anyref cast back after the suspension, and an i31ref
;; returned to the host.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (type $point (struct (field $x (mut i32)) (field $y i32)))
  (type $arr (array (mut i32)))

  ;; (a + 1) + sleep_i32().
  (func (export "struct_local") (param $a i32) (result i32)
    (local $p (ref null $point))
    (local.set $p (struct.new $point (local.get $a) (call $sleep_i32)))
    (call $sleep)
    (struct.set $point $x (local.get $p)
      (i32.add (struct.get $point $x (local.get $p)) (i32.const 1)))
    (i32.add (struct.get $point $x (local.get $p)) (struct.get $point $y (local.get $p))))

  ;; A non-nullable local: a * 2.
  (func (export "non_null_local") (param $a i32) (result i32)
    (local $q (ref $point))
    (local.set $q (struct.new $point (local.get $a) (local.get $a)))
    (call $sleep)
    (i32.add (struct.get $point $x (local.get $q)) (struct.get $point $y (local.get $q))))

  ;; An array on the operand stack: its length n.
  (func (export "array_stack") (param $n i32) (result i32)
    (array.new $arr (i32.const 7) (local.get $n))
    (call $sleep)
    (array.len))

  ;; An array in a local, written after the suspension: 1 + sleep_i32() + 3.
  (func (export "array_local") (result i32)
    (local $v (ref null $arr))
    (local.set $v (array.new_fixed $arr 3 (i32.const 1) (i32.const 2) (i32.const 3)))
    (call $sleep)
    (array.set $arr (local.get $v) (i32.const 1) (call $sleep_i32))
    (i32.add
      (array.get $arr (local.get $v) (i32.const 0))
      (i32.add
        (array.get $arr (local.get $v) (i32.const 1))
        (array.get $arr (local.get $v) (i32.const 2)))))

  ;; i31 references in a local and on the stack: x + 5.
  (func (export "i31") (param $x i32) (result i32)
    (local $r i31ref)
    (local.set $r (ref.i31 (local.get $x)))
    (ref.i31 (i32.const 5))
    (call $sleep)
    (i31.get_s)
    (i31.get_s (local.get $r))
    (i32.add))

  ;; A struct held as anyref, cast back after the suspension: a.
  (func (export "anyref_cast") (param $a i32) (result i32)
    (local $any anyref)
    (local.set $any (struct.new $point (local.get $a) (i32.const 0)))
    (call $sleep)
    (struct.get $point $x (ref.cast (ref $point) (local.get $any))))

  ;; An i31ref made before the suspension, returned to the host: x.
  (func (export "i31_result") (param $x i32) (result i31ref)
    (ref.i31 (local.get $x))
    (call $sleep)))
