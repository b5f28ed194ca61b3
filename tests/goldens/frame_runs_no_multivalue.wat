;; options: --imports env.sleep --no-multivalue
;; The module of `frame_runs` with `--no-multivalue`: the frame is still
;; saved by the chain of `__rewind_save_T_N` calls (one result each), but
;; read back by inline loads from its start, so the output needs no
;; multi-value.
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
