//! Differential fuzzing of fuel metering: random `wasm-smith` modules (as in
//! `fuzz.rs`) are metered with `rewind_transform::meter` and run under wasmi
//! in slices of random budgets, suspending through asyncify each time they
//! run out of fuel (and, by a seeded policy, at `env.sleep*` too). Every run
//! must behave exactly like the original module, and the fuel consumed must
//! be the same however the run is sliced.
//!
//! Each case runs the original (the oracle), then the metered module
//!
//! 1. with a budget no call exhausts (`i64::MAX`): no out-of-fuel suspension;
//! 2. with random budgets (schedule A, half of them 1..=5) and random
//!    suspensions at `env.sleep*`;
//! 3. with schedule B (all budgets 1, a small fixed budget, or other random
//!    budgets) and another suspension policy;
//!
//! and compares every trace with the oracle, and the fuel each call consumed
//! in 2 and 3 with 1. Every export is called once, with zero arguments.
//! One seed in five meters with a cost table in which most instructions
//! are free, so that some runs and checks charge nothing.
//! Cases without a fast path call every function through an exported
//! wrapper, so that the metering can fold the entry checks of the
//! functions themselves into their rewind tests (`parked_fuel.rs`).
//! Budgets are raised for runs that would take more than about
//! `REWIND_FUEL_FUZZ_MAX_SLICES` (default 1000) slices. A sliced run that
//! overflows the one-page save stack (deep recursion) must match the oracle
//! up to the overflow; its fuel is not compared.
//!
//! Calls that *trap* are held to what the fuel pass documents for them
//! (`host-tools/transform/src/fuel.rs`, "The counter in a local"): a trap
//! loses the charges of the trapping function since its last call, return
//! or out-of-fuel stop, and slicing only adds stops, so a sliced call is
//! charged at least what it is charged in one slice. Sliced runs where a
//! trapping call was charged more are counted in `trap_fuel_differs`.
//!
//! The smoke run (`cargo test`) covers `REWIND_FUEL_FUZZ_CASES` cases
//! (default 300) from seed `REWIND_FUEL_FUZZ_SEED` (default 0) and prints its
//! tally with `--nocapture`. A long run:
//!
//! ```text
//! REWIND_FUEL_FUZZ_SEED=1000000 REWIND_FUEL_FUZZ_CASES=5000 \
//!     cargo test --release -p rewind-tests --test fuzz_fuel -- --nocapture
//! ```
//!
//! `fuel_fuzz_do_while_loops` does the same for generated `do`/`while` loops
//! (`REWIND_FUEL_FUZZ_LOOPS` cases, default 200), which wasm-smith rarely
//! makes and the metering lays out in a way of their own.
//!
//! A mismatch writes the module to `tests/fuzz-failures/fuel-SEED.{wasm,wat}`
//! and prints a regression test to paste into this file;
//! `REWIND_FUZZ_VERBOSE=1` prints every run's fuel statistics and
//! `REWIND_FUZZ_KEEP=1` writes each module there before it runs.

use rewind_tests::driver::{Call, run};
use rewind_tests::policy::Rng;
use rewind_tests::rejections::Rejections;
use rewind_tests::smith::{self, Proposals, SAVE_MEMORY, env_u64, with_big_stack};
use rewind_tests::{EngineKind, Event, FuelSchedule, FuelStats, Mode, Outcome, Policy, Trace};
use rewind_transform::{FastPath, FuelOptions, Options};

struct Case {
    wasm: Vec<u8>,
    fuel: FuelOptions,
    options: Options,
    suspending: Vec<String>,
    runs: [(Policy, FuelSchedule); 2],
}

