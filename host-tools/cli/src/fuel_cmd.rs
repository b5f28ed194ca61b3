//! `rewind fuel`: meter a module with deterministic fuel and instrument it
//! so that running out of fuel suspends (see `rewind_transform::fuel`).
//!
//! Like `rewind asyncify`, the output is written only when everything
//! succeeded (see `io`).

use std::io::{self, Write};

use anyhow::{Context, Result};
use rewind_transform::{Costs, FuelOptions, FuelReport};

use crate::cli::FuelArgs;
use crate::{progress, stats, transform_options};

/// Runs `rewind fuel`.
pub fn run(args: &FuelArgs) -> Result<()> {
    let options = transform_options::build(&args.transform)?;
    let costs = match &args.costs {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read `{}`", path.display()))?;
            Costs::parse(&text)
                .with_context(|| format!("invalid cost file `{}`", path.display()))?
        }
        None => Costs::default(),
    };
    let fuel = FuelOptions {
        costs,
        import_fuel: args.import_fuel,
        handler: args.fuel_handler.clone(),
        unroll: args.unroll_loops,
    };

    let wasm = args.io.read_module()?;
    let output = rewind_transform::meter_with_progress(
        &wasm,
        &fuel,
        &options,
        &mut progress::to_stderr(args.stats),
    )
    .with_context(|| format!("failed to meter `{}`", args.io.input_name()))?;
    let report = &output.report;

    let mut stderr = io::stderr().lock();
    let _ = stats::print_warnings(&mut stderr, report);
    args.io.write_module(&output.wasm)?;
    if args.stats {
        if let Some(fuel) = &report.fuel {
            let _ = print_fuel(&mut stderr, fuel);
        }
        let _ = stats::print_stats(&mut stderr, report, report.elapsed);
    }
    Ok(())
}

/// Prints the fuel part of `--stats`.
fn print_fuel(out: &mut dyn Write, fuel: &FuelReport) -> io::Result<()> {
    writeln!(out, "metered:       {} functions", fuel.functions_metered)?;
    writeln!(
        out,
        "fuel checks:   {} ({} on entry doubling as the rewind test)",
        fuel.checks, fuel.entry_checks_folded
    )?;
    writeln!(out, "fuel charges:  {}", fuel.charges)?;
    writeln!(out, "unrolled:      {} loops", fuel.loops_unrolled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_stats_layout() {
        let mut out = Vec::new();
        let report = FuelReport {
            functions_metered: 3,
            checks: 4,
            charges: 5,
            loops_unrolled: 2,
            entry_checks_folded: 1,
        };
        print_fuel(&mut out, &report).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "metered:       3 functions\nfuel checks:   4 (1 on entry doubling as the rewind test)\nfuel charges:  5\nunrolled:      2 loops\n"
        );
    }
}
