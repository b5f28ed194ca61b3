//! Random modules for the differential fuzzers (`tests/tests/fuzz.rs`,
//! `tests/tests/fuzz_fuel.rs`): `wasm-smith` modules that call the harness's
//! `env.*` imports, terminate, and get a separate memory for the save stack;
//! plus the pieces of a fuzz case both fuzzers draw the same way (options,
//! suspension policy, the calls to make, the oracle run) and their
//! plumbing (failure files, environment knobs, a big stack).

use arbitrary::Unstructured;
use rewind_transform::{FastPath, Options};

use crate::driver::{Call, RunConfig, run};
use crate::engine::EngineKind;
use crate::host::Mode;
use crate::module_info::ModuleInfo;
use crate::policy::{Policy, Rng};
use crate::rejections::Rejections;
use crate::trace::{Event, Outcome, Trace};
use crate::value::Value;

/// The memory the harness adds for the save stack, so the program's own
/// memories never share bytes with it.
pub const SAVE_MEMORY: &str = "__rewind_save";

/// Imports generated modules may use. `env.sleep*` may suspend.
const IMPORTS: &str = r#"
(module
  (import "env" "sleep" (func))
  (import "env" "sleep_i32" (func (param i32) (result i32)))
  (import "env" "sleep_pair" (func (param i64 f32) (result f64 i32)))
  (import "env" "plain" (func (param i32) (result i32)))
)"#;

/// A generated module.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The module, with the save memory and function names added.
    pub wasm: Vec<u8>,
    /// Whether it makes indirect calls.
    pub indirect: bool,
}

/// The proposals a generated module may use (beyond the MVP, multi-value,
/// SIMD, bulk memory, multi-memory and memory64, which every module may).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposals {
    /// What wasmi runs: tail calls in one module in four, reference types
    /// (`funcref`/`externref`, several tables) when asked. The fuel fuzzer
    /// keeps to this: metering makes every loop a suspension point, and
    /// the transform rejects most reference-typed values live across one.
    Wasmi {
        /// Whether reference types are on.
        reference_types: bool,
    },
    /// Also exceptions (`try_table`, `throw`, `throw_ref`, `exnref`), GC
    /// and typed function references, and always tail calls: modules that
    /// run on wasmtime. (wasm-smith 0.245 generates no legacy exception
    /// handling.)
    All,
}

/// A module from `rng` that may use `proposals`, or `None` when wasm-smith
/// cannot build one from its bytes.
pub fn module(rng: &mut Rng, proposals: Proposals) -> Option<Generated> {
    let mut bytes = vec![0u8; 1024 + rng.below(8192) as usize];
    bytes.iter_mut().for_each(|b| *b = rng.next_u64() as u8);
    let some_tail_calls = rng.below(4) == 0;
    let (reference_types, all) = match proposals {
        Proposals::Wasmi { reference_types } => (reference_types, false),
        Proposals::All => (true, true),
    };
    let config = wasm_smith::Config {
        available_imports: Some(wat::parse_str(IMPORTS).ok()?),
        export_everything: true,
        canonicalize_nans: true,
        // Features the harness's engines run and the transform supports or
        // rejects cleanly.
        gc_enabled: all,
        exceptions_enabled: all,
        threads_enabled: false,
        relaxed_simd_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        reference_types_enabled: reference_types,
        tail_call_enabled: all || some_tail_calls,
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
    with_save_memory(&module.to_bytes())
}

/// The output of a transform of a fuzz case: `Ok(None)` when the transform
/// rejects the module as unsupported (counted in `rejections`, named with
/// `REWIND_FUZZ_VERBOSE`), `Err` when it fails otherwise (`what` names the
/// transform).
pub fn transformed(
    result: rewind_transform::Result<rewind_transform::Output>,
    what: &str,
    rejections: &mut Rejections,
) -> Result<Option<rewind_transform::Output>, String> {
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e) => match &e {
            rewind_transform::Error::Unsupported { construct, .. } => {
                if std::env::var("REWIND_FUZZ_VERBOSE").is_ok() {
                    println!("  unsupported: {e}");
                }
                rejections.note(construct);
                Ok(None)
            }
            _ => Err(format!(
                "{what} failed: {e}: {:?}",
                std::error::Error::source(&e)
            )),
        },
    }
}