/// The module and parameters of case `seed`, or `None` when wasm-smith
/// cannot build a module from the seed's bytes.
fn generate(seed: u64) -> Option<Case> {
    let mut rng = Rng(seed ^ 0xf0e1_5eed);
    // Half the modules without reference types: with them, metering often
    // makes the transform reject the module (see `smith::Proposals`).
    let reference_types = rng.below(2) == 0;
    let module = smith::module(&mut rng, Proposals::Wasmi { reference_types })?;
    let (mut options, mut suspending) = smith::options(&mut rng, module.indirect);
    // A fast path as `smith::fast_path` says, half of each with frames
    // restored by inline loads (not drawn, so that seeds keep their cases).
    options.fast_path = smith::fast_path(seed);
    options.no_multivalue = seed / 2 % 2 == 1;
    // Without a fast path, the functions behind exported wrappers, so that
    // their entry checks can fold (a host cannot call them).
    let wasm = match options.fast_path {
        FastPath::Off => smith::behind_wrappers(&module.wasm)?,
        FastPath::Recursive | FastPath::All => module.wasm,
    };
    // `meter` makes only the listed imports suspend, besides the fuel
    // handler: list the harness's suspending ones, or none at all.
    if rng.below(4) == 0 {
        suspending.clear();
        options.imports = Some(Vec::new());
    } else {
        options.imports.get_or_insert_with(|| suspending.clone());
    }
    let a = FuelSchedule::Random {
        seed,
        max: [10, 100, 1000][rng.below(3) as usize],
    };
    let policy_a = smith::policy(&mut rng, seed);
    let b = match rng.below(3) {
        0 => FuelSchedule::Fixed(1),
        1 => FuelSchedule::Fixed(1 + rng.below(20)),
        _ => FuelSchedule::Random {
            seed: !seed,
            max: 50,
        },
    };
    let policy_b = smith::policy(&mut rng, seed.rotate_left(17));
    Some(Case {
        wasm,
        fuel: fuel_options(seed),
        options,
        suspending,
        runs: [(policy_a, a), (policy_b, b)],
    })
}

#[derive(Debug, Default)]
struct Tally {
    /// Cases wasm-smith built a module for.
    generated: u64,
    compared: u64,
    /// Budgets granted in the sliced runs (one per export call and refill).
    slices: u64,
    /// Out-of-fuel suspensions in the sliced runs.
    out_of_fuel: u64,
    /// Suspensions at `env.sleep*` in the sliced runs.
    sleeps: u64,
    /// Sliced runs stopped by a save-stack overflow.
    overflows: u64,
    /// Cases whose one-slice run exhausted the native stack through tail
    /// calls that became calls: their fuel is not comparable.
    stack_overflows: u64,
    /// Sliced runs that charged a trapping call more than one slice did
    /// (allowed: see the module doc).
    trap_fuel_differs: u64,
    /// Loops the metering unrolled (see `unrolled_fuel_is_the_same`).
    unrolled_loops: u64,
    /// Entry checks that became their function's rewind test (functions
    /// behind the exported wrappers of cases without a fast path).
    folded_entry_checks: u64,
    unsupported: Rejections,
    not_runnable: u64,
}

/// The default costs, but for one seed in five a cost table in which most
/// instructions are free (only calls, loads and stores cost), so that some
/// runs and checks charge nothing (derived from the seed, so that seeds
/// keep their modules).
fn fuel_options(seed: u64) -> FuelOptions {
    let costs = match seed % 5 {
        4 => rewind_transform::Costs::parse("default 0\ncall 2\nload 1\nstore 1\n")
            .expect("the cost table parses"),
        _ => rewind_transform::Costs::default(),
    };
    FuelOptions {
        costs,
        ..FuelOptions::default()
    }
}

/// Runs case `seed`; `Err` describes a mismatch.
fn check(seed: u64, tally: &mut Tally) -> Result<(), String> {
    let Some(case) = generate(seed) else {
        tally.not_runnable += 1;
        return Ok(());
    };
    check_case(&format!("fuel-{seed}"), &case, tally)
}

/// Meters `case` and compares its runs with the original's.
fn check_case(name: &str, case: &Case, tally: &mut Tally) -> Result<(), String> {
    tally.generated += 1;
    smith::keep_before_running(name, &case.wasm);
    let Some(out) = smith::transformed(
        rewind_transform::meter(&case.wasm, &case.fuel, &case.options),
        "meter",
        &mut tally.unsupported,
    )?
    else {
        return Ok(());
    };
    let fuel = out.report.fuel.unwrap_or_default();
    tally.folded_entry_checks += fuel.entry_checks_folded as u64;
    let unrolled = fuel.loops_unrolled as u64;
    if unrolled > 0 {
        tally.unrolled_loops += unrolled;
        unrolled_fuel_is_the_same(case, &out.wasm)?;
    }
    let max_slices = env_u64("REWIND_FUEL_FUZZ_MAX_SLICES", MAX_SLICES);
    compare(
        &case.wasm,
        &out.wasm,
        &case.suspending,
        &case.runs,
        max_slices,
        tally,
    )
}

