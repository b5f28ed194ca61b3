;; `call_ref` to a function that suspends, the typed function reference
;; held in a local across a suspension; the target is picked by a
;; parameter: one suspends, one does not.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (type $unary (func (param i32) (result i32)))
  (elem declare func $sleepy $plain)

  ;; x + sleep_i32().
  (func $sleepy (type $unary)
    (i32.add (local.get 0) (call $sleep_i32)))

  ;; 3x.
  (func $plain (type $unary)
    (i32.mul (local.get 0) (i32.const 3)))

  ;; f(x) + 1, where f is $sleepy when `which` is 0.
  (func (export "main") (param $x i32) (param $which i32) (result i32)
    (local $f (ref null $unary))
    (local.set $f
      (select (result (ref null $unary))
        (ref.func $plain) (ref.func $sleepy) (local.get $which)))
    (call $sleep)
    (i32.add (call_ref $unary (local.get $x) (local.get $f)) (i32.const 1))))
