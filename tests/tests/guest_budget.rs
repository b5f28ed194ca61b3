//! Per-task CPU budgets of `rewind-guest` end to end: `examples/cpu-budget`
//! is built for wasm32 (release, LTO), metered with
//! `rewind_transform::meter` (the guest's `rewind_out_of_fuel` as the
//! handler, `rewind.out_of_fuel` as the suspending import) and run under
//! rewind-host in slices of host fuel.
//!
//! The example runs `untrusted` (an endless loop that never yields) and
//! `primes` (counts the primes below 5000, then returns) as scheduler
//! tasks with a budget per turn, and reports every task's stats after each
//! round through `env.report`. `examples/fuel-checks` covers the rest:
//! tasks without a budget, a generator inside a budgeted task, the counter.

mod guest_common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use rewind_host::wasmi::{Caller, Engine, Val};
use rewind_host::{FuelOutcome, HostData, Instance, Linker, Module};
use rewind_transform::{FuelOptions, Options, Output};

/// The examples that use the `fuel` feature, built once per process in a
/// cargo run of their own.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| guest_common::build_packages(&["cpu-budget", "rewind-example-fuel-checks"]))
}

/// Example `name` (file stem) metered with the guest's handler.
fn meter(name: &str) -> Output {
    let path = built().join(format!("{name}.wasm"));
    let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fuel = FuelOptions {
        handler: Some("rewind_out_of_fuel".into()),
        ..FuelOptions::default()
    };
    let options = Options {
        imports: Some(vec!["rewind.out_of_fuel".into()]),
        ..Options::default()
    };
    rewind_transform::meter(&wasm, &fuel, &options).expect("the transform rejects the example")
}

/// The metered cpu-budget example.
fn cpu_budget() -> &'static Output {
    static OUTPUT: OnceLock<Output> = OnceLock::new();
    OUTPUT.get_or_init(|| meter("cpu_budget"))
}

/// One task after a round, as the guest reports it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Report {
    done: bool,
    fuel: u64,
    turns: u64,
    preemptions: u64,
    progress: u64,
}

/// What the guest told the host.
#[derive(Debug, Default)]
struct Trace {
    /// Both tasks after each round.
    rounds: Vec<[Report; 2]>,
    /// Lines printed through `env.print`.
    lines: Vec<String>,
}

/// A finished run.
#[derive(Debug)]
struct Run {
    trace: Trace,
    /// Host slices: the first call and every resume.
    host_slices: u64,
    /// Fuel the host's slices consumed in all.
    host_fuel: u64,
}

const UNTRUSTED: usize = 0;
const PRIMES: usize = 1;
/// The primes below 5000.
const PRIMES_BELOW_5000: u64 = 669;

/// More host slices than any run here needs (one fuel per slice takes
/// about ten per round).
const MAX_HOST_SLICES: u64 = 100_000;

/// Runs cpu-budget's `run(rounds, task_fuel)` in host slices of
/// `host_slice` fuel.
fn run(rounds: u32, task_fuel: u64, host_slice: u64) -> Result<Run> {
    let args = [Val::I32(rounds as i32), Val::I64(task_fuel as i64)];
    call(&cpu_budget().wasm, "run", &args, host_slice)
}

/// Calls `export` of a metered module in host slices of `host_slice` fuel,
/// until it returns.
fn call(wasm: &[u8], export: &str, args: &[Val], host_slice: u64) -> Result<Run> {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm)?;
    let mut linker = Linker::<Trace>::new(&engine);
    linker.func_wrap(
        "env",
        "report",
        |mut caller: Caller<'_, HostData<Trace>>,
         task: i32,
         done: i32,
         fuel: i64,
         turns: i64,
         preemptions: i64,
         progress: i64| {
            let report = Report {
                done: done != 0,
                fuel: fuel as u64,
                turns: turns as u64,
                preemptions: preemptions as u64,
                progress: progress as u64,
            };
            let rounds = &mut caller.data_mut().rounds;
            if task == 0 {
                rounds.push([report, Report::default()]);
            } else if let Some(last) = rounds.last_mut() {
                last[task as usize] = report;
            }
        },
    )?;
    linker.func_wrap(
        "env",
        "print",
        |mut caller: Caller<'_, HostData<Trace>>, ptr: i32, len: i32| {
            let memory = caller
                .get_export("memory")
                .and_then(|e| e.into_memory())
                .expect("memory");
            let mut line = vec![0; len as usize];
            memory
                .read(&caller, ptr as usize, &mut line)
                .expect("print in bounds");
            let line = String::from_utf8_lossy(&line).into_owned();
            caller.data_mut().lines.push(line);
        },
    )?;
    let mut instance: Instance<Trace> = linker.instantiate(&module, Trace::default())?;
    let mut outcome = instance.call_with_fuel(export, args, host_slice);
    let mut host_slices = 1;
    loop {
        match outcome.with_context(|| format!("{:?}", instance.data().lines))? {
            FuelOutcome::Finished(_) => break,
            FuelOutcome::OutOfFuel(call) => {
                host_slices += 1;
                if host_slices > MAX_HOST_SLICES {
                    bail!("no end after {MAX_HOST_SLICES} host slices");
                }
                outcome = instance.resume_with_fuel(call, host_slice);
            }
            FuelOutcome::Suspended(call) => bail!("suspended in {}", call.import()),
        }
    }
    let host_fuel = instance.fuel_consumed();
    Ok(Run {
        trace: instance.into_data(),
        host_slices,
        host_fuel,
    })
}

