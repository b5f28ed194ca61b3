;; options: --imports env.sleep --fast-path=recursive
;; Only the function on a call cycle (`$countdown` calls itself) gets a
;; fast path: `$once`, which no cycle passes through, keeps one body.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $countdown (export "countdown") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $sleep) (call $countdown (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.const 7))))
  (func $once (export "once") (result i32)
    (call $sleep)
    (i32.const 1)))
