;; options: --imports env.sleep,env.sleep_i32
;; A tail call inside a `try_table` body that becomes call + return (this
;; function also tail-calls an import, so none of its tail calls is kept)
;; is made after the body: a branch carries its operands out to a block
;; around the whole body, after which the call is made outside every
;; handler, so its exceptions pass them by as the tail call's did.
(module
  (import "env" "sleep" (func $sleep))
  (import "env" "sleep_i32" (func $sleep_i32 (result i32)))
  (memory 1)
  (tag $e)
  (func $sleeper (param $n i32) (result i32)
    (call $sleep)
    (local.get $n))
  (func (export "tail_in_try") (param $n i32) (result i32)
    (block $h
      (try_table (catch $e $h)
        (if (local.get $n)
          (then (return_call $sleeper (local.get $n))))
        (return_call $sleep_i32)))
    (i32.const -1))
)
