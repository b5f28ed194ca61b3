//! Benchmark of the asyncify transform, side by side with Binaryen.
//!
//! Run: `cargo bench -p rewind-transform --bench transform`
//! (see `benches/README.md` for the environment variables and the columns).
//!
//! [`examples`]: the project's own modules under several option sets;
//! outputs are checked by running them under wasmi.
//!
//! It prints ratios (ours/original, Binaryen/original, ours/Binaryen), not
//! bare absolute numbers, and never fails on a slow or large result.

mod binaryen;
mod env;
mod errors;
mod examples;
mod examples_report;
mod exec;
mod inputs;
mod inspect;
mod modules;
mod option_sets;
mod table;

use std::path::PathBuf;

use crate::binaryen::{WasmOpt, find_wasm_opt};
use crate::env::{env_flag, target_dir, workspace_root};

/// What a part of the bench needs.
struct Setup {
    root: PathBuf,
    /// `target/rewind-bench`: outputs kept for inspection.
    out_dir: PathBuf,
    /// `target/rewind-bench/cache`: Binaryen results.
    cache: PathBuf,
    wasm_opt: Option<WasmOpt>,
}

fn main() {
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
    examples::run(&setup);
}
