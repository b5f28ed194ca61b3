//! The real part: big published modules ([`REAL_MODULES`]), fetched on
//! first use, transformed with `Options::default()` (every import may
//! suspend, as for a port of a synchronous C program to an async host).
//!
//! For every module it measures, in a child process per module
//! ([`transform_in_child`]), the transform's median time and peak
//! resident memory; then, in this process, the output's size and
//! validity, and with Binaryen (when found) `wasm-opt -O` of our output
//! and `wasm-opt --asyncify -O` of the original (when Binaryen accepts
//! it). The outputs cannot be run: they need their own JS or WASI glue.

use std::path::Path;
use std::time::Duration;

use crate::Setup;
use crate::binaryen::WasmOpt;
use crate::breakdown::{Breakdown, breakdown};
use crate::child::{ChildResult, transform_in_child};
use crate::env::{env_usize, selected};
use crate::fetch::fetch;
use crate::inspect::{code_size, validate};
use crate::real_modules::{REAL_MODULES, RealModule};
use crate::table::{fmt_run_time, fmt_size, fmt_time, median, print_table, ratio};

struct Row {
    name: &'static str,
    file_size: usize,
    /// Size without custom sections, the base of the ratios.
    orig: usize,
    ours: Result<Ours, String>,
    /// `wasm-opt -O` of our output.
    ours_o: Option<Result<usize, String>>,
    /// `wasm-opt --asyncify -O` of the original: size, time, cached.
    bin: Option<Result<(usize, Duration, bool), String>>,
}

struct Ours {
    child: ChildResult,
    size: usize,
    valid: Result<(), String>,
    breakdown: Option<Breakdown>,
}