#[test]
fn an_endless_task_is_preempted_and_the_other_finishes() {
    let r = run(100, 10_000, 100_000).unwrap();
    assert_eq!(r.trace.rounds.len(), 100);
    let [untrusted, primes] = *r.trace.rounds.last().unwrap();
    // `untrusted` ran every round and every turn ended in a preemption.
    assert!(!untrusted.done);
    assert_eq!(untrusted.turns, 100);
    assert_eq!(untrusted.preemptions, 100);
    // Each turn used the budget and overdrew by at most a few units.
    assert!(untrusted.fuel >= 100 * 10_000 && untrusted.fuel < 100 * 10_100);
    assert!(untrusted.progress > 100_000, "{untrusted:?}");
    // `primes` finished with the right count: preempted on all but its
    // last turn.
    assert!(primes.done, "{primes:?}");
    assert_eq!(primes.progress, PRIMES_BELOW_5000);
    assert_eq!(primes.preemptions, primes.turns - 1);
    assert!(primes.turns < 100);
    // The host's slices ran out of fuel many times, and cover everything
    // the tasks used.
    assert!(r.host_slices > 10, "{}", r.host_slices);
    assert!(r.host_fuel > untrusted.fuel + primes.fuel);
    assert_eq!(r.trace.lines.len(), 1, "{:?}", r.trace.lines);
    assert!(
        r.trace.lines[0].starts_with("100 rounds: untrusted "),
        "{:?}",
        r.trace.lines
    );
}

/// While both tasks run, every round gives each the same budget: their
/// fuel differs only by their overdraws.
#[test]
fn tasks_share_the_fuel_fairly_while_both_run() {
    let r = run(30, 5_000, 50_000).unwrap();
    for (n, [untrusted, primes]) in r.trace.rounds.iter().enumerate() {
        assert_eq!(untrusted.turns, n as u64 + 1);
        if primes.done {
            break;
        }
        assert_eq!(primes.turns, untrusted.turns);
        let diff = untrusted.fuel.abs_diff(primes.fuel);
        // At most 1% apart (in fact a few units per turn).
        assert!(
            diff * 100 <= untrusted.fuel,
            "round {n}: {untrusted:?} {primes:?}"
        );
    }
}

/// Each task's fuel, round by round, is the same on every run and for every
/// host slice size: from one unit (the host suspends the module at every
/// check outside the tasks) to more than the whole run.
#[test]
fn task_fuel_is_deterministic_across_runs_and_host_slices() {
    let reference = run(80, 10_000, 100_000).unwrap();
    let primes = reference.trace.rounds.last().unwrap()[PRIMES];
    assert!(primes.done);
    for host_slice in [100_000, 1, 999, 7_919, 10_000, u64::MAX] {
        let r = run(80, 10_000, host_slice).unwrap();
        assert_eq!(
            r.trace.rounds, reference.trace.rounds,
            "host slice {host_slice}"
        );
        assert_eq!(
            r.trace.lines, reference.trace.lines,
            "host slice {host_slice}"
        );
        // The host's total is deterministic too.
        assert_eq!(r.host_fuel, reference.host_fuel, "host slice {host_slice}");
        if host_slice == u64::MAX {
            assert_eq!(r.host_slices, 1);
        }
    }
    // Another task budget changes the turns but not the work, nor its fuel
    // beyond the overdraws of the additional turns.
    let r = run(300, 3_000, 100_000).unwrap();
    let last = r.trace.rounds.last().unwrap();
    assert_eq!(last[UNTRUSTED].turns, 300);
    assert!(last[PRIMES].done);
    assert_eq!(last[PRIMES].progress, PRIMES_BELOW_5000);
    assert!(last[PRIMES].turns > 3 * primes.turns);
    assert!(last[PRIMES].fuel.abs_diff(primes.fuel) < 100 * last[PRIMES].turns);
}

