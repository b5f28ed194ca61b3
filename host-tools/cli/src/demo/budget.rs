//! `rewind demo budget`: CPU budgets for untrusted code.
//!
//! The module is `examples/cpu-budget`, built for wasm32 and metered by
//! `build.rs` (see `built`; `rewind fuel --fuel-handler rewind_out_of_fuel
//! --imports rewind.out_of_fuel`). Its export `run(0, task_fuel)` runs two
//! tasks under rewind-guest's scheduler, each with `task_fuel` fuel per
//! turn: `untrusted` loops forever, `primes` counts primes and returns.
//! After every scheduler round the guest calls `env.report` once per task.
//!
//! The host runs `run` in slices of fuel (`Instance::call_with_fuel`, then
//! `resume_with_fuel`): the guest's scheduler checks the host's fuel
//! between the tasks' turns and suspends the whole module when it is spent.
//! After each slice the host prints one line from the latest reports;
//! after the last, a summary. Nothing in the output depends on time, so it
//! is the same on every run.

use std::io::Write;

use anyhow::{Context, Result, bail};
use rewind_host::wasmi::{Caller, Engine, Val};
use rewind_host::{FuelOutcome, HostData, Linker, Module};

use super::{emit, quiet_broken_pipe, read_guest};
use crate::cli::BudgetArgs;

/// The tasks, in the order the guest numbers them, with what their
/// progress counts.
const TASKS: [(&str, &str); 2] = [("untrusted", "spins"), ("primes", "found")];

/// One task as the guest last reported it.
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
struct Guest {
    tasks: [Report; 2],
    /// Lines printed through `env.print` (a panic message, if it panics).
    printed: Vec<String>,
}

/// Runs `rewind demo budget` with the metered cpu-budget module `wasm`.
pub fn run(args: &BudgetArgs, wasm: &[u8]) -> Result<()> {
    match &args.emit_wasm {
        Some(path) => emit(path, wasm),
        None => quiet_broken_pipe(play(args, wasm)),
    }
}

/// Runs the slices, printing each; then the summary.
fn play(args: &BudgetArgs, wasm: &[u8]) -> Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).context("failed to load the cpu-budget module")?;
    let mut linker = Linker::<Guest>::new(&engine);
    linker.func_wrap("env", "report", report)?;
    linker.func_wrap("env", "print", print)?;
    // `rewind.out_of_fuel` is defined by `instantiate`: a yield.
    let mut instance = linker
        .instantiate(&module, Guest::default())
        .context("failed to instantiate the cpu-budget module")?;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "CPU budgets (examples/cpu-budget): two tasks share rewind-guest's scheduler, each with\n\
         {} fuel per turn. `untrusted` loops forever and never yields; `primes` counts primes,\n\
         then returns. A task whose turn runs out of fuel is preempted, so `untrusted` cannot\n\
         starve `primes`. The host runs the whole module in slices of {} fuel (a slice ends\n\
         between two turns).\n",
        args.task_fuel, args.slice_fuel
    )?;

    write_header(&mut out)?;
    let run_args = [Val::I32(0), Val::I64(args.task_fuel as i64)];
    let mut outcome = instance.call_with_fuel("run", &run_args, args.slice_fuel);
    let mut before = [Report::default(); 2];
    for n in 1..=args.slices {
        let call = match outcome {
            Ok(FuelOutcome::OutOfFuel(call)) => call,
            Ok(FuelOutcome::Suspended(call)) => {
                bail!("the guest suspended in `{}`, not for fuel", call.import())
            }
            Ok(FuelOutcome::Finished(_)) => bail!("the guest's endless scheduler returned"),
            Err(err) => {
                let printed = &instance.data().printed;
                return Err(err).with_context(|| match printed.is_empty() {
                    true => "the cpu-budget guest failed".to_string(),
                    false => format!("the cpu-budget guest failed: {}", printed.join("\n")),
                });
            }
        };
        let now = instance.data().tasks;
        write_slice(&mut out, n, instance.last_slice_fuel(), &before, &now)?;
        before = now;
        if n == args.slices {
            // Dropping the suspended call abandons the endless scheduler.
            drop(call);
            break;
        }
        outcome = instance.resume_with_fuel(call, args.slice_fuel);
    }
    write_summary(&mut out, args.slices, instance.fuel_consumed(), &before)?;
    out.flush()?;
    Ok(())
}

/// `env.report(task, done, fuel, turns, preemptions, progress)`.
fn report(
    mut caller: Caller<'_, HostData<Guest>>,
    task: i32,
    done: i32,
    fuel: i64,
    turns: i64,
    preemptions: i64,
    progress: i64,
) -> Result<(), rewind_host::wasmi::Error> {
    let slot = usize::try_from(task)
        .ok()
        .and_then(|t| caller.data_mut().tasks.get_mut(t))
        .ok_or_else(|| rewind_host::wasmi::Error::new(format!("report: no task {task}")))?;
    *slot = Report {
        done: done != 0,
        fuel: fuel as u64,
        turns: turns as u64,
        preemptions: preemptions as u64,
        progress: progress as u64,
    };
    Ok(())
}

/// `env.print(ptr, len)`: keeps the line.
fn print(
    mut caller: Caller<'_, HostData<Guest>>,
    ptr: i32,
    len: i32,
) -> Result<(), rewind_host::wasmi::Error> {
    let line = read_guest(&caller, ptr, len, "print")?;
    let line = String::from_utf8_lossy(&line).into_owned();
    caller.data_mut().printed.push(line);
    Ok(())
}

/// The two header lines of the slice table.
fn write_header(out: &mut impl Write) -> std::io::Result<()> {
    let names: String = TASKS
        .iter()
        .map(|(name, _)| format!("{name:<25}"))
        .collect();
    writeln!(out, "{:16}{}", "", names.trim_end())?;
    write!(out, "{:>5}{:>8}", "slice", "fuel")?;
    for (_, unit) in TASKS {
        write!(out, "   {:>5}{:>9}{:>8}", "turns", "fuel", unit)?;
    }
    writeln!(out)
}

/// One host slice: its fuel, then per task the turns it got since the
/// last slice (or `done`), its fuel so far and its progress.
fn write_slice(
    out: &mut impl Write,
    n: u32,
    fuel: u64,
    before: &[Report; 2],
    now: &[Report; 2],
) -> std::io::Result<()> {
    write!(out, "{n:>5}{fuel:>8}")?;
    for (was, is) in before.iter().zip(now) {
        let turns = match is.done {
            true => "done".to_string(),
            false => format!("+{}", is.turns - was.turns),
        };
        write!(out, "   {turns:>5}{:>9}{:>8}", is.fuel, is.progress)?;
    }
    writeln!(out)
}

/// Each task's share of the fuel the tasks used, turns and preemptions.
fn write_summary(
    out: &mut impl Write,
    slices: u32,
    total: u64,
    tasks: &[Report; 2],
) -> std::io::Result<()> {
    let used: u64 = tasks.iter().map(|t| t.fuel).sum();
    writeln!(
        out,
        "\n{slices} slices, {total} fuel; the tasks' turns until the last report used {used}:"
    )?;
    for ((name, unit), task) in TASKS.iter().zip(tasks) {
        let share = if used == 0 {
            0.0
        } else {
            100.0 * task.fuel as f64 / used as f64
        };
        let state = if task.done { "finished" } else { "running" };
        writeln!(
            out,
            "{name:<9} {share:>5.1}% {:>8} fuel {:>4} turns {:>4} preempted {:>7} {unit}  {state}",
            task.fuel, task.turns, task.preemptions, task.progress
        )?;
    }
    Ok(())
}