/// Fetches, measures and reports every selected real module.
pub fn run(setup: &Setup) {
    let fetched = setup.out_dir.join("fetched");
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for m in REAL_MODULES
        .iter()
        .filter(|m| selected("REWIND_BENCH_MODULES", m.name))
    {
        let loaded = fetch(&fetched, &m.file).and_then(|path| {
            std::fs::read(&path)
                .map(|wasm| (path.clone(), wasm))
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        match loaded {
            Ok((path, wasm)) => rows.push(measure(setup, m, &path, &wasm)),
            Err(why) => {
                let line = format!("skipped: {}: {why}", m.name);
                eprintln!("{line}");
                skipped.push(line);
            }
        }
    }
    report(&rows, &skipped, setup.wasm_opt.as_ref());
}

fn measure(setup: &Setup, m: &RealModule, path: &Path, wasm: &[u8]) -> Row {
    let iters = env_usize("REWIND_BENCH_ITERS").unwrap_or(m.iters).max(1);
    let out_path = setup.out_dir.join(format!("{}.real.ours.wasm", m.name));
    eprintln!(
        "== {} ({} bytes): ours x{iters} in a child process ...",
        m.name,
        wasm.len()
    );
    let ours = transform_in_child(path, &out_path, iters).and_then(|child| {
        let out = std::fs::read(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
        Ok((child, out))
    });
    let with_features = |args: &[&str]| -> Vec<String> {
        let all = m.binaryen_features.iter().chain(args);
        all.map(|a| a.to_string()).collect()
    };
    let mut ours_o = None;
    let ours = ours.map(|(child, out)| {
        if let Some(w) = &setup.wasm_opt {
            eprintln!("   wasm-opt -O (ours) ...");
            ours_o = Some(
                // Rewind's frames restore through helpers with several
                // results.
                w.run(
                    &setup.cache,
                    &out,
                    &with_features(&["--enable-multivalue", "-O"]),
                )
                .map(|r| code_size(&r.wasm)),
            );
        }
        Ours {
            size: code_size(&out),
            valid: validate(&out),
            breakdown: breakdown(wasm, &out),
            child,
        }
    });
    if let Err(e) = &ours {
        eprintln!("   ours FAILED: {e}");
    }
    let bin = setup.wasm_opt.as_ref().map(|w| {
        let args = with_features(&["--asyncify", "-O"]);
        eprintln!("   wasm-opt {} ...", args.join(" "));
        w.run(&setup.cache, wasm, &args)
            .map(|r| (code_size(&r.wasm), r.time, r.cached))
    });
    Row {
        name: m.name,
        file_size: wasm.len(),
        orig: code_size(wasm),
        ours,
        ours_o,
        bin,
    }
}

fn report(rows: &[Row], skipped: &[String], wasm_opt: Option<&WasmOpt>) {
    let dash = || "-".to_string();
    let mut table = Vec::new();
    for r in rows {
        let ours = r.ours.as_ref().ok();
        let bin = r.bin.as_ref().and_then(|b| b.as_ref().ok());
        table.push(vec![
            r.name.to_string(),
            fmt_size(r.file_size),
            ours.map_or_else(
                || "ERR".into(),
                |o| {
                    format!(
                        "{} / {}",
                        o.child.functions_instrumented, o.child.functions_total
                    )
                },
            ),
            ours.map_or_else(dash, |o| {
                let wall = fmt_time(median(o.child.times.clone()));
                if o.child.cpu_times.is_empty() {
                    wall
                } else {
                    format!(
                        "{wall} (cpu {})",
                        fmt_time(median(o.child.cpu_times.clone()))
                    )
                }
            }),
            ours.and_then(|o| o.child.peak_kib)
                .map_or_else(dash, |k| fmt_size(k as usize * 1024)),
            ours.map_or_else(dash, |o| ratio(o.size, r.orig)),
            match &r.ours_o {
                Some(Ok(n)) => ratio(*n, r.orig),
                Some(Err(_)) => "ERR".into(),
                None => dash(),
            },
            match &r.bin {
                Some(Ok((n, _, _))) => ratio(*n, r.orig),
                Some(Err(_)) => "failed".into(),
                None => dash(),
            },
            bin.map_or_else(dash, |(_, t, cached)| fmt_run_time(*t, *cached)),
            ours.map_or_else(dash, |o| match &o.valid {
                Ok(()) => "valid".into(),
                Err(e) => format!("INVALID: {e}"),
            }),
        ]);
    }
    print_table(
        "Real modules, every import suspending (ratios: bytes without custom sections / the original's)",
        &[
            "module",
            "size",
            "instrumented",
            "Rewind time",
            "Rewind peak RSS",
            "Rewind ratio",
            "Rewind+wasm-opt -O ratio",
            "Binaryen --asyncify -O ratio",
            "Binaryen time",
            "Rewind output",
        ],
        &table,
    );
    print_breakdowns(rows);
    println!();
    for r in rows {
        match &r.ours {
            Ok(o) => {
                let c = &o.child;
                println!(
                    "{}: {} call sites; {} catch handlers moved after their try, {} left in place \
                     (not resumable); {} runs (wall) {}, (cpu) {}; RSS before the transform {}",
                    r.name,
                    c.call_sites,
                    c.catch_handlers_lowered,
                    c.catch_handlers_unresumable,
                    c.times.len(),
                    fmt_times(&c.times),
                    fmt_times(&c.cpu_times),
                    c.rss_before_kib
                        .map_or_else(dash, |k| fmt_size(k as usize * 1024)),
                );
            }
            Err(e) => println!("ERROR: Rewind failed on {}: {e}", r.name),
        }
        if let Some(Err(e)) = &r.ours_o {
            println!("note: wasm-opt -O on our output failed for {}: {e}", r.name);
        }
        if let Some(Err(e)) = &r.bin {
            println!("note: Binaryen failed on {}: {e}", r.name);
        }
    }
    for line in skipped {
        println!("{line}");
    }
    if let Some(w) = wasm_opt {
        println!(
            "note: `Binaryen time` is one `wasm-opt --asyncify -O` run of {}; `*` marks times \
             read from the cache.",
            w.describe()
        );
    }
}

/// Where the bytes each output added go (see `breakdown.rs`).
fn print_breakdowns(rows: &[Row]) {
    let share = |part: isize, b: &Breakdown| {
        let size = fmt_size(part.unsigned_abs());
        let sign = if part < 0 { "-" } else { "" };
        let percent = 100.0 * part as f64 / b.total.max(1) as f64;
        format!("{sign}{size} ({percent:.0}%)")
    };
    let table: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|r| Some((r.name, r.ours.as_ref().ok()?.breakdown.as_ref()?)))
        .map(|(name, b)| {
            vec![
                name.to_string(),
                fmt_size(b.total),
                share(b.restore as isize, b),
                share(b.save as isize, b),
                share(b.unwind_checks as isize, b),
                share(b.dispatch as isize, b),
                share(b.spills_and_ladders, b),
                share(b.runtime as isize, b),
            ]
        })
        .collect();
    print_table(
        "Where Rewind's added bytes go (whole file, custom sections included; read back from the output by shape)",
        &[
            "module",
            "added",
            "frame restore",
            "frame save",
            "unwind checks",
            "rewind dispatch",
            "spills, reloads, ladders",
            "runtime, other sections",
        ],
        &table,
    );
}

fn fmt_times(times: &[Duration]) -> String {
    let all: Vec<String> = times.iter().map(|t| fmt_time(*t)).collect();
    all.join(" ")
}