/// Unrolling loops must not change what any call is charged: `metered`
/// (loops unrolled) and the case metered without unrolling consume the same
/// fuel per call in one slice, traps included (the global holds the same
/// value at every call, return and out-of-fuel stop).
fn unrolled_fuel_is_the_same(case: &Case, metered: &[u8]) -> Result<(), String> {
    let fuel = FuelOptions {
        unroll: 1,
        ..case.fuel.clone()
    };
    let plain = rewind_transform::meter(&case.wasm, &fuel, &case.options)
        .map_err(|e| format!("meter without unrolling failed: {e}"))?
        .wasm;
    let calls = smith::calls_with_zero_args(&case.wasm);
    let engine = smith::engine(&[&case.wasm, &plain, metered]);
    let Some(oracle) = smith::oracle(engine, &case.wasm, &case.suspending, &calls)? else {
        return Ok(());
    };
    let per_call = |metered: &[u8]| {
        metered_run(
            engine,
            metered,
            &case.suspending,
            &calls,
            &oracle,
            &Policy::Never,
            &FuelSchedule::HUGE,
        )
        .map(|run| run.stats.per_call)
    };
    let (want, have) = (per_call(&plain)?, per_call(metered)?);
    if want != have {
        return Err(format!(
            "unrolling loops changed the fuel per call: {want:?} without, {have:?} with"
        ));
    }
    Ok(())
}

/// Default of `REWIND_FUEL_FUZZ_MAX_SLICES`: about how many slices a run may
/// take before its budgets are raised.
const MAX_SLICES: u64 = 1000;

/// `schedule` with budgets raised so that a run consuming `work` fuel takes
/// about `max_slices` slices at most: every slice unwinds and rewinds the
/// whole call stack, so a deep recursion sliced into budgets of 1 takes
/// seconds and tells little more than a few hundred slices do.
fn widened(schedule: &FuelSchedule, work: u64, max_slices: u64) -> FuelSchedule {
    let floor = work / max_slices.max(1);
    match *schedule {
        FuelSchedule::Fixed(n) => FuelSchedule::Fixed(n.max(floor)),
        // Half the budgets stay tiny; the others average `max / 2`.
        FuelSchedule::Random { seed, max } => FuelSchedule::Random {
            seed,
            max: max.max(floor.saturating_mul(4)),
        },
    }
}

/// Runs `original` (the oracle) and `metered` with a huge budget and under
/// each of `runs` (see [`widened`] for `max_slices`); every trace must match
/// the oracle's and every run must consume the fuel of the huge-budget run.
fn compare(
    original: &[u8],
    metered: &[u8],
    suspending: &[String],
    runs: &[(Policy, FuelSchedule)],
    max_slices: u64,
    tally: &mut Tally,
) -> Result<(), String> {
    let calls = smith::calls_with_zero_args(original);
    let engine = smith::engine(&[original, metered]);
    let Some(oracle) = smith::oracle(engine, original, suspending, &calls)? else {
        tally.not_runnable += 1;
        return Ok(());
    };
    let whole = metered_run(
        engine,
        metered,
        suspending,
        &calls,
        &oracle,
        &Policy::Never,
        &FuelSchedule::HUGE,
    )?;
    if whole.overflowed && whole.stats.out_of_fuel == 0 {
        // Nothing unwound, so no save stack ran out: the native stack did
        // (the events before it matched).
        tally.stack_overflows += 1;
        return Ok(());
    }
    if whole.overflowed || whole.stats.out_of_fuel != 0 {
        return Err(format!(
            "suspended with a budget of i64::MAX per call and no sleeps: {whole:?}"
        ));
    }
    // wasmi's count bounds the fuel from above even where a trap hid some
    // (see the module doc).
    let work = whole.stats.consumed.max(whole.steps);
    for (policy, schedule) in runs {
        let schedule = &widened(schedule, work, max_slices);
        let got = metered_run(
            engine, metered, suspending, &calls, &oracle, policy, schedule,
        )?;
        tally.slices += got.stats.slices;
        tally.out_of_fuel += got.stats.out_of_fuel;
        tally.sleeps += got.sleeps;
        if got.overflowed {
            // The run stopped early: its fuel is not comparable.
            tally.overflows += 1;
            continue;
        }
        let trap_differs = compare_fuel(&whole.stats, &got.stats, &oracle).map_err(|why| {
            format!(
                "fuel consumed depends on the slicing: {why}; under {policy:?} with \
                 {schedule:?} (in one slice per call: {:?}, sliced: {:?})",
                whole.stats, got.stats
            )
        })?;
        if trap_differs {
            tally.trap_fuel_differs += 1;
        }
    }
    tally.compared += 1;
    Ok(())
}

