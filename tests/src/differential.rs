//! Differential execution: run the original module (the oracle) and the
//! instrumented module under every suspension policy and option set, and
//! require identical traces. Both run on one engine: the first that runs
//! both ([`EngineKind::for_modules`]).
//!
//! ```text
//! let oracle = Exec::file("one_sleep").call("main", &[Value::I32(5)]).run();
//! assert_eq!(oracle.returned(), [Value::I32(15)]); // derived by hand
//! ```

use rewind_transform::{FastPath, Options};

use crate::driver::{Call, RunConfig, run};
use crate::engine::EngineKind;
use crate::host::{Mode, glob};
use crate::instrument::{instrument, load, package_dir, validate};
use crate::policy::Policy;
use crate::trace::{Outcome, Trace};
use crate::value::Value;

/// The option sets every execution test is instrumented with by default:
/// only `env.sleep*` suspends (with the ABI globals exported, which the
/// driver then cross-checks), the same with a fast path and frames
/// restored by inline loads, and with a fast path for the functions on
/// call cycles, and Binaryen's default (every import may suspend).
pub fn default_option_sets() -> Vec<(String, Options)> {
    vec![
        (
            "--imports env.sleep* --export-globals".to_string(),
            Options {
                imports: Some(vec!["env.sleep*".to_string()]),
                export_globals: true,
                ..Options::default()
            },
        ),
        (
            "--imports env.sleep* --fast-path --no-multivalue".to_string(),
            Options {
                imports: Some(vec!["env.sleep*".to_string()]),
                fast_path: FastPath::All,
                no_multivalue: true,
                ..Options::default()
            },
        ),
        (
            "--imports env.sleep* --fast-path=recursive".to_string(),
            Options {
                imports: Some(vec!["env.sleep*".to_string()]),
                fast_path: FastPath::Recursive,
                ..Options::default()
            },
        ),
        ("(defaults)".to_string(), Options::default()),
    ]
}

/// A differential execution test.
#[derive(Debug, Clone)]
pub struct Exec {
    name: String,
    wasm: Vec<u8>,
    calls: Vec<Call>,
    option_sets: Vec<(String, Options)>,
    policies: Vec<Policy>,
    capacity: Option<u64>,
    suspending: Vec<String>,
    expect_suspension: bool,
}

impl Exec {
    /// The program `tests/exec/NAME.wat`.
    pub fn file(name: &str) -> Self {
        let path = package_dir().join("exec").join(format!("{name}.wat"));
        Self::bytes(name, load(&path))
    }

    /// A program given as a binary (or text) module.
    pub fn bytes(name: &str, wasm: Vec<u8>) -> Self {
        Self {
            name: name.to_string(),
            wasm,
            calls: Vec::new(),
            option_sets: default_option_sets(),
            policies: Policy::standard(),
            capacity: None,
            suspending: vec!["env.sleep*".to_string()],
            expect_suspension: true,
        }
    }

    /// Adds a top-level call.
    pub fn call(mut self, export: &str, args: &[Value]) -> Self {
        self.calls.push(Call::new(export, args));
        self
    }

    /// Replaces the option sets.
    pub fn options(mut self, sets: Vec<(String, Options)>) -> Self {
        self.option_sets = sets;
        self
    }

    /// Replaces the policies.
    pub fn policies(mut self, policies: Vec<Policy>) -> Self {
        self.policies = policies;
        self
    }

    /// Sets the save-stack capacity.
    pub fn capacity(mut self, bytes: u64) -> Self {
        self.capacity = Some(bytes);
        self
    }

    /// The program makes no top-level call of a suspending import (so
    /// `Always` cannot suspend); without this, such a program fails the
    /// test as vacuous.
    pub fn no_suspension_expected(mut self) -> Self {
        self.expect_suspension = false;
        self
    }

    /// The original module.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The calls.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// A run configuration with this test's settings, on the engine of
    /// the original module.
    pub fn config(&self, mode: Mode, policy: Policy) -> RunConfig {
        let mut cfg = RunConfig::new(mode, policy);
        cfg.capacity = self.capacity;
        cfg.suspending = self.suspending.clone();
        cfg.engine = Some(EngineKind::for_module(&self.wasm));
        cfg
    }

    /// The engine the original module runs on.
    pub fn engine(&self) -> EngineKind {
        EngineKind::for_module(&self.wasm)
    }