/// Transform options and the matching suspending-import patterns: the
/// import policy (every import, `env.sleep*` or `env.sleep_i32`), and maybe
/// `ignore_indirect` (when sound) or an only-list naming every function.
pub fn options(rng: &mut Rng, indirect: bool) -> (Options, Vec<String>) {
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
    (options, suspending)
}

/// The fast path of the fuzz case `seed`: every function for odd seeds,
/// the functions on call cycles for half of the even ones (derived from
/// the seed, so that seeds keep their cases).
pub fn fast_path(seed: u64) -> FastPath {
    match (seed % 2, seed / 400 % 2) {
        (1, _) => FastPath::All,
        (_, 1) => FastPath::Recursive,
        _ => FastPath::Off,
    }
}

/// A suspension policy: always, every other call, or random (seeded by
/// `seed`).
pub fn policy(rng: &mut Rng, seed: u64) -> Policy {
    match rng.below(4) {
        0 => Policy::Always,
        1 => Policy::EveryOther { first: false },
        _ => Policy::Random {
            seed,
            percent: 1 + rng.below(99) as u8,
        },
    }
}

/// Adds a one-page memory exported as [`SAVE_MEMORY`] and names every
/// defined function `fN` (so function lists can name them). Also says
/// whether the module makes indirect calls.
fn with_save_memory(wasm: &[u8]) -> Option<Generated> {
    let mut module = walrus::ModuleConfig::new().parse(wasm).ok()?;
    let memory = module.memories.add_local(false, false, 1, None, None);
    module.exports.add(SAVE_MEMORY, memory);
    for func in module.funcs.iter_mut() {
        if let walrus::FunctionKind::Local(_) = func.kind {
            func.name = Some(format!("f{}", func.id().index()));
        }
    }
    Some(Generated {
        indirect: makes_indirect_calls(wasm),
        wasm: module.emit_wasm(),
    })
}