/// Compares the fuel of each call of a sliced run (`got`) with the run in
/// one slice per call (`whole`): equal for calls that return; for calls
/// that trap, at least as much (see the module doc). `Ok(true)` when a
/// trapping call was charged more; `Err` describes a violation.
fn compare_fuel(whole: &FuelStats, got: &FuelStats, oracle: &Trace) -> Result<bool, String> {
    if got.per_call.len() != whole.per_call.len() {
        return Err(format!(
            "{} calls finished in one slice per call, {} sliced",
            whole.per_call.len(),
            got.per_call.len()
        ));
    }
    let outcomes = oracle.events.iter().filter_map(|e| match e {
        Event::Finished { name, outcome } => Some((name, outcome)),
        _ => None,
    });
    let mut trap_differs = false;
    for (i, ((want, have), (name, outcome))) in whole
        .per_call
        .iter()
        .zip(&got.per_call)
        .zip(outcomes)
        .enumerate()
    {
        if want == have {
            continue;
        }
        if matches!(outcome, Outcome::Trapped(_)) && have > want {
            trap_differs = true;
            continue;
        }
        return Err(format!(
            "call #{i} (`{name}`, {outcome:?}) consumed {want} in one slice, {have} sliced"
        ));
    }
    Ok(trap_differs)
}

/// What a metered run came to.
#[derive(Debug)]
struct Run {
    stats: FuelStats,
    /// Suspensions at `env.sleep*`.
    sleeps: u64,
    /// Whether the run stopped with a save-stack overflow.
    overflowed: bool,
    /// wasmi fuel the run consumed.
    steps: u64,
}

/// Runs `metered` on `engine` under `policy` with `schedule`; its trace
/// must match the oracle's, except that a deep call stack may overflow the save stack
/// (which is only a page): then the run stops there, and everything before
/// must match.
fn metered_run(
    engine: EngineKind,
    metered: &[u8],
    suspending: &[String],
    calls: &[Call],
    oracle: &Trace,
    policy: &Policy,
    schedule: &FuelSchedule,
) -> Result<Run, String> {
    let mut cfg = smith::config(engine, Mode::Instrumented, policy.clone(), suspending);
    cfg.fuel = Some(schedule.clone());
    let context = || format!("metered, {policy:?}, {schedule:?}");
    let got = smith::catch_panic(|| run(metered, &cfg, calls))
        .map_err(|p| format!("{}: wasmi panicked: {p}", context()))?
        .map_err(|e| format!("{}: {e:#}", context()))?;
    let stats = got.fuel.clone().expect("a metered run has fuel statistics");
    if std::env::var("REWIND_FUZZ_VERBOSE").is_ok() {
        println!("  {policy:?} {schedule:?}: {stats:?}");
    }
    let save_stack = matches!(
        got.events.last(),
        Some(Event::Finished {
            outcome: Outcome::SaveStackOverflow { .. },
            ..
        })
    )
    .then(|| got.events.len() - 1);
    // The metered module needs more native stack than the original (bigger
    // frames, side-table helpers called while unwinding, the host's ABI
    // calls inside an import): a recursion may exhaust it here first, or
    // during an unwind, which stops the run (seed 29105203). Then only what
    // came before must match.
    let stopped_early = match got.diff(oracle) {
        Ok(()) => false,
        Err(difference) => match save_stack.or_else(|| smith::resources_exhausted(&got, oracle)) {
            None => return Err(format!("{}: {difference}", context())),
            Some(at) if !smith::same_before(&got, oracle, at) => {
                return Err(format!(
                    "{}: overflowed the save or native stack, or the GC heap, after a difference: \
                     {difference}",
                    context()
                ));
            }
            Some(_) => true,
        },
    };
    // A run that stopped early, or whose last call overflowed the native
    // stack (perhaps during an unwind, where the original overflowed
    // before it): the fuel of that call is not comparable.
    let native_overflow = matches!(got.events.last(), Some(Event::Finished {
        outcome: Outcome::Trapped(m) | Outcome::Protocol(m),
        ..
    }) if m.contains("StackOverflow"));
    let overflowed = stopped_early || native_overflow;
    Ok(Run {
        sleeps: got.suspensions - stats.out_of_fuel,
        steps: got.steps,
        stats,
        overflowed,
    })
}

