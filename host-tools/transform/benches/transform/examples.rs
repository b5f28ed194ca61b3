//! The examples part: the project's own modules (`benches/wat` and
//! `examples/big-module`) under every option set, with Rewind and with
//! Binaryen, both outputs checked by running them under wasmi.
//!
//! For every module and option set it
//!
//! 1. runs `rewind_transform::asyncify` several times and keeps the median
//!    wall time, the instrumented size and the report;
//! 2. checks the output validates (wasmparser) and runs it under wasmi with
//!    a host that really unwinds and rewinds at every suspending import,
//!    comparing return value and output with the uninstrumented module;
//! 3. if `wasm-opt` is found, runs `wasm-opt --asyncify` (with and without
//!    `-O`) with the same options in Binaryen's spelling, `wasm-opt -O` on
//!    the original and on our output, and runs Binaryen's output under the
//!    same host.
//!
//! Then it measures what `--asserts` costs (`asserts_cost`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::Setup;
use crate::binaryen::WasmOpt;
use crate::env::selected;
use crate::errors::error_chain;
use crate::examples_report::report;
use crate::exec::{Trace, exec_check, execute};
use crate::inspect::{code_size, count_defined_functions, count_instrumented, validate};
use crate::modules::{BenchModule, load_modules};
use crate::option_sets::{OptionSet, option_sets};
use crate::table::median;

pub struct Row {
    pub module: String,
    pub set: &'static str,
    pub funcs: usize,
    pub orig: usize,
    pub ours: Result<OursResult, String>,
    pub bin: Option<Result<BinResult, String>>,
    /// `wasm-opt -O` on the original, for reference.
    pub orig_o: Option<usize>,
}

pub struct OursResult {
    pub instrumented: usize,
    pub call_sites: usize,
    pub size: usize,
    pub median: Duration,
    pub min: Duration,
    pub valid: Result<(), String>,
    pub exec: String,
    pub ours_o: Option<Result<usize, String>>,
}

pub struct BinResult {
    pub instrumented: Option<usize>,
    /// `--asyncify` without `-O`.
    pub size: usize,
    pub time: Duration,
    /// `--asyncify -O`.
    pub size_o: usize,
    pub time_o: Duration,
    pub cached: bool,
    pub exec: String,
}

fn measure_ours(
    m: &BenchModule,
    set: &OptionSet,
    out_dir: &Path,
    reference: &Result<(Trace, u64), String>,
) -> Result<(OursResult, Vec<u8>), String> {
    // One warm-up run, whose output is the one checked and kept.
    let first = rewind_transform::asyncify(&m.wasm, &set.ours).map_err(|e| error_chain(&e))?;
    let mut times = Vec::with_capacity(m.iters);
    for _ in 0..m.iters {
        let start = Instant::now();
        let out = rewind_transform::asyncify(&m.wasm, &set.ours).map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        std::hint::black_box(out);
    }
    let min = *times.iter().min().expect("at least one iteration");
    let wasm = first.wasm;
    let _ = std::fs::write(
        out_dir.join(format!("{}.{}.ours.wasm", m.name, set.name)),
        &wasm,
    );
    let valid = validate(&wasm);
    let exec = if valid.is_ok() {
        exec_check(&wasm, &m.input, reference)
    } else {
        "invalid".into()
    };
    let exec = if set.exec_expected || exec.starts_with("ok") {
        exec
    } else {
        format!("{exec} (expected)")
    };
    Ok((
        OursResult {
            instrumented: first.report.functions_instrumented,
            call_sites: first.report.call_sites,
            size: code_size(&wasm),
            median: median(times),
            min,
            valid,
            exec,
            ours_o: None,
        },
        wasm,
    ))
}

