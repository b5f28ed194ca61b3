;; A loop with two parameters carried by br_if back to its head, around
;; nested blocks with suspending calls; the exit value leaves through br.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (param $n i32) (result i32)
    (block $exit (result i32)
      (i32.const 0)   ;; accumulator
      (local.get $n)  ;; countdown
      (loop $l (param i32 i32) (result i32)
        ;; stack: acc n
        (block (param i32 i32) (result i32 i32)
          (call $sleep))
        ;; acc n -> acc' n' where acc' = acc + sleep_i32 * n, n' = n - 1
        (local.set $n)
        (i32.add (i32.mul (call $sleep_i32) (local.get $n)))
        (i32.sub (local.get $n) (i32.const 1))
        ;; loop while n' != 0, carrying (acc', n')
        (local.tee $n)
        (local.get $n)
        (br_if $l)
        (drop)
        (br $exit)))))