fn report_failure(seed: u64, why: &str) -> String {
    let case = generate(seed);
    let wasm = case.as_ref().map(|case| case.wasm.as_slice());
    smith::failure_report(
        seed,
        why,
        wasm,
        &format!("fuel-{seed}"),
        "fuel_fuzz_regression",
    )
}

#[test]
fn fuel_fuzz_smoke() {
    with_big_stack(smoke);
}

fn smoke() {
    let first = env_u64("REWIND_FUEL_FUZZ_SEED", 0);
    let cases = env_u64("REWIND_FUEL_FUZZ_CASES", 300);
    let started = std::time::Instant::now();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for seed in first..first + cases {
        if std::env::var("REWIND_FUZZ_VERBOSE").is_ok() {
            println!("seed {seed}");
        }
        if let Err(why) = check(seed, &mut tally) {
            failures.push(report_failure(seed, &why));
        }
    }
    println!(
        "fuel fuzz: seeds {first}..{} in {:.1?}: {tally:?}",
        first + cases,
        started.elapsed()
    );
    println!(
        "fuel fuzz: {}",
        tally.unsupported.report(tally.generated, 5)
    );
    if tally.trap_fuel_differs > 0 {
        println!(
            "fuel fuzz: {} sliced runs charged a trapping call more than one slice did \
             (allowed: see the module doc)",
            tally.trap_fuel_differs
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Not vacuous: most cases run, and they run out of fuel, many times
    // (checked on runs big enough to say).
    if cases >= 100 {
        assert!(
            tally.compared * 2 > cases,
            "too few cases compared: {tally:?}"
        );
        assert!(
            tally.out_of_fuel > cases,
            "too few out-of-fuel suspensions: {tally:?}"
        );
    }
}

/// Compiled `do`/`while` loops, which wasm-smith rarely generates: small
/// bodies ending with their back-edge, which the metering unrolls with
/// copies falling into each other (`fuel/unroll.rs`), with early exits,
/// `return`s, nested `if`s, a second back-edge and traps. Each case is
/// compared as the wasm-smith cases are; `REWIND_FUEL_FUZZ_LOOPS` cases
/// (default 200) from seed `REWIND_FUEL_FUZZ_SEED`.
#[test]
fn fuel_fuzz_do_while_loops() {
    with_big_stack(|| {
        let first = env_u64("REWIND_FUEL_FUZZ_SEED", 0);
        let cases = env_u64("REWIND_FUEL_FUZZ_LOOPS", 200);
        let mut tally = Tally::default();
        let mut failures = Vec::new();
        for seed in first..first + cases {
            let case = do_while_case(seed);
            if let Err(why) = check_case(&format!("fuel-loops-{seed}"), &case, &mut tally) {
                failures.push(format!("do-while seed {seed}: {why}"));
            }
        }
        println!("fuel fuzz, do-while loops: {tally:?}");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(tally.compared, cases, "{tally:?}");
        assert!(tally.unrolled_loops >= cases, "{tally:?}");
        assert!(tally.out_of_fuel > cases, "{tally:?}");
    });
}

/// Case `seed` of [`fuel_fuzz_do_while_loops`]: three exported functions,
/// each a `do`/`while` loop over a random body, a data memory and the save
/// memory, no imports.
fn do_while_case(seed: u64) -> Case {
    let mut rng = Rng(seed ^ 0xd0_c0de);
    let mut funcs = String::new();
    for f in 0..3 {
        let mut body = String::new();
        for _ in 0..1 + rng.below(4) {
            let k = rng.below(64);
            let statement = match rng.below(8) {
                0 => "(local.set $a (i32.add (i32.mul (local.get $a) (i32.const 31)) (local.get $i)))".to_string(),
                1 => "(local.set $b (i32.xor (local.get $b) (i32.load $data (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 1020)))))".to_string(),
                2 => "(i32.store $data (i32.and (i32.mul (local.get $a) (i32.const 4)) (i32.const 1020)) (i32.add (local.get $b) (local.get $i)))".to_string(),
                3 => format!("(br_if $out (i32.eq (i32.and (local.get $a) (i32.const 63)) (i32.const {k})))"),
                4 => format!("(if (i32.eq (i32.and (local.get $b) (i32.const 63)) (i32.const {k})) (then (return (local.get $a))))"),
                5 => "(if (i32.and (local.get $i) (i32.const 1)) (then (local.set $b (i32.add (local.get $b) (i32.const 3)))) (else (local.set $b (i32.sub (local.get $b) (local.get $a)))))".to_string(),
                6 => "(local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.and (i32.lt_u (local.get $i) (local.get $n)) (i32.eq (i32.and (local.get $a) (i32.const 7)) (i32.const 3))))".to_string(),
                _ => format!("(local.set $a (i32.add (local.get $a) (i32.div_u (i32.const 1000) (i32.and (local.get $b) (i32.const {})))))", 1 + 2 * k),
            };
            body += &statement;
            body += "\n      ";
        }
        let (n, start) = (1 + rng.below(300), rng.below(1000));
        funcs += &format!(
            r#"
  (func (export "f{f}") (result i32)
    (local $i i32) (local $a i32) (local $b i32) (local $n i32)
    (local.set $n (i32.const {n}))
    (local.set $a (i32.const {start}))
    (local.set $b (i32.load $data (i32.const 0)))
    (block $out
      (loop $l
      {body}(local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
    (i32.store $data (i32.const 0) (i32.add (local.get $a) (local.get $b)))
    (local.get $a))"#
        );
    }
    let wat =
        format!("(module\n  (memory $data 1)\n  (memory (export \"{SAVE_MEMORY}\") 1){funcs})");
    let schedule = |rng: &mut Rng| match rng.below(3) {
        0 => FuelSchedule::Fixed(1 + rng.below(30)),
        _ => FuelSchedule::Random {
            seed: rng.next_u64(),
            max: [10, 50, 200][rng.below(3) as usize],
        },
    };
    Case {
        wasm: wat::parse_str(&wat).expect("a generated do-while module parses"),
        fuel: fuel_options(seed),
        options: Options {
            memory: Some(SAVE_MEMORY.into()),
            imports: Some(Vec::new()),
            ..Options::default()
        },
        suspending: Vec::new(),
        runs: [
            (Policy::Never, schedule(&mut rng)),
            (Policy::Never, schedule(&mut rng)),
        ],
    }
}

/// A module that sums `0..=n` in a loop and stores and returns the sum.
fn loop_module(n: u32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (memory (export "__rewind_save") 1)
  (func (export "sum") (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.le_u (local.get $i) (i32.const {n}))))
    (i32.store (i32.const 8) (local.get $acc))
    (local.get $acc)))"#
    ))
    .expect("the loop module parses")
}

