//! `rewind resume`: continue a program from a checkpoint of `rewind run
//! --checkpoint`, in this process, the way it was running — in slices of
//! fuel, or suspending at the same `--suspend-at` imports — with the WASI
//! state rebuilt (`wasi_state.rs`) and the counts (`slices:`, `fuel:`,
//! `suspensions:`, `yields:`) carried on, so that they end as in an
//! uninterrupted run. The call is driven as `rewind run` drives it
//! (`drive.rs`), checkpoints included.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use rewind_host::Instance;
use rewind_host::wasmi::Engine;

use crate::checkpoint;
use crate::cli::ResumeArgs;
use crate::drive::{Driver, Stops};
use crate::run_cmd::{self, host_linker};
use crate::wasi_state::Preopen;

/// Runs `rewind resume`; the exit code is the program's.
pub fn run(args: &ResumeArgs) -> Result<ExitCode> {
    let path = &args.module;
    let wasm =
        wat::parse_file(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let preopens = args.dir.iter().map(|spec| Preopen::parse(spec)).collect();
    let (snapshot, mut state, host) = checkpoint::read(&args.snapshot, preopens)
        .with_context(|| format!("failed to load checkpoint `{}`", args.snapshot.display()))?;
    if let Some(slice) = args.fuel_slice {
        state.slice = Some(slice);
    }
    if args.max_slices.is_some() && state.slice.is_none() {
        bail!(
            "--max-slices needs --fuel-slice: checkpoint `{}` was not taken in slices of fuel",
            args.snapshot.display()
        );
    }

    let engine = Engine::default();
    let module = rewind_host::Module::with_snapshots(&engine, &wasm)
        .with_context(|| format!("failed to load `{}`", path.display()))?;
    let linker = host_linker(&engine, &state.suspend_at, state.tally.yields.is_some())?;
    let (instance, call) =
        Instance::restore(&linker, &module, &snapshot, host).with_context(|| {
            format!(
                "failed to restore checkpoint `{}` into `{}`",
                args.snapshot.display(),
                path.display()
            )
        })?;
    let export = snapshot.export();
    let driver = Driver {
        instance,
        export,
        state,
        stops: Stops {
            checkpoint: args.checkpoints.checkpoint.clone(),
            every: args.checkpoints.checkpoint_every,
            max_slices: args.max_slices,
        },
        suspended: &mut |_| {},
    };
    let ran = driver
        .resume(call)
        .map_err(|err| run_cmd::failure(err, path, export))?;
    Ok(run_cmd::finish(ran))
}
