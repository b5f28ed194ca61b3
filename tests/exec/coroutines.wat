;; A coroutine runtime written in wasm: `main` runs two tasks alternately by
;; unwinding out of one (`$yield` calls asyncify.start_unwind) and rewinding
;; the other (`$run` calls asyncify.start_rewind), each task with its own
;; data structure and save stack at 1024 * (t + 1).
;;
;; `$yield` is the top-most runtime and `$run` the bottom-most: neither is
;; instrumented; the tasks are. Task states live at 16 + 4t: 0 new,
;; 1 suspended, 2 done.
(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (global $current (mut i32) (i32.const 0))
  (global $rewinding (mut i32) (i32.const 0))
  (global $yielded (mut i32) (i32.const 0))

  (func $buf (param $t i32) (result i32)
    (i32.add (i32.const 1024) (i32.mul (local.get $t) (i32.const 1024))))

  (func $yield
    (local $b i32)
    (if (global.get $rewinding)
      (then
        (global.set $rewinding (i32.const 0))
        (call $stop_rewind))
      (else
        (local.set $b (call $buf (global.get $current)))
        (i32.store (local.get $b) (i32.add (local.get $b) (i32.const 8)))
        (i32.store offset=4 (local.get $b) (i32.add (local.get $b) (i32.const 1024)))
        (global.set $yielded (i32.const 1))
        (call $start_unwind (local.get $b)))))

  (func $task_a
    (local $i i32)
    (loop $l
      (call $log (i32.const 0) (local.get $i))
      (call $yield)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 3)))))

  (func $task_b
    (local $i i32)
    (loop $l
      (call $log (i32.const 1)
        (i32.add (local.get $i) (block (result i32) (call $yield) (i32.const 100))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 2)))))

  (func $state_addr (param $t i32) (result i32)
    (i32.add (i32.const 16) (i32.mul (local.get $t) (i32.const 4))))

  (func $run (param $t i32)
    (global.set $current (local.get $t))
    (if (i32.eq (i32.load (call $state_addr (local.get $t))) (i32.const 1))
      (then
        (global.set $rewinding (i32.const 1))
        (call $start_rewind (call $buf (local.get $t)))))
    (if (local.get $t)
      (then (call $task_b))
      (else (call $task_a)))
    (if (global.get $yielded)
      (then
        (global.set $yielded (i32.const 0))
        (call $stop_unwind)
        (i32.store (call $state_addr (local.get $t)) (i32.const 1)))
      (else
        (i32.store (call $state_addr (local.get $t)) (i32.const 2)))))

  (func $done (param $t i32) (result i32)
    (i32.eq (i32.load (call $state_addr (local.get $t))) (i32.const 2)))

  (func (export "main") (result i32)
    (local $rounds i32)
    (loop $l
      (if (i32.eqz (call $done (i32.const 0))) (then (call $run (i32.const 0))))
      (if (i32.eqz (call $done (i32.const 1))) (then (call $run (i32.const 1))))
      (local.set $rounds (i32.add (local.get $rounds) (i32.const 1)))
      (br_if $l (i32.eqz (i32.and (call $done (i32.const 0)) (call $done (i32.const 1))))))
    (local.get $rounds)))