fn meter(wasm: &[u8]) -> Vec<u8> {
    meter_unrolled(wasm, FuelOptions::default().unroll)
}

/// `meter` with small loops unrolled `unroll` times at most (1: not at all).
fn meter_unrolled(wasm: &[u8], unroll: u32) -> Vec<u8> {
    let options = Options {
        memory: Some(SAVE_MEMORY.into()),
        ..Options::default()
    };
    let fuel = FuelOptions {
        unroll,
        ..FuelOptions::default()
    };
    rewind_transform::meter(wasm, &fuel, &options)
        .expect("the loop module meters")
        .wasm
}

fn sliced(schedule: FuelSchedule) -> [(Policy, FuelSchedule); 1] {
    [(Policy::Never, schedule)]
}

/// A recursion whose references live across each suspension exhausts
/// wasmi's frame limit during an unwind (side-table helpers add frames)
/// where the original trapped at the same call: the sliced runs stop there,
/// and everything before, including the calls of every earlier export,
/// must still match.
#[test]
fn fuel_fuzz_overflow_during_unwind() {
    with_big_stack(|| {
        let mut tally = Tally::default();
        check(29_105_203, &mut tally).unwrap();
        assert_eq!(tally.compared, 1, "{tally:?}");
        assert!(tally.overflows > 0, "no run overflowed: {tally:?}");
    });
}

