//! A seeded generator of random, valid, terminating test programs for
//! differential smoke runs: nested blocks, loops, ifs, branches carrying
//! values, `select`, `local.tee`, multi-value blocks, values of every number
//! type and v128 held on the operand stack, calls between functions, and
//! suspending calls (`env.sleep`, `env.sleep_i32`) anywhere in expressions.
//!
//! Programs terminate: loops run at most three times on a dedicated counter
//! and functions only call lower-numbered functions. Suspending imports get
//! no arguments (see `RunConfig::check_rewind_args`).

use std::fmt::Write;

/// Generator state.
#[derive(Debug)]
pub struct Gen {
    rng: u64,
    func: usize,
    loop_depth: usize,
    label: usize,
}

const LOCALS: usize = 3;
const MAX_LOOPS: usize = 2;

impl Gen {
    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn fresh_label(&mut self) -> String {
        self.label += 1;
        format!("$L{}", self.label)
    }

    fn local(&mut self) -> String {
        match self.below(LOCALS as u64 + 2) {
            0 => "$p0".to_string(),
            1 => "$p1".to_string(),
            n => format!("$l{}", n - 2),
        }
    }

    /// An i32 expression of at most `depth` levels.
    fn expr(&mut self, depth: u32) -> String {
        if depth == 0 {
            return match self.below(4) {
                0 => format!("(i32.const {})", self.below(100) as i32 - 20),
                1 => "(call $sleep_i32)".to_string(),
                _ => format!("(local.get {})", self.local()),
            };
        }
        let d = depth - 1;
        match self.below(19) {
            0 => format!("(i32.const {})", self.below(1000)),
            1 | 2 => "(call $sleep_i32)".to_string(),
            3 => format!("(local.get {})", self.local()),
            4 => {
                let op = ["i32.add", "i32.sub", "i32.mul", "i32.xor"][self.below(4) as usize];
                format!("({op} {} {})", self.expr(d), self.expr(d))
            }
            5 => format!("(block (result i32) {} {})", self.stmts(d), self.expr(d)),
            6 => format!(
                "(if (result i32) {} (then {} {}) (else {} {}))",
                self.expr(d),
                self.stmts(d),
                self.expr(d),
                self.stmts(d),
                self.expr(d)
            ),
            7 => format!(
                "(select {} {} {})",
                self.expr(d),
                self.expr(d),
                self.expr(d)
            ),
            8 => format!("(local.tee {} {})", self.local(), self.expr(d)),
            9 if self.func > 0 => {
                let callee = self.below(self.func as u64);
                format!("(call $f{callee} {} {})", self.expr(d), self.expr(d))
            }
            10 => {
                let b = self.fresh_label();
                format!(
                    "(block {b} (result i32) {} (drop (br_if {b} {} {})) {} {})",
                    self.stmts(d),
                    self.expr(d),
                    self.expr(d),
                    self.stmts(d),
                    self.expr(d)
                )
            }
            11 if self.loop_depth < MAX_LOOPS => {
                let c = format!("$c{}", self.loop_depth);
                let l = self.fresh_label();
                self.loop_depth += 1;
                let body = self.stmts(d);
                let value = self.expr(d);
                self.loop_depth -= 1;
                format!(
                    "(block (result i32) (local.set {c} (i32.const 0)) \
                     (loop {l} {body} \
                       (br_if {l} (i32.lt_u (local.tee {c} (i32.add (local.get {c}) (i32.const 1))) (i32.const 3)))) \
                     {value})"
                )
            }
            12 => {
                let (a, b) = (self.fresh_label(), self.fresh_label());
                format!(
                    "(block {a} (result i32) (i32.add (block {b} (result i32) \
                       (br_table {b} {a} {} (i32.and {} (i32.const 1)))) (i32.const 1)))",
                    self.expr(d),
                    self.expr(d)
                )
            }
            13 => format!(
                "(i32.wrap_i64 (i64.add (i64.extend_i32_s {}) (i64.mul (i64.const 4294967311) (i64.extend_i32_u {}))))",
                self.expr(d),
                self.expr(d)
            ),
            14 => format!(
                "(i32.trunc_sat_f64_s (f64.add (f64.convert_i32_s {}) (f64.mul (f64.const 0.5) (f64.convert_i32_s {}))))",
                self.expr(d),
                self.expr(d)
            ),
            15 => format!(
                "(i32.trunc_sat_f32_s (f32.sub (f32.convert_i32_s {}) (f32.convert_i32_s {})))",
                self.expr(d),
                self.expr(d)
            ),
            16 => format!(
                "(i32x4.extract_lane {} (i32x4.add (i32x4.splat {}) (i32x4.replace_lane 2 (i32x4.splat {}) {})))",
                self.below(4),
                self.expr(d),
                self.expr(d),
                self.expr(d)
            ),
            17 => format!(
                "(i32.sub (block (result i32 i32) {} {} {}))",
                self.expr(d),
                self.stmts(d),
                self.expr(d)
            ),
            _ => format!("(i32.load (i32.and {} (i32.const 252)))", self.expr(d)),
        }
    }

    /// Zero to two statements.
    fn stmts(&mut self, depth: u32) -> String {
        let n = self.below(3);
        let mut s = String::new();
        for _ in 0..n {
            let st = match self.below(7) {
                0 | 1 => format!("(local.set {} {})", self.local(), self.expr(depth)),
                2 => format!("(call $log {})", self.expr(depth)),
                3 => "(call $sleep)".to_string(),
                4 => format!("(global.set $g {})", self.expr(depth)),
                5 => format!(
                    "(i32.store (i32.and {} (i32.const 252)) {})",
                    self.expr(depth),
                    self.expr(depth)
                ),
                _ => format!("(drop {})", self.expr(depth)),
            };
            s.push_str(&st);
            s.push(' ');
        }
        s
    }

    /// A whole module with `funcs` functions; export `main (param i32)
    /// (result i32)` calls the last one.
    pub fn program(seed: u64, funcs: usize, depth: u32) -> String {
        let mut g = Gen {
            rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            func: 0,
            loop_depth: 0,
            label: 0,
        };
        let mut m = String::from(
            "(module\n\
             (import \"env\" \"sleep\" (func $sleep))\n\
             (import \"env\" \"sleep_i32\" (func $sleep_i32 (result i32)))\n\
             (import \"env\" \"log\" (func $log (param i32)))\n\
             (memory (export \"memory\") 1)\n\
             (global $g (export \"g\") (mut i32) (i32.const 0))\n",
        );
        for f in 0..funcs {
            g.func = f;
            let locals: String = (0..LOCALS).map(|i| format!("(local $l{i} i32) ")).collect();
            let counters: String = (0..MAX_LOOPS)
                .map(|i| format!("(local $c{i} i32) "))
                .collect();
            let body = format!("{} {}", g.stmts(depth), g.expr(depth));
            let _ = writeln!(
                m,
                "(func $f{f} (param $p0 i32) (param $p1 i32) (result i32) {locals}{counters}\n  {body})"
            );
        }
        let _ = writeln!(
            m,
            "(func (export \"main\") (param i32) (result i32) (call $f{} (local.get 0) (i32.const 7))))",
            funcs - 1
        );
        m
    }
}
