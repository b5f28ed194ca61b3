;; A non-nullable reference on the operand stack across a suspending call,
;; in a function that also suspends before that value exists (minimised
;; from fuzz seed 236). Unwinding from the first sleep must not assume the
;; value's spill slot holds a reference yet. Returns the struct's field.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (type $s (struct (field i32)))
  (func (export "main") (result i32)
    (call $sleep)
    (struct.new $s (call $sleep_i32))
    (call $sleep)
    (struct.get $s 0)))
