//! Differential fuzzing with `wasm-smith`: random valid modules run original
//! and instrumented under wasmi, the instrumented run suspending at seeded
//! import calls, and everything observable is compared.
//!
//! The smoke run (`cargo test`) covers `REWIND_FUZZ_CASES` cases (default
//! 500) from seed `REWIND_FUZZ_SEED` (default 0). A long run:
//!
//! ```text
//! REWIND_FUZZ_SEED=1000000 REWIND_FUZZ_CASES=20000 cargo test --release -p rewind-tests fuzz
//! ```
//!
//! A mismatch writes the module to `tests/fuzz-failures/SEED.{wasm,wat}` and
//! prints a regression test to paste into this file.
//!
//! Each case varies: the import policy (all imports suspend, or a list),
//! `--ignore-indirect` on modules without indirect calls, an only-list that
//! names every function, the suspension policy, and one case in eight gets a save stack of a few bytes
//! so that overflow is exercised: then the instrumented run must either match
//! or stop with a clean save-stack overflow (the driver checks that nothing
//! outside the save stack was written), and everything before must match.

use arbitrary::Unstructured;
use rewind_tests::driver::{Call, RunConfig, run};
use rewind_tests::{Mode, Outcome, Policy, trace::Event};
use rewind_transform::{Error, Options};

/// The memory the harness adds for the save stack, so the program's own
/// memories never share bytes with it.
const SAVE_MEMORY: &str = "__rewind_save";

/// Imports generated modules may use. `env.sleep*` may suspend.
const IMPORTS: &str = r#"
(module
  (import "env" "sleep" (func))
  (import "env" "sleep_i32" (func (param i32) (result i32)))
  (import "env" "sleep_pair" (func (param i64 f32) (result f64 i32)))
  (import "env" "plain" (func (param i32) (result i32)))
)"#;

/// SplitMix64: a small deterministic generator for case parameters.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Case {
    wasm: Vec<u8>,
    options: Options,
    suspending: Vec<String>,
    policy: Policy,
    capacity: Option<u64>,
}

/// The module and parameters of case `seed`, or `None` when wasm-smith
/// cannot build a module from the seed's bytes.
fn generate(seed: u64) -> Option<Case> {
    let mut rng = Rng(seed ^ 0x5eed_f00d);
    let mut bytes = vec![0u8; 1024 + rng.below(8192) as usize];
    bytes.iter_mut().for_each(|b| *b = rng.next() as u8);
    let config = wasm_smith::Config {
        available_imports: Some(wat::parse_str(IMPORTS).ok()?),
        export_everything: true,
        canonicalize_nans: true,
        // Features wasmi runs and the transform supports or rejects cleanly.
        gc_enabled: false,
        exceptions_enabled: false,
        threads_enabled: false,
        relaxed_simd_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        tail_call_enabled: rng.below(4) == 0,
        min_funcs: 1,
        max_funcs: 12,
        max_instructions: 80,
        max_nesting_depth: 6,
        max_memories: 2,
        max_tables: 2,
        max_memory32_bytes: 1 << 20,
        max_memory64_bytes: 1 << 20,
        max_table_elements: 100,
        max_data_segments: 4,
        ..wasm_smith::Config::default()
    };
    let mut module = wasm_smith::Module::new(config, &mut Unstructured::new(&bytes)).ok()?;
    module.ensure_termination(5_000).ok()?;
    let (wasm, indirect) = with_save_memory(&module.to_bytes())?;

    let (imports, suspending) = match rng.below(3) {
        0 => (None, vec!["env.*".to_string()]),
        1 => (
            Some(vec!["env.sleep*".to_string()]),
            vec!["env.sleep*".to_string()],
        ),
        _ => (
            Some(vec!["env.sleep_i32".to_string()]),
            vec!["env.sleep_i32".to_string()],
        ),
    };
    let mut options = Options {
        imports,
        memory: Some(SAVE_MEMORY.into()),
        ..Options::default()
    };
    match rng.below(4) {
        // Sound only without indirect calls.
        0 if !indirect => options.ignore_indirect = true,
        // Every function listed: all that can suspend are instrumented.
        1 => options.only_list = Some(vec!["f*".to_string()]),
        _ => {}
    }
    let policy = match rng.below(4) {
        0 => Policy::Always,
        1 => Policy::EveryOther { first: false },
        _ => Policy::Random {
            seed,
            percent: 1 + rng.below(99) as u8,
        },
    };
    let capacity = (rng.below(8) == 0).then(|| rng.below(48));
    Some(Case {
        wasm,
        options,
        suspending,
        policy,
        capacity,
    })
}

/// Adds a one-page memory exported as [`SAVE_MEMORY`].
/// Adds a one-page memory exported as [`SAVE_MEMORY`] and names every
/// defined function `fN` (so function lists can name them). Also says
/// whether the module makes indirect calls.
fn with_save_memory(wasm: &[u8]) -> Option<(Vec<u8>, bool)> {
    let mut module = walrus::ModuleConfig::new().parse(wasm).ok()?;
    let memory = module.memories.add_local(false, false, 1, None, None);
    module.exports.add(SAVE_MEMORY, memory);
    for func in module.funcs.iter_mut() {
        if let walrus::FunctionKind::Local(_) = func.kind {
            func.name = Some(format!("f{}", func.id().index()));
        }
    }
    let indirect = makes_indirect_calls(wasm);
    Some((module.emit_wasm(), indirect))
}