    /// Instruments the program; panics with the transform's error.
    pub fn instrumented(&self, options: &Options) -> Vec<u8> {
        let out = instrument(&self.wasm, options)
            .unwrap_or_else(|e| panic!("[{}] the transform failed:\n{e}", self.name));
        if let Err(e) = validate(&out.wasm) {
            panic!(
                "[{}] the transform's output does not validate: {e}",
                self.name
            );
        }
        out.wasm
    }

    /// Runs the original module once and returns its trace.
    pub fn oracle(&self) -> Trace {
        self.oracle_on(self.engine())
    }

    /// Runs the original module once on `engine` and returns its trace.
    fn oracle_on(&self, engine: EngineKind) -> Trace {
        let mut cfg = self.config(Mode::Original, Policy::Never);
        cfg.engine = Some(engine);
        let trace = run(&self.wasm, &cfg, &self.calls)
            .unwrap_or_else(|e| panic!("[{}] the original does not run: {e:#}", self.name));
        if let Some(Outcome::Protocol(m)) = trace.last_outcome() {
            panic!(
                "[{}] protocol violation in the original run: {m}",
                self.name
            );
        }
        trace
    }

    /// Runs the instrumented module `wasm` under `policy`, on the engine
    /// that runs it and the original.
    pub fn run_instrumented(&self, wasm: &[u8], policy: Policy) -> Trace {
        let mut cfg = self.config(Mode::Instrumented, policy.clone());
        cfg.engine = Some(EngineKind::for_modules(&[&self.wasm, wasm]));
        run(wasm, &cfg, &self.calls).unwrap_or_else(|e| {
            panic!(
                "[{}] the instrumented module does not run under {policy:?}: {e:#}",
                self.name
            )
        })
    }

    fn suspending_calls(&self, trace: &Trace) -> u64 {
        trace.top_level_calls(|n| self.suspending.iter().any(|p| glob(p, n)))
    }

    /// Runs the differential test and returns the oracle's trace, for
    /// hand-derived assertions on top.
    pub fn run(self) -> Trace {
        let first = self.oracle();
        let opportunities = self.suspending_calls(&first);
        if self.expect_suspension {
            assert!(
                opportunities > 0,
                "[{}] vacuous test: the program never calls a suspending import at top level\n{first:?}",
                self.name
            );
        }
        // The oracle of each engine an instrumented module needs.
        let mut oracles = vec![(self.engine(), first.clone())];
        for (label, options) in &self.option_sets {
            let wasm = self.instrumented(options);
            let engine = EngineKind::for_modules(&[&self.wasm, &wasm]);
            if !oracles.iter().any(|(e, _)| *e == engine) {
                oracles.push((engine, self.oracle_on(engine)));
            }
            let oracle = &oracles.iter().find(|(e, _)| *e == engine).expect("added").1;
            for policy in &self.policies {
                let trace = self.run_instrumented(&wasm, policy.clone());
                let context = || {
                    format!(
                        "[{}] options {label}, policy {policy:?}\n--- oracle {oracle:?}--- instrumented {trace:?}",
                        self.name
                    )
                };
                if let Err(d) = trace.diff(oracle) {
                    panic!("{d}\n{}", context());
                }
                let expected = match policy {
                    Policy::Never => Some(0),
                    Policy::Always => Some(opportunities),
                    _ => None,
                };
                if let Some(n) = expected {
                    assert_eq!(trace.suspensions, n, "suspension count\n{}", context());
                }
            }
        }
        first
    }

    /// Runs only the instrumented module (for programs whose original
    /// cannot run, like guest runtimes importing `asyncify.*`), under every
    /// option set and policy; all traces must agree (memory excepted).
    /// Returns the first, without memory.
    pub fn run_instrumented_only(self) -> Trace {
        let mut first: Option<Trace> = None;
        for (label, options) in &self.option_sets {
            let wasm = self.instrumented(options);
            for policy in &self.policies {
                let trace = self.run_instrumented(&wasm, policy.clone());
                if let Some(Outcome::Protocol(m)) = trace.last_outcome() {
                    panic!(
                        "[{}] options {label}, policy {policy:?}: {m}\n{trace:?}",
                        self.name
                    );
                }
                // Guest runtimes keep their save stacks in the program's
                // memory, and frame layouts differ between option sets: compare
                // events and globals only.
                let mut trace = trace;
                trace.memory.clear();
                match &first {
                    None => first = Some(trace),
                    Some(f) => {
                        if let Err(d) = trace.diff(f) {
                            panic!(
                                "[{}] options {label}, policy {policy:?}: {d}\n{trace:?}",
                                self.name
                            );
                        }
                    }
                }
            }
        }
        first.expect("at least one option set and policy")
    }
}
