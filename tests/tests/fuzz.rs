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
//! prints a regression test to paste into this file. A case that kills the
//! process (a segfault inside an engine) is found with `REWIND_FUZZ_VERBOSE=1`
//! and kept, before it runs, with `REWIND_FUZZ_KEEP=1`.
//!
//! Each case varies: the import policy (all imports suspend, or a list),
//! `--ignore-indirect` on modules without indirect calls, an only-list that
//! names every function, the suspension policy, and one case in eight gets a save stack of a few bytes
//! so that overflow is exercised: then the instrumented run must either match
//! or stop with a clean save-stack overflow (the driver checks that nothing
//! outside the save stack was written), and everything before must match.
//! The others get one page; a case that overflows it (a deep recursion) is
//! run again with bigger save stacks and must then match.

use rewind_tests::driver::run;
use rewind_tests::policy::Rng;
use rewind_tests::rejections::Rejections;
use rewind_tests::smith::{self, Proposals, env_u64, with_big_stack};
use rewind_tests::{EngineKind, Mode, Outcome, Policy, Trace};
use rewind_transform::Options;

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
    let module = smith::module(&mut rng, proposals(seed))?;
    let (mut options, suspending) = smith::options(&mut rng, module.indirect);
    // Odd seeds with a fast path for every function, half of the even ones
    // for the functions on call cycles; half of each with frames restored
    // by inline loads, half of those again encoding instrumented functions
    // early, after 0 to 49 instructions (not drawn, so that seeds keep
    // their cases).
    options.fast_path = smith::fast_path(seed);
    options.no_multivalue = seed / 2 % 2 == 1;
    options.flush_after = (seed / 4 % 2 == 1).then_some((seed / 8 % 50) as usize);
    let policy = smith::policy(&mut rng, seed);
    let capacity = (rng.below(8) == 0).then(|| rng.below(48));
    Some(Case {
        wasm: module.wasm,
        options,
        suspending,
        policy,
        capacity,
    })
}

/// One seed in three (2, 5, 8, ...) may use exceptions, GC and typed
/// function references, and mostly runs on wasmtime; the others keep to
/// what wasmi runs (not drawn, so that those seeds keep their cases, the
/// regression seeds among them).
fn proposals(seed: u64) -> Proposals {
    if seed % 3 == 2 {
        Proposals::All
    } else {
        Proposals::Wasmi {
            reference_types: true,
        }
    }
}

#[derive(Debug, Default)]
struct Tally {
    /// Cases wasm-smith built a module for.
    generated: u64,
    compared: u64,
    /// Compared cases that ran on wasmtime.
    on_wasmtime: u64,
    suspensions: u64,
    import_calls: u64,
    overflows: u64,
    /// Cases run again with a bigger save stack after overflowing the
    /// default one (see [`BIGGER_SAVE_STACKS`]).
    reruns: u64,
    /// Instrumented runs that differ from the original only from where they
    /// exhausted the native stack or the GC heap (see `check`).
    stack_overflows: u64,
    /// Originals stopped by the hang guard, where the instrumented run (its
    /// guard refilled on every rewind) went further after the same events.
    hang_guard: u64,
    unsupported: Rejections,
    not_runnable: u64,
}

