;; options: --imports env.sleep --fast-path
;; A fast path: the function tests the state once and, in normal state,
;; runs a copy of its body with the guards folded (`state == NORMAL; if`
;; becomes a block, a site guard's skip disappears) and the unwind checks
;; after suspending calls kept; both copies branch to the one frame save.
;; `step` spills an operand across a call and suspends in a loop and an
;; `if`; `leaf` cannot suspend and stays as it is.
(module
  (import "env" "sleep" (func $sleep (param i32)))
  (memory 1)
  (func $leaf (param $x i32) (result i32)
    (i32.mul (local.get $x) (i32.const 3)))
  (func $step (export "step") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $again
      (local.set $acc
        (i32.add (call $leaf (local.get $i))
                 (block (result i32) (call $sleep (local.get $i)) (local.get $acc))))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 3)))
        (then (call $sleep (local.get $acc))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