/// Nothing is allocated (or freed) per turn, per preemption or per host
/// slice. (A task that finishes frees its block: `primes` needs more than
/// 150 turns of 2000 fuel.)
#[test]
fn no_allocation_per_slice() {
    let r = run(150, 2_000, 5_000).unwrap();
    let [untrusted, primes] = *r.trace.rounds.last().unwrap();
    assert_eq!(untrusted.preemptions + primes.preemptions, 300);
    assert!(r.host_slices > 100, "{}", r.host_slices);
    let line = &r.trace.lines[0];
    assert!(line.ends_with("; 0 allocator calls"), "{line}");
}

/// After LTO and metering the guest runtime keeps its roles: the two
/// stack-switching functions stay uninstrumented (the fuel is parked while
/// they run, so their checks never call the handler) and the handler is
/// instrumented, since it suspends (a task, or the whole module).
#[test]
fn the_runtime_keeps_its_roles_in_a_metered_module() {
    let decisions = &cpu_budget().report.decisions;
    let find = |name: &str| {
        let found: Vec<_> = decisions
            .iter()
            .filter(|d| d.function.contains(name))
            .collect();
        assert_eq!(found.len(), 1, "{name}: {found:#?}");
        found[0]
    };
    let suspend = find("rewind_guest7runtime11suspend_raw");
    assert!(!suspend.instrumented && suspend.reason.starts_with("top-most runtime"));
    let resume = find("rewind_guest7runtime10resume_raw");
    assert!(!resume.instrumented && resume.reason.starts_with("bottom-most runtime"));
    let handler = find("rewind_out_of_fuel");
    assert!(handler.instrumented, "{handler:?}");
}

/// Fuel-checks' `export(arg)` in host slices of `host_slice` fuel: the
/// lines it printed.
fn check(export: &str, arg: Val, host_slice: u64) -> Vec<String> {
    static OUTPUT: OnceLock<Output> = OnceLock::new();
    let wasm = &OUTPUT
        .get_or_init(|| meter("rewind_example_fuel_checks"))
        .wasm;
    call(wasm, export, &[arg], host_slice).unwrap().trace.lines
}

/// Tasks without a budget share the host's fuel: each turn lasts until a
/// host slice runs out, then the task is preempted and the scheduler
/// suspends the module; the next slice goes to the other task.
#[test]
fn tasks_without_a_budget_are_preempted_by_the_hosts_fuel() {
    let lines = check("unbudgeted", Val::I32(5), 20_000);
    assert_eq!(lines.len(), 1);
    let numbers: Vec<u64> = lines[0]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let [a_turns, a_preempted, a_spins, b_turns, b_preempted, b_spins] = numbers[..] else {
        panic!("{lines:?}")
    };
    assert_eq!((a_turns, a_preempted, b_turns, b_preempted), (5, 5, 5, 5));
    // Each turn got about one host slice (6 fuel per spin).
    assert!(a_spins > 5 * 2_000 && b_spins > 5 * 2_000, "{lines:?}");
    assert!(a_spins.abs_diff(b_spins) * 20 < a_spins, "{lines:?}");
    assert_eq!(check("unbudgeted", Val::I32(5), 20_000), lines);
}

/// A generator that overruns its task's budget is not preempted (a plain
/// coroutine cannot be); the task is, once the generator yields, and the
/// generator's fuel counts as the task's.
#[test]
fn a_generator_inside_a_budgeted_task() {
    for host_slice in [u64::MAX, 3_000] {
        let lines = check("generator_in_task", Val::I64(500), host_slice);
        // 10 * (1 + 4 + ... + 100) * 100 = 10 * 385 * 100.
        assert!(lines[0].starts_with("total 385000, "), "{lines:?}");
        let numbers: Vec<u64> = lines[0]
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        let [_, turns, preempted, fuel] = numbers[..] else {
            panic!("{lines:?}")
        };
        // Preempted after (nearly) every value, never inside the generator:
        // the ten values need about 5500 iterations, more than 500 per turn.
        assert!((10..=12).contains(&turns), "{lines:?}");
        assert_eq!(preempted, turns - 1, "{lines:?}");
        assert!(fuel > 5_500 * 5, "{lines:?}");
    }
}

#[test]
fn the_counter_in_main_and_in_a_task() {
    let lines = check("counter", Val::I64(4_000), u64::MAX);
    assert_eq!(
        lines,
        [
            "main: goes down true",
            // `fuel::set(-1)`: preempted at the next check, done next turn.
            "task: starts within its budget true, 2 turns, 1 preempted",
        ]
    );
}
