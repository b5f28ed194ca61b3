//! `rewind resume`: continue a program from a checkpoint of `rewind run
//! --checkpoint`, in this process, the way it was running — in slices of
//! fuel, or suspending at the same `--suspend-at` imports — with the WASI
//! state rebuilt (see `wasi_state`) and the counts (`slices:`, `fuel:`,
//! `suspensions:`) carried on, so that they end as in an uninterrupted run.

use std::process::ExitCode;

use anyhow::{Context, Result};
use rewind_host::Instance;
use rewind_host::wasmi::Engine;

use crate::checkpoint;
use crate::cli::ResumeArgs;
use crate::drive::{Driver, Stops};
use crate::run_cmd::{check_metered, host_linker, host_module, print_counts, report};
use crate::wasi_state::Preopen;

/// Runs `rewind resume`; the exit code is the program's.
pub fn run(args: &ResumeArgs) -> Result<ExitCode> {
    let wasm = wat::parse_file(&args.module)
        .with_context(|| format!("failed to read `{}`", args.module.display()))?;
    let preopens = args.dir.iter().map(|spec| Preopen::parse(spec)).collect();
    let (snapshot, mut state, host) = checkpoint::read(&args.snapshot, preopens)
        .with_context(|| format!("failed to load checkpoint `{}`", args.snapshot.display()))?;
    let engine = Engine::default();
    let module = host_module(&engine, &wasm, true)
        .with_context(|| format!("failed to load `{}`", args.module.display()))?;
    let linker = host_linker(&engine, &state.suspend_at)?;
    let (mut instance, call) =
        Instance::restore(&linker, &module, &snapshot, host).with_context(|| {
            format!(
                "failed to restore `{}` into `{}`",
                args.snapshot.display(),
                args.module.display()
            )
        })?;
    let export = snapshot.export().to_string();
    let stops = Stops::new(&args.checkpoints, args.max_slices);
    let ran = match args.fuel_slice.or(state.slice) {
        Some(slice) => {
            check_metered(&instance)?;
            state.slice = Some(slice);
            state.slices += 1;
            let outcome = instance.resume_with_fuel(call, slice);
            let mut driver = Driver {
                instance: &mut instance,
                state,
                stops,
                export: &export,
            };
            let ran = driver.slices(slice, outcome);
            print_counts(&driver);
            ran
        }
        None => {
            let outcome = instance.resume(call);
            let mut driver = Driver {
                instance: &mut instance,
                state,
                stops,
                export: &export,
            };
            let ran = driver.suspensions(outcome);
            eprintln!("suspensions: {}", driver.state.suspensions);
            ran
        }
    };
    report(ran, &export, &args.module)
}