/// Whether any function body makes an indirect call.
fn makes_indirect_calls(wasm: &[u8]) -> bool {
    use wasmparser::{Operator, Payload};
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .flatten()
        .any(|payload| {
            let Payload::CodeSectionEntry(body) = payload else {
                return false;
            };
            let Ok(mut ops) = body.get_operators_reader() else {
                return true;
            };
            while !ops.eof() {
                match ops.read() {
                    Ok(
                        Operator::CallIndirect { .. }
                        | Operator::ReturnCallIndirect { .. }
                        | Operator::CallRef { .. }
                        | Operator::ReturnCallRef { .. },
                    )
                    | Err(_) => return true,
                    Ok(_) => {}
                }
            }
            false
        })
}

/// Every exported function, called once with zero arguments, in export order.
fn calls(wasm: &[u8]) -> Vec<Call> {
    let mut calls = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(wasmparser::Payload::ExportSection(reader)) = payload else {
            continue;
        };
        for export in reader.into_iter().flatten() {
            if export.kind == wasmparser::ExternalKind::Func {
                calls.push(Call::new(export.name, &[]));
            }
        }
    }
    calls
}

#[derive(Debug, Default)]
struct Tally {
    compared: u64,
    suspensions: u64,
    import_calls: u64,
    overflows: u64,
    unsupported: u64,
    not_runnable: u64,
}

/// Runs case `seed`; `Err` describes a mismatch.
fn check(seed: u64, tally: &mut Tally) -> Result<(), String> {
    let Some(case) = generate(seed) else {
        tally.not_runnable += 1;
        return Ok(());
    };
    let out = match rewind_transform::asyncify(&case.wasm, &case.options) {
        Ok(out) => out,
        Err(Error::Unsupported { .. }) => {
            tally.unsupported += 1;
            return Ok(());
        }
        Err(e) => {
            return Err(format!(
                "transform failed: {e}: {:?}",
                std::error::Error::source(&e)
            ));
        }
    };
    let calls = calls(&case.wasm);
    let mut cfg = RunConfig::new(Mode::Original, Policy::Never);
    cfg.memory_export = SAVE_MEMORY.into();
    cfg.suspending = case.suspending.clone();
    cfg.continue_after_trap = true;
    let oracle = match run(&case.wasm, &cfg, &calls) {
        Ok(trace) => trace,
        // A start function that traps leaves nothing to compare.
        Err(e) if format!("{e:#}").contains("instantiation failed") => {
            tally.not_runnable += 1;
            return Ok(());
        }
        Err(e) => return Err(format!("original: {e:#}")),
    };
    cfg.mode = Mode::Instrumented;
    cfg.policy = case.policy.clone();
    cfg.capacity = case.capacity;
    let got = run(&out.wasm, &cfg, &calls).map_err(|e| format!("instrumented: {e:#}"))?;
    tally.compared += 1;
    tally.suspensions += got.suspensions;
    tally.import_calls += got.imports().len() as u64;
    if std::env::var("REWIND_FUZZ_VERBOSE").is_ok() {
        println!(
            "seed {seed}: {:?} imports {} suspensions {}",
            case.policy,
            got.imports().len(),
            got.suspensions
        );
    }
    if let Some(Event::Finished {
        outcome: Outcome::SaveStackOverflow { .. },
        ..
    }) = got.events.last()
    {
        // Overflow is allowed with a tiny save stack; what came before must match.
        tally.overflows += 1;
        let before = got.events.len() - 1;
        if case.capacity.is_none()
            || got.events[..before] != oracle.events[..before.min(oracle.events.len())]
        {
            return Err(format!("overflow with capacity {:?}", case.capacity));
        }
        return Ok(());
    }
    got.diff(&oracle)
}

fn report_failure(seed: u64, why: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    if let Some(case) = generate(seed) {
        let _ = std::fs::write(dir.join(format!("{seed}.wasm")), &case.wasm);
        if let Ok(text) = wasmprinter::print_bytes(&case.wasm) {
            let _ = std::fs::write(dir.join(format!("{seed}.wat")), text);
        }
    }
    format!(
        "seed {seed}: {why}\n  module: tests/fuzz-failures/{seed}.wasm\n  regression test:\n\n\
         #[test]\n fn fuzz_regression_{seed}() {{\n    check({seed}, &mut Tally::default()).unwrap();\n}}\n"
    )
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` on a thread with a generous stack: generation, parsing and the
/// debug-build interpreter recurse deeply on some modules.
fn with_big_stack(f: fn()) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawn the fuzz thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn fuzz_differential_smoke() {
    with_big_stack(smoke);
}

fn smoke() {
    let first = env_u64("REWIND_FUZZ_SEED", 0);
    let cases = env_u64("REWIND_FUZZ_CASES", 500);
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for seed in first..first + cases {
        if let Err(why) = check(seed, &mut tally) {
            failures.push(report_failure(seed, &why));
        }
    }
    println!("fuzz: seeds {first}..{} {tally:?}", first + cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The run must exercise the transform, not only generate modules.
    assert!(
        tally.compared * 2 > cases,
        "too few cases compared: {tally:?}"
    );
    assert!(
        tally.suspensions * 20 > cases,
        "too few suspensions: {tally:?}"
    );
}

/// Cases that once failed. These suspend about a thousand times; the
/// harness's hang guard used to run out of fuel on their rewind paths.
#[test]
fn fuzz_regressions() {
    with_big_stack(regressions);
}

fn regressions() {
    for seed in [1_000_053, 1_002_505, 1_010_554] {
        let mut tally = Tally::default();
        check(seed, &mut tally).unwrap_or_else(|why| panic!("seed {seed}: {why}"));
        assert!(
            tally.suspensions > 100,
            "seed {seed} no longer suspends: {tally:?}"
        );
    }
}