fn measure_binaryen(
    w: &WasmOpt,
    cache: &Path,
    m: &BenchModule,
    set: &OptionSet,
    out_dir: &Path,
    reference: &Result<(Trace, u64), String>,
) -> Result<BinResult, String> {
    let mut plain = vec!["--asyncify".to_string()];
    plain.extend(set.binaryen.iter().cloned());
    eprintln!("   [{}] wasm-opt {} ...", set.name, plain.join(" "));
    let a = w.run(cache, &m.wasm, &plain)?;
    let mut opt = plain.clone();
    opt.push("-O".into());
    eprintln!("   [{}] wasm-opt {} ...", set.name, opt.join(" "));
    let b = w.run(cache, &m.wasm, &opt)?;
    let _ = std::fs::write(
        out_dir.join(format!("{}.{}.binaryen-O.wasm", m.name, set.name)),
        &b.wasm,
    );
    let exec = match validate(&b.wasm) {
        Ok(()) => exec_check(&b.wasm, &m.input, reference),
        Err(e) => format!("invalid: {e}"),
    };
    let exec = if set.exec_expected || exec.starts_with("ok") {
        exec
    } else {
        format!("{exec} (expected)")
    };
    Ok(BinResult {
        instrumented: count_instrumented(&a.wasm),
        size: code_size(&a.wasm),
        time: a.time,
        size_o: code_size(&b.wasm),
        time_o: b.time,
        cached: a.cached || b.cached,
        exec,
    })
}

/// Measures every example module under every option set and prints the
/// tables.
pub fn run(setup: &Setup) {
    let Setup {
        root,
        out_dir,
        cache,
        wasm_opt,
    } = setup;
    let modules = load_modules(root);
    let sets: Vec<OptionSet> = option_sets()
        .into_iter()
        .filter(|s| selected("REWIND_BENCH_SETS", s.name))
        .collect();
    let mut rows = Vec::new();
    for m in &modules {
        eprintln!("== {} ({} bytes)", m.name, m.wasm.len());
        let reference = execute(&m.wasm, &m.input, false);
        match &reference {
            Ok((t, _)) => eprintln!(
                "   original: run() = {}, {} bytes in, {} bytes out, log: {}",
                t.result,
                m.input.len(),
                t.output.len(),
                String::from_utf8_lossy(&t.logs).trim().replace('\n', " / ")
            ),
            Err(e) => eprintln!("   the original module does not run: {e}"),
        }
        let funcs = count_defined_functions(&m.wasm);
        let orig_o = wasm_opt.as_ref().and_then(|w| {
            eprintln!("   wasm-opt -O (original) ...");
            w.run(cache, &m.wasm, &["-O".into()])
                .ok()
                .map(|r| code_size(&r.wasm))
        });
        for set in &sets {
            eprintln!("   [{}] ours x{} ...", set.name, m.iters + 1);
            let ours = measure_ours(m, set, out_dir, &reference);
            let (ours, bin) = match ours {
                Ok((mut ours, wasm)) => {
                    if let Some(w) = &wasm_opt {
                        eprintln!("   [{}] wasm-opt -O (ours) ...", set.name);
                        ours.ours_o = Some(
                            // Rewind's frames restore through helpers
                            // with several results.
                            w.run(cache, &wasm, &["--enable-multivalue".into(), "-O".into()])
                                .map(|r| code_size(&r.wasm)),
                        );
                    }
                    (
                        Ok(ours),
                        wasm_opt
                            .as_ref()
                            .map(|w| measure_binaryen(w, cache, m, set, out_dir, &reference)),
                    )
                }
                Err(e) => {
                    eprintln!("   [{}] ours FAILED: {e}", set.name);
                    (
                        Err(e),
                        wasm_opt
                            .as_ref()
                            .map(|w| measure_binaryen(w, cache, m, set, out_dir, &reference)),
                    )
                }
            };
            rows.push(Row {
                module: m.name.clone(),
                set: set.name,
                funcs,
                orig: code_size(&m.wasm),
                ours,
                bin,
                orig_o,
            });
        }
    }
    report(&rows, wasm_opt.as_ref());
    crate::asserts_cost::run(&modules);
}
