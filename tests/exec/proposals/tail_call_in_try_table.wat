;; Tail calls inside `try_table` bodies that become call + return (a
;; `return_call_ref` always does; so does every suspending tail call of a
;; function that also tail-calls an import): the callee's exception must
;; pass the caller's handlers by, as it does when the caller's frame is
;; gone, and be caught by the caller's caller.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory (export "memory") 1)
  (tag $e (param i32))
  (type $thrower (func (param i32) (result i32)))
  (elem declare func $sleepy_throw)

  ;; Sleeps; throws x + 100 when x is not 0, else returns 5.
  (func $sleepy_throw (type $thrower) (param $x i32) (result i32)
    (call $sleep)
    (if (local.get $x)
      (then (throw $e (i32.add (local.get $x) (i32.const 100)))))
    (i32.const 5))

  ;; return_call_ref from a try_table whose handler would give -1.
  (func $by_ref (param $x i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (call $sleep)
        (return_call_ref $thrower (local.get $x) (ref.func $sleepy_throw))))
    (drop)
    (i32.const -1))

  ;; return_call from two try_tables deep (handlers would give -2 and -3);
  ;; the import tail call makes this function's tail calls lowered.
  (func $direct (param $x i32) (result i32)
    (block $outer (result i32)
      (try_table (result i32) (catch $e $outer)
        (block $inner (result i32)
          (try_table (result i32) (catch $e $inner)
            (call $sleep)
            (if (i32.eq (local.get $x) (i32.const -1))
              (then (return_call $sleep_i32)))
            (return_call $sleepy_throw (local.get $x))))
        (drop)
        (return (i32.const -2))))
    (drop)
    (i32.const -3))

  ;; 1000 + what the callee let through, or its result.
  (func (export "by_ref") (param $x i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (return (call $by_ref (local.get $x)))))
    (i32.add (i32.const 1000)))

  (func (export "direct") (param $x i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (return (call $direct (local.get $x)))))
    (i32.add (i32.const 1000)))
)
