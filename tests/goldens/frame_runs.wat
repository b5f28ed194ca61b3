;; options: --imports env.sleep
;; Locals of four types and a reference live across a suspension. The
;; frame is a row of runs, one stored type each (i64, f64, then the i32s:
;; the locals, the reference's side-table index and the call-site number),
;; written by one chain of `__rewind_save_T_N` calls and read back by one
;; of `__rewind_restore_T_N` calls, which return the run's values.
(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (global $out (mut i64) (i64.const 0))
  (func (export "main") (param $a i32) (param $b i64) (param $c f64) (param $d i32) (param $e i64) (param $r externref)
    (call $sleep)
    (global.set $out
      (i64.add
        (i64.add (local.get $b) (local.get $e))
        (i64.add
          (i64.extend_i32_u (i32.add (local.get $a) (local.get $d)))
          (i64.trunc_f64_s (local.get $c)))))
    (drop (ref.is_null (local.get $r)))))
