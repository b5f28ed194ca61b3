;; The condition of an `if` is a local that the taken arm changes before
;; suspending: the rewind must take the arm taken originally, not re-read
;; the local.
(module
  (import "env" "sleep" (func $sleep))
  (memory (export "memory") 1)
  (func (export "no_result") (param $c i32) (result i32)
    (if (local.get $c)
      (then (local.set $c (i32.const 0)) (call $sleep)))
    (local.get $c))
  (func (export "with_result") (param $c i32) (result i32)
    (if (result i32) (local.get $c)
      (then (i32.const 1))
      (else (local.set $c (i32.const 1)) (call $sleep) (i32.const 2)))))
