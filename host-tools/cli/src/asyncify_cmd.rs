//! `rewind asyncify`: build the transform options, read the module, run
//! the transform, report, write the result (only if everything succeeded,
//! see `io`).

use std::io;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::AsyncifyArgs;
use crate::{progress, stats, transform_options};

/// Runs `rewind asyncify`.
pub fn run(args: &AsyncifyArgs) -> Result<()> {
    let options = transform_options::build(&args.transform)?;
    let wasm = args.io.read_module()?;

    let start = Instant::now();
    let output = rewind_transform::asyncify_with_progress(
        &wasm,
        &options,
        &mut progress::to_stderr(args.stats),
    )
    .with_context(|| format!("failed to instrument `{}`", args.io.input_name()))?;
    let measured = start.elapsed();
    let report = &output.report;

    // Diagnostics go to stderr; failing to print them is not worth failing
    // the run for.
    let mut stderr = io::stderr().lock();
    let _ = stats::print_warnings(&mut stderr, report);
    if args.verbose {
        let _ = stats::print_decisions(&mut stderr, report);
    }

    args.io.write_module(&output.wasm)?;

    if args.stats {
        let elapsed = if report.elapsed.is_zero() {
            measured
        } else {
            report.elapsed
        };
        let _ = stats::print_stats(&mut stderr, report, elapsed);
    }
    Ok(())
}
