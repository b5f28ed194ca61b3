//! Benchmark of the asyncify transform, side by side with Binaryen.
//!
//! Run: `cargo bench -p rewind-transform --bench transform [-- PART...]`
//! (see `benches/README.md` for the environment variables and the columns).
//!
//! Two parts, both by default, or the ones named on the command line (or
//! in `REWIND_BENCH_PARTS`):
//!
//! - `examples` ([`examples`]): the project's own modules under several
//!   option sets; outputs are checked by running them under wasmi.
//! - `real` ([`real`]): big real-world modules fetched from the npm
//!   registry (PHP, SQLite, QuickJS, Graphviz, a wasm-bindgen module with
//!   `externref`), every import suspending: time, peak memory, sizes.
//!
//! It prints ratios (ours/original, Binaryen/original, ours/Binaryen), not
//! bare absolute numbers, and never fails on a slow or large result.

mod asserts_cost;
mod binaryen;
mod breakdown;
mod child;
mod env;
mod errors;
mod examples;
mod examples_report;
mod exec;
mod fetch;
mod inputs;
mod inspect;
mod modules;
mod option_sets;
mod real;
mod real_modules;
mod table;

use std::path::PathBuf;

use crate::binaryen::{WasmOpt, find_wasm_opt};
use crate::env::{env_flag, selected, target_dir, workspace_root};

/// What a part of the bench needs.
struct Setup {
    root: PathBuf,
    /// `target/rewind-bench`: outputs kept for inspection.
    out_dir: PathBuf,
    /// `target/rewind-bench/cache`: Binaryen results.
    cache: PathBuf,
    wasm_opt: Option<WasmOpt>,
}

const PARTS: [&str; 2] = ["examples", "real"];

fn main() {
    if child::serve() {
        return;
    }
    // `cargo bench` passes `--bench`; other words name parts.
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let Some(bad) = named.iter().find(|a| !PARTS.contains(&a.as_str())) {
        eprintln!("error: unknown part `{bad}` (parts: {})", PARTS.join(", "));
        std::process::exit(2);
    }
    let run_part = |part: &str| {
        if named.is_empty() {
            selected("REWIND_BENCH_PARTS", part)
        } else {
            named.iter().any(|a| a == part)
        }
    };

    let root = workspace_root();
    let out_dir = target_dir(&root).join("rewind-bench");
    let cache = out_dir.join("cache");
    if let Err(e) = std::fs::create_dir_all(&cache) {
        eprintln!("error: cannot create {}: {e}", cache.display());
        std::process::exit(1);
    }
    let wasm_opt = if env_flag("REWIND_BENCH_NO_BINARYEN") {
        None
    } else {
        find_wasm_opt()
    };
    match &wasm_opt {
        Some(w) => println!(
            "wasm-opt: {} ({}) — Binaryen results are cached in {}",
            w.path.display(),
            w.version,
            cache.display()
        ),
        None => println!(
            "note: wasm-opt not found (set WASM_OPT, put it on PATH, or set REWIND_TOOLS to a dir \
             with node_modules/.bin/wasm-opt); Binaryen columns are empty"
        ),
    }
    let setup = Setup {
        root,
        out_dir,
        cache,
        wasm_opt,
    };
    if run_part("examples") {
        examples::run(&setup);
    }
    if run_part("real") {
        real::run(&setup);
    }
}