/// Originals that wasmi 2.0.0 runs wrongly or crashes on (see
/// `smith::engine`) are compared on wasmtime, where original and metered
/// agree in every run.
#[test]
fn fuel_fuzz_wasmi_misrun_runs_on_wasmtime() {
    with_big_stack(|| {
        let mut tally = Tally::default();
        check(79_005_501, &mut tally).unwrap();
        check(79_008_122, &mut tally).unwrap();
        check(50_299_454, &mut tally).unwrap();
        check(83_005_349, &mut tally).unwrap();
        check(89_004_761, &mut tally).unwrap();
        check(35_009_908, &mut tally).unwrap();
        check(35_012_718, &mut tally).unwrap();
        check(33_045_296, &mut tally).unwrap();
        check(37_101_091, &mut tally).unwrap();
        check(46_002_953, &mut tally).unwrap();
        check(29_369_240, &mut tally).unwrap();
        assert_eq!((tally.generated, tally.compared), (11, 11), "{tally:?}");
    });
}

/// A sliced loop stops where its checks say, and consumes what it consumes
/// in one slice. Its 101 iterations cost 4 each (`i32.add` twice,
/// `i32.le_u`, `br_if`), after 1 for the `loop` instruction.
///
/// * With budgets of 1 every check runs out of fuel: once per iteration
///   without unrolling (101 stops), once per four iterations with the loop
///   unrolled four times (26).
/// * With budgets of 40, without unrolling, the first slice pays the
///   `loop` and nine iterations (3 left) and stops at the tenth; each later
///   slice runs that iteration and ten more (40 down to 0) and stops at
///   the next: before iterations 10, 21, ..., 98, 9 stops. Unrolled four
///   times, a check charges four iterations and fires when one does not
///   fit (fewer than 4 left): the first slice passes the checks before
///   iterations 1, 5 and 9 (39, 23, 7 left) and stops at the one before
///   13. After a stop the four copies run: the first was charged before
///   the stop, the other three (12) come out of the new budget, leaving
///   28, then the checks pass at 28 and 12 and stop at the third, twelve
///   iterations after the last stop: before iterations 13, 25, ..., 97,
///   8 stops.
#[test]
fn sliced_loop_stops_at_its_checks() {
    let wasm = loop_module(100);
    for (unroll, budget, stops) in [(1, 1, 101), (4, 1, 26), (1, 40, 9), (4, 40, 8)] {
        let mut tally = Tally::default();
        compare(
            &wasm,
            &meter_unrolled(&wasm, unroll),
            &[],
            &sliced(FuelSchedule::Fixed(budget)),
            u64::MAX,
            &mut tally,
        )
        .unwrap();
        assert_eq!(tally.compared, 1);
        assert_eq!(
            tally.out_of_fuel, stops,
            "unroll {unroll}, budget {budget}: {tally:?}"
        );
        assert_eq!(tally.slices, tally.out_of_fuel + 1, "{tally:?}");
    }
}