/// `wasm` with every exported function replaced, under the same export
/// name, by a wrapper that calls it: the same program, in which the
/// functions themselves are no longer exported (a host cannot call them,
/// which lets `rewind fuel` fold their entry checks; see the transform's
/// `parked_fuel.rs`). Wrappers are named `fN` like the other functions.
pub fn behind_wrappers(wasm: &[u8]) -> Option<Vec<u8>> {
    let mut module = walrus::ModuleConfig::new().parse(wasm).ok()?;
    let exported: Vec<(walrus::ExportId, walrus::FunctionId)> = module
        .exports
        .iter()
        .filter_map(|e| match e.item {
            walrus::ExportItem::Function(f)
                if matches!(module.funcs.get(f).kind, walrus::FunctionKind::Local(_)) =>
            {
                Some((e.id(), f))
            }
            _ => None,
        })
        .collect();
    for (export, func) in exported {
        let ty = module.types.get(module.funcs.get(func).ty()).clone();
        let params: Vec<walrus::LocalId> =
            ty.params().iter().map(|t| module.locals.add(*t)).collect();
        let mut builder =
            walrus::FunctionBuilder::new(&mut module.types, ty.params(), ty.results());
        let mut body = builder.func_body();
        for p in &params {
            body.local_get(*p);
        }
        body.call(func);
        let wrapper = builder.finish(params, &mut module.funcs);
        module.funcs.get_mut(wrapper).name = Some(format!("f{}", wrapper.index()));
        module.exports.get_mut(export).item = walrus::ExportItem::Function(wrapper);
    }
    Some(module.emit_wasm())
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

/// Every exported function, called once with no arguments, in export order
/// (an export that takes parameters fails the same way in every run).
pub fn calls(wasm: &[u8]) -> Vec<Call> {
    exported_calls(wasm, false)
}

/// Every exported function, called once in export order with zero (or null)
/// for each parameter.
pub fn calls_with_zero_args(wasm: &[u8]) -> Vec<Call> {
    exported_calls(wasm, true)
}

fn exported_calls(wasm: &[u8], zero_args: bool) -> Vec<Call> {
    let Ok(info) = ModuleInfo::read(wasm) else {
        return Vec::new();
    };
    info.export_funcs()
        .map(|(name, sig)| {
            let args: Vec<Value> = if zero_args {
                sig.params.iter().map(|t| Value::zero(*t)).collect()
            } else {
                Vec::new()
            };
            Call::new(name, &args)
        })
        .collect()
}

/// Original modules whose cases wasmi 2.0.0 itself runs wrongly; each
/// is the FNV-1a hash of the module's bytes, and cases with these
/// originals run on wasmtime:
/// - differential seeds 19767150, 76004002, 88039168, 38012106 and
///   29377557, fuel seeds 79005501, 79008122, 89004761, 35009908 and
///   29369240: wasmi's executor segfaults (`u64_copy_s2r`, `v128_copy_si`,
///   `u64_copy_s0r`, `u16x8_widen8x8_sr`, `global_get_v128_s`,
///   `u64_copy_s1r`) running the original alone, in modules that recurse
///   through `return_call`;
/// - fuel seed 50299454: wasmi ends the `i64` global `16` at
///   549755813887 after the original and at 0 after the metered module;
///   wasmtime runs both alike;
/// - fuel seed 83005349: the original's export `3` xors the `v128` global
///   `5` with a `v128` local nothing wrote (so zero), and wasmi leaves a
///   non-zero lane in it; wasmtime leaves the global at 0, as wasmi does
///   for the metered module;
/// - fuel seed 35012718: the `i64` global `5` that `$f1` xors with a
///   local ends up 0x80000000 (that local's value) away from wasmtime's
///   result after the original, and elsewhere after the metered module;
///   wasmtime runs both alike;
/// - fuel seed 33045296: after the original, the `i32` global `3`
///   (export `6`), which is xored with the bits of an `f32`, holds
///   0x7fc00000 (a canonical NaN's bits); wasmtime leaves it at 0 for
///   both modules, as wasmi does for the metered one;
/// - fuel seed 37101091: after the original, the `i32` global exported as
///   `[H` ends 9 below the value wasmtime gives for both modules, which
///   wasmi also gives for the metered one;
/// - fuel seed 46002953: after the original, wasmi leaves the `i64`
///   global `8` at 32832, bit 15 above the 64 that wasmtime gives for both
///   modules and wasmi for the metered one.
const WASMI_MISRUNS: [u64; 16] = [
    0x4e42_90d9_c302_e966,
    0xa430_6ebb_ad9c_ab4f,
    0xa43a_0010_0574_49f9,
    0x197a_1903_379e_7c0d,
    0xdd9e_9f56_20bb_1362,
    0xcd25_be51_0d7a_2170,
    0x4ffb_986e_9334_c49c,
    0xfaa2_ad79_06aa_ecaf,
    0x082d_8916_be9e_bed2,
    0x019c_6875_f98d_a1a1,
    0x8824_615e_74eb_c4f7,
    0x3531_c321_68ff_9528,
    0x6a00_fd6f_5e97_ee91,
    0x3260_c8fc_a6e3_9640,
    0xa94f_493c_4547_2534,
    0x5440_abc7_cb58_2084,
];

/// The engine for a fuzz case whose original module is `modules[0]`:
/// [`EngineKind::for_modules`], but wasmtime for [`WASMI_MISRUNS`].
pub fn engine(modules: &[&[u8]]) -> EngineKind {
    let engine = EngineKind::for_modules(modules);
    let misrun = modules
        .first()
        .is_some_and(|original| WASMI_MISRUNS.contains(&fnv1a(original)));
    if engine == EngineKind::Wasmi && misrun {
        EngineKind::Wasmtime
    } else {
        engine
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The fuzzers' run configuration: on `engine` (the one that runs both the
/// original and what the transform made of it, [`EngineKind::for_modules`]),
/// save stack in [`SAVE_MEMORY`], `suspending` imports, and calls go on
/// after a trap.
pub fn config(engine: EngineKind, mode: Mode, policy: Policy, suspending: &[String]) -> RunConfig {
    let mut cfg = RunConfig::new(mode, policy);
    cfg.engine = Some(engine);
    cfg.memory_export = SAVE_MEMORY.into();
    cfg.suspending = suspending.to_vec();
    cfg.continue_after_trap = true;
    cfg
}

/// Runs the original `wasm` on `engine` (the oracle); `Ok(None)` when its
/// start function traps, or wasmi panics on it, which leaves nothing to
/// compare.
///
/// wasmi 2.0.0 panics (`unreachable!()` in its translator,
/// `translator/func/mod.rs:2583`) on a store to a memory other than 0 whose
/// address and value are the local just set from the previous result, e.g.
/// `local.get 0 i32.eqz local.tee 0 local.get 0 i32.store 1` in a module
/// with two memories (minimised from seed 1001650 of the fuel fuzzer).
pub fn oracle(
    engine: EngineKind,
    wasm: &[u8],
    suspending: &[String],
    calls: &[Call],
) -> Result<Option<Trace>, String> {
    let cfg = config(engine, Mode::Original, Policy::Never, suspending);
    match catch_panic(|| run(wasm, &cfg, calls)) {
        Err(_) => Ok(None),
        Ok(Ok(trace)) => Ok(Some(trace)),
        Ok(Err(e)) if format!("{e:#}").contains("instantiation failed") => Ok(None),
        Ok(Err(e)) => Err(format!("original: {e:#}")),
    }
}

/// Runs `f`, turning a panic into `Err` with its message.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string())
    })
}