/// Runs case `seed`; `Err` describes a mismatch.
fn check(seed: u64, tally: &mut Tally) -> Result<(), String> {
    let Some(case) = generate(seed) else {
        tally.not_runnable += 1;
        return Ok(());
    };
    tally.generated += 1;
    smith::keep_before_running(&seed.to_string(), &case.wasm);
    let Some(out) = smith::transformed(
        rewind_transform::asyncify(&case.wasm, &case.options),
        "transform",
        &mut tally.unsupported,
    )?
    else {
        return Ok(());
    };
    let calls = smith::calls(&case.wasm);
    let engine = smith::engine(&[&case.wasm, &out.wasm]);
    let Some(oracle) = smith::oracle(engine, &case.wasm, &case.suspending, &calls)? else {
        tally.not_runnable += 1;
        return Ok(());
    };
    let instrumented = |capacity: Option<u64>| {
        let mut cfg = smith::config(
            engine,
            Mode::Instrumented,
            case.policy.clone(),
            &case.suspending,
        );
        cfg.capacity = capacity;
        run(&out.wasm, &cfg, &calls).map_err(|e| format!("instrumented: {e:#}"))
    };
    let mut got = instrumented(case.capacity)?;
    tally.compared += 1;
    tally.on_wasmtime += u64::from(engine == EngineKind::Wasmtime);
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
    if overflowed(&got) {
        // Overflow is allowed with a tiny save stack; what came before must
        // match, up to a native stack or GC heap that ran out earlier (see
        // below: after that nothing is comparable; seed 32208312).
        tally.overflows += 1;
        let overflow_at = got.events.len() - 1;
        let exhausted = smith::resources_exhausted(&got, &oracle).filter(|at| *at < overflow_at);
        if !smith::same_before(&got, &oracle, exhausted.unwrap_or(overflow_at)) {
            return Err(format!(
                "overflow after a difference, with capacity {:?}",
                case.capacity
            ));
        }
        if exhausted.is_some() {
            tally.stack_overflows += 1;
            return Ok(());
        }
        if case.capacity.is_some() {
            return Ok(());
        }
        // The default save stack is one page: a legitimately deep recursion
        // needs more. The case must run with a bigger one.
        tally.reruns += 1;
        for capacity in BIGGER_SAVE_STACKS {
            got = instrumented(Some(capacity))?;
            if !overflowed(&got) {
                break;
            }
        }
        if overflowed(&got) {
            return Err(format!(
                "overflow with a save stack of {} bytes",
                BIGGER_SAVE_STACKS[BIGGER_SAVE_STACKS.len() - 1]
            ));
        }
    }
    let Err(difference) = got.diff(&oracle) else {
        return Ok(());
    };
    if let Some(at) = smith::hang_guard_stopped(&oracle)
        && smith::same_before(&got, &oracle, at)
    {
        tally.hang_guard += 1;
        return Ok(());
    }
    // The instrumented module may need more native stack than the original:
    // bigger frames (wasmtime and node bound the stack in bytes), calls of
    // its side-table helpers while unwinding (wasmi bounds it in frames:
    // seeds 1000332, 1000851, 1001964), and the host's ABI calls inside an
    // import at the deepest point (seed 65). Lowered tail calls may need
    // a frame per iteration. Frame sizes differ the other way too: the
    // instrumented recursion may go deeper before it runs out (seed
    // 31004036, wasmtime). It may hold references longer and exhaust
    // wasmtime's GC heap (seed 42008492). Then only what came before must
    // match.
    let Some(at) = smith::resources_exhausted(&got, &oracle) else {
        return Err(difference);
    };
    if !smith::same_before(&got, &oracle, at) {
        return Err(format!(
            "native stack or GC heap exhausted after a difference: {difference}"
        ));
    }
    tally.stack_overflows += 1;
    Ok(())
}

/// Save stacks for a case that overflows the default one-page save stack:
/// a recursion as deep as wasmi allows (1000 frames) with frames of a few
/// dozen bytes needs more than a page (seeds 8106460 and 8108722: frames
/// of 152 and 72 bytes).
const BIGGER_SAVE_STACKS: [u64; 2] = [1 << 20, 16 << 20];

/// Whether the run stopped with a save-stack overflow.
fn overflowed(trace: &Trace) -> bool {
    matches!(
        trace.last_outcome(),
        Some(Outcome::SaveStackOverflow { .. })
    )
}

fn report_failure(seed: u64, why: &str) -> String {
    let case = generate(seed);
    let wasm = case.as_ref().map(|case| case.wasm.as_slice());
    smith::failure_report(seed, why, wasm, &seed.to_string(), "fuzz_regression")
}

#[test]
fn fuzz_differential_smoke() {
    with_big_stack(smoke);
}