/// The harness notices a metered module that computes something else.
#[test]
fn harness_detects_a_behaviour_difference() {
    let wasm = loop_module(100);
    let other = meter(&loop_module(101));
    for schedule in [FuelSchedule::HUGE, FuelSchedule::Fixed(1)] {
        let err = compare(
            &wasm,
            &other,
            &[],
            &sliced(schedule),
            u64::MAX,
            &mut Tally::default(),
        )
        .expect_err("the harness misses a different result");
        assert!(err.contains("differs"), "{err}");
    }
}

/// The harness notices fuel consumption that depends on the budgets: a
/// hand-metered loop whose charge is 3 when the counter is odd and 2 when it
/// is even (made suspendable by the asyncify pass, as `meter` does).
#[test]
fn harness_detects_slicing_dependent_fuel() {
    let bad = wat::parse_str(
        r#"(module
  (import "rewind" "out_of_fuel" (func $out_of_fuel))
  (memory (export "__rewind_save") 1)
  (global $fuel (export "__rewind_fuel") (mut i64) (i64.const 0))
  (func (export "sum") (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (if (i64.lt_s (global.get $fuel) (i64.const 0)) (then (call $out_of_fuel)))
      (global.set $fuel
        (i64.sub (global.get $fuel)
          (i64.add (i64.const 2) (i64.and (global.get $fuel) (i64.const 1)))))
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.le_u (local.get $i) (i32.const 100))))
    (i32.store (i32.const 8) (local.get $acc))
    (local.get $acc)))"#,
    )
    .unwrap();
    let options = Options {
        imports: Some(vec!["rewind.out_of_fuel".into()]),
        memory: Some(SAVE_MEMORY.into()),
        ..Options::default()
    };
    let bad = rewind_transform::asyncify(&bad, &options).unwrap().wasm;
    let wasm = loop_module(100);
    let err = compare(
        &wasm,
        &bad,
        &[],
        &sliced(FuelSchedule::Fixed(2)),
        u64::MAX,
        &mut Tally::default(),
    )
    .expect_err("the harness misses slicing-dependent fuel");
    assert!(
        err.contains("fuel consumed depends on the slicing"),
        "{err}"
    );
}

/// A call that traps is charged up to its last out-of-fuel stop (minimised
/// from seed 108). Its charges: 1 for the `loop` instruction, 3 per
/// iteration (`i32.add`, `i32.lt_u`, `br_if`), 1 for `unreachable`. In one
/// slice nothing reaches the global before the trap: 0. With budgets of 1
/// the check at every loop head stops the call, the last time after the
/// tenth iteration's charge: 1 + 10 * 3 = 31. Unrolled four times, the loop
/// is checked before iterations 1, 5 and 9: the last stop is after the
/// ninth iteration's charge, 1 + 9 * 3 = 28.
#[test]
fn trapping_call_is_charged_up_to_its_last_stop() {
    let wasm = wat::parse_str(
        r#"(module
  (memory (export "__rewind_save") 1)
  (func (export "count_then_trap")
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    unreachable))"#,
    )
    .unwrap();
    let calls = smith::calls_with_zero_args(&wasm);
    let engine = EngineKind::Wasmi;
    let oracle = smith::oracle(engine, &wasm, &[], &calls).unwrap().unwrap();
    let consumed = |metered: &[u8], schedule: &FuelSchedule| {
        let run = metered_run(
            engine,
            metered,
            &[],
            &calls,
            &oracle,
            &Policy::Never,
            schedule,
        )
        .unwrap();
        run.stats.per_call.clone()
    };
    for (unroll, last_stop) in [(1, 31), (4, 28)] {
        let metered = meter_unrolled(&wasm, unroll);
        assert_eq!(consumed(&metered, &FuelSchedule::HUGE), [0]);
        assert_eq!(consumed(&metered, &FuelSchedule::Fixed(1)), [last_stop]);
    }
    let metered = meter(&wasm);
    let mut tally = Tally::default();
    compare(
        &wasm,
        &metered,
        &[],
        &sliced(FuelSchedule::Fixed(7)),
        u64::MAX,
        &mut tally,
    )
    .unwrap();
    assert_eq!(tally.trap_fuel_differs, 1, "{tally:?}");
}
