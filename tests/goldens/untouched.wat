;; options: --imports env.sleep
;; `$pure` cannot reach a suspension and must come out byte-identical;
;; `$sleeper` is instrumented.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $pure (export "pure") (param $x i32) (param $y i32) (result i32)
    (local $t i32)
    (local.set $t (i32.mul (local.get $x) (local.get $y)))
    (if (result i32) (i32.gt_s (local.get $t) (i32.const 100))
      (then (i32.sub (local.get $t) (i32.load (i32.const 8))))
      (else (i32.add (local.get $t) (local.get $x)))))
  (func $sleeper (export "sleeper")
    (call $sleep)))