/// Writes `wasm` to `tests/fuzz-failures/NAME.wasm` (and its text to
/// `NAME.wat`); returns the path to print.
pub fn save_failure(name: &str, wasm: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(format!("{name}.wasm")), wasm);
    if let Ok(text) = wasmprinter::print_bytes(wasm) {
        let _ = std::fs::write(dir.join(format!("{name}.wat")), text);
    }
    format!("tests/fuzz-failures/{name}.wasm")
}

/// With `REWIND_FUZZ_KEEP` set, writes a case's module to
/// `tests/fuzz-failures/NAME.{wasm,wat}` before it runs: a case that kills the process (a
/// segfault inside an engine) leaves its module behind to reduce.
pub fn keep_before_running(name: &str, wasm: &[u8]) {
    if std::env::var_os("REWIND_FUZZ_KEEP").is_some() {
        save_failure(name, wasm);
    }
}

/// What a fuzzer prints for a failing seed: why, where the module was
/// saved (as `tests/fuzz-failures/FILE.wasm`) and a regression test named
/// `TEST_SEED` to paste into the fuzzer's file.
pub fn failure_report(seed: u64, why: &str, wasm: Option<&[u8]>, file: &str, test: &str) -> String {
    let module = wasm.map(|wasm| save_failure(file, wasm));
    format!(
        "seed {seed}: {why}\n  module: {}\n  regression test:\n\n\
         #[test]\n fn {test}_{seed}() {{\n    check({seed}, &mut Tally::default()).unwrap();\n}}\n",
        module.as_deref().unwrap_or("(not generated)")
    )
}

/// The environment variable `name` as a number, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f` on a thread with a generous stack: generation, parsing and the
/// debug-build interpreter recurse deeply on some modules.
pub fn with_big_stack(f: fn()) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawn the fuzz thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

/// Where the first of `got` and `oracle` stopped because the native stack
/// or the GC heap ran out; nothing after that point is comparable.
///
/// The stack: a trap, or a call the harness made into the module inside an
/// import (the ABI's `asyncify_get_state`) that overflowed it. The two
/// modules' frames differ in size, and engines bound the stack in bytes
/// (wasmtime, node) or frames (wasmi, where side-table helpers add
/// frames), so a recursion may run out in either one first, deeper or
/// shallower. The GC heap (wasmtime): the instrumented module holds
/// references longer than the original (a value spilled to a local lives
/// until the local is written again, one saved across a suspension until
/// it is restored), so a loop allocating big arrays may run out where the
/// original, which drops each one at once, does not (seed 42008492).
pub fn resources_exhausted(got: &Trace, oracle: &Trace) -> Option<usize> {
    let first = |trace: &Trace| {
        [
            stopped_by(trace, "StackOverflow"),
            stopped_by(trace, "GC heap out of memory"),
        ]
        .into_iter()
        .flatten()
        .min()
    };
    let (a, b) = (first(got), first(oracle));
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => a.or(b),
    }
}

/// Where the original first stopped because the harness's hang guard ran
/// out of fuel. The instrumented run gets the guard's fuel afresh on every
/// rewind, so it may go further: nothing after that point is comparable.
pub fn hang_guard_stopped(oracle: &Trace) -> Option<usize> {
    stopped_by(oracle, "OutOfFuel")
}

/// Where `trace` first stopped with an error whose text contains `what`.
fn stopped_by(trace: &Trace, what: &str) -> Option<usize> {
    trace.events.iter().position(|e| {
        matches!(e, Event::Finished {
            outcome: Outcome::Trapped(why) | Outcome::Protocol(why),
            ..
        } if why.contains(what))
    })
}

/// Whether the first `n` events of `got` are the oracle's.
pub fn same_before(got: &Trace, oracle: &Trace, n: usize) -> bool {
    got.events.iter().take(n).eq(oracle.events.iter().take(n))
}