fn smoke() {
    let first = env_u64("REWIND_FUZZ_SEED", 0);
    let cases = env_u64("REWIND_FUZZ_CASES", 500);
    let started = std::time::Instant::now();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for seed in first..first + cases {
        if let Err(why) = check(seed, &mut tally) {
            failures.push(report_failure(seed, &why));
        }
    }
    println!(
        "fuzz: seeds {first}..{} in {:.1?}: generated {}, compared {} ({} on wasmtime), \
         suspensions {}, import calls {}, overflows {} (rerun with a bigger save stack: {}), \
         native stack or GC heap exhausted {}, stopped by the hang guard {}, not runnable {}",
        first + cases,
        started.elapsed(),
        tally.generated,
        tally.compared,
        tally.on_wasmtime,
        tally.suspensions,
        tally.import_calls,
        tally.overflows,
        tally.reruns,
        tally.stack_overflows,
        tally.hang_guard,
        tally.not_runnable,
    );
    println!("fuzz: {}", tally.unsupported.report(tally.generated, 8));
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

/// A call that runs out of native stack in the instrumented module only
/// (where the original trapped in its recursion guard: the instrumented
/// frames are bigger, and its frame helpers add calls at the deepest point
/// of an unwind), then a later call that overflows the tiny save stack:
/// only what came before the first is compared.
#[test]
fn fuzz_save_stack_overflow_after_native_stack_exhausted() {
    with_big_stack(|| {
        let mut tally = Tally::default();
        check(32_208_312, &mut tally).unwrap();
        assert_eq!(
            (tally.compared, tally.overflows, tally.stack_overflows),
            (1, 1, 1),
            "{tally:?}"
        );
    });
}

/// Originals that wasmi 2.0.0 crashes on (see `smith::engine`) run on
/// wasmtime instead: the first two end in the hang guard's trap in their
/// start functions (not runnable rather than the end of the process), the
/// third compares there.
#[test]
fn fuzz_wasmi_misrun_runs_on_wasmtime() {
    with_big_stack(|| {
        let mut tally = Tally::default();
        check(19_767_150, &mut tally).unwrap();
        check(76_004_002, &mut tally).unwrap();
        check(88_039_168, &mut tally).unwrap();
        check(38_012_106, &mut tally).unwrap();
        check(29_377_557, &mut tally).unwrap();
        assert_eq!(
            (tally.generated, tally.not_runnable, tally.on_wasmtime),
            (5, 2, 3),
            "{tally:?}"
        );
    });
}

/// A loop allocating a 22 MB array per iteration, its array spilled across
/// a suspension, exhausts wasmtime's GC heap instrumented (the spilled
/// array lives until the next one is made) where the original does not:
/// the traces must match up to there.
#[test]
fn fuzz_gc_heap_exhausted_first_when_instrumented() {
    with_big_stack(|| {
        let mut tally = Tally::default();
        check(42_008_492, &mut tally).unwrap();
        assert_eq!((tally.compared, tally.stack_overflows), (1, 1), "{tally:?}");
    });
}

/// A recursion that exhausts wasmtime's native stack one call later
/// instrumented than in the original: where it ran out first, the traces
/// must match up to there.
#[test]
fn fuzz_stack_exhausted_first_by_the_original() {
    with_big_stack(|| {
        let mut tally = Tally::default();
        check(31_004_036, &mut tally).unwrap();
        assert_eq!((tally.compared, tally.stack_overflows), (1, 1), "{tally:?}");
    });
}

/// Cases that recurse deeper than a one-page save stack holds: they
/// overflow it cleanly and match the original with a bigger one.
#[test]
fn fuzz_deep_recursion_regressions() {
    with_big_stack(deep_recursion_regressions);
}

fn deep_recursion_regressions() {
    for seed in [8_106_460, 8_108_722] {
        let mut tally = Tally::default();
        check(seed, &mut tally).unwrap_or_else(|why| panic!("seed {seed}: {why}"));
        assert_eq!(
            (tally.compared, tally.reruns),
            (1, 1),
            "seed {seed} no longer overflows one page: {tally:?}"
        );
    }
}

/// Cases the transform once got wrong, each minimised into a program of
/// `tests/exec/proposals/` (named here): the null check of a non-nullable
/// reference local saved before its first assignment, a tail call made
/// inside its caller's `try_table`, a value below a `br_on_null`'s
/// reference reloaded after the branch, and spilled with its own type where
/// the branch gave it the label's supertype.
#[test]
fn fuzz_transform_regressions() {
    with_big_stack(transform_regressions);
}

fn transform_regressions() {
    for (seed, reproducer) in [
        (236, "non_null_spill"),
        (1_001_480, "non_null_spill"),
        (2_010_680, "tail_call_in_try_table"),
        (3_003_809, "br_on_values"),
        (32_000_120, "br_on_values"),
        (
            36_000_062,
            "bodies.rs: a_flushed_block_type_equal_to_the_results_is_renumbered",
        ),
        (
            36_002_063,
            "bodies.rs: a_flushed_block_type_equal_to_the_results_is_renumbered",
        ),
    ] {
        let mut tally = Tally::default();
        check(seed, &mut tally)
            .unwrap_or_else(|why| panic!("seed {seed} (see {reproducer}): {why}"));
        assert_eq!(
            tally.compared, 1,
            "seed {seed} is no longer compared: {tally:?}"
        );
    }
}
