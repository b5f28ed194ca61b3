//! What `--asserts` costs, in the examples part: every module instrumented
//! with the `imports` option set (only `env.read_input` and `env.yield_now`
//! suspend, so functions that call the other imports stay uninstrumented
//! and get checks), without and with `Options::asserts`: the checks added,
//! the code size, and the run time under wasmi with a real unwind and
//! rewind at every suspending import (median of the module's iteration
//! count, at least five runs), side by side as ratios. Both outputs must
//! behave like the original.

use std::time::{Duration, Instant};

use rewind_transform::{Options, asyncify};

use crate::exec::{Trace, execute};
use crate::inspect::code_size;
use crate::modules::BenchModule;
use crate::option_sets::option_sets;
use crate::table::{fmt_time, median, print_table, ratio};

/// Prints the `--asserts` cost table for `modules`.
pub fn run(modules: &[BenchModule]) {
    let imports = option_sets()
        .into_iter()
        .find(|s| s.name == "imports")
        .expect("the `imports` option set")
        .ours;
    let asserts = Options {
        asserts: true,
        ..imports.clone()
    };
    let rows: Vec<Vec<String>> = modules
        .iter()
        .map(|m| row(m, &imports, &asserts).unwrap_or_else(|e| failed(m, &e)))
        .collect();
    print_table(
        "--asserts cost (option set `imports`, a suspension at every suspending import)",
        &[
            "module",
            "checks",
            "size",
            "size +asserts",
            "ratio",
            "run",
            "run +asserts",
            "ratio",
        ],
        &rows,
    );
}

fn row(m: &BenchModule, imports: &Options, asserts: &Options) -> Result<Vec<String>, String> {
    eprintln!("   [asserts cost] {} ...", m.name);
    let reference = execute(&m.wasm, &m.input, false)?.0;
    let plain = asyncify(&m.wasm, imports).map_err(|e| e.to_string())?;
    let checked = asyncify(&m.wasm, asserts).map_err(|e| e.to_string())?;
    let runs = m.iters.max(5);
    let plain_time = timed_runs(m, &plain.wasm, &reference, runs)?;
    let checked_time = timed_runs(m, &checked.wasm, &reference, runs)?;
    let (plain_size, checked_size) = (code_size(&plain.wasm), code_size(&checked.wasm));
    Ok(vec![
        m.name.clone(),
        checked.report.assert_checks.to_string(),
        plain_size.to_string(),
        checked_size.to_string(),
        ratio(checked_size, plain_size),
        fmt_time(plain_time),
        fmt_time(checked_time),
        format!(
            "{:.3}",
            checked_time.as_secs_f64() / plain_time.as_secs_f64().max(1e-9)
        ),
    ])
}

/// The median wall time of `runs` runs of `wasm`, each checked against the
/// original's trace.
fn timed_runs(
    m: &BenchModule,
    wasm: &[u8],
    reference: &Trace,
    runs: usize,
) -> Result<Duration, String> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let (trace, _) = execute(wasm, &m.input, true)?;
        times.push(started.elapsed());
        if &trace != reference {
            return Err("the output does not behave like the original".into());
        }
    }
    Ok(median(times))
}

fn failed(m: &BenchModule, why: &str) -> Vec<String> {
    eprintln!("   [asserts cost] {}: FAILED: {why}", m.name);
    let mut row = vec![m.name.clone(), format!("FAILED: {why}")];
    row.resize(8, "-".into());
    row
}
