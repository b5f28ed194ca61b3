//! The modules of the examples part: the hand-written `.wat` programs in
//! `benches/wat` and the Rust modules built from `examples/big-module`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::env::{env_flag, env_usize, selected};
use crate::inputs::big_input;

pub struct BenchModule {
    pub name: String,
    pub wasm: Vec<u8>,
    /// What `env.read_input` delivers.
    pub input: Vec<u8>,
    pub iters: usize,
}

/// Builds `examples/big-module` (the library and the `medium` example).
fn build_rust_modules(root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let manifest = root.join("examples/big-module/Cargo.toml");
    let target = root.join("examples/big-module/target");
    let out = target.join("wasm32-unknown-unknown/release");
    let big = out.join("rewind_big_module.wasm");
    let medium = out.join("examples/medium.wasm");
    if env_flag("REWIND_BENCH_NO_BUILD") && big.exists() && medium.exists() {
        return Ok((big, medium));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building {} ...", manifest.display());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .args(["--lib", "--example", "medium"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building {} failed ({status})", manifest.display()));
    }
    Ok((big, medium))
}

pub fn load_modules(root: &Path) -> Vec<BenchModule> {
    let want = |name: &str| selected("REWIND_BENCH_MODULES", name);
    let iters = env_usize("REWIND_BENCH_ITERS");
    let mut modules = Vec::new();
    let wat_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/wat");
    for name in ["loop", "recursion", "indirect"] {
        if !want(name) {
            continue;
        }
        let path = wat_dir.join(format!("{name}.wat"));
        let wasm = wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        modules.push(BenchModule {
            name: name.into(),
            wasm,
            input: Vec::new(),
            iters: iters.unwrap_or(31),
        });
    }
    if want("medium") || want("big") {
        match build_rust_modules(root) {
            Ok((big, medium)) => {
                let input = big_input();
                for (name, path, n) in [("medium", medium, 11), ("big", big, 5)] {
                    if !want(name) {
                        continue;
                    }
                    match std::fs::read(&path) {
                        Ok(wasm) => modules.push(BenchModule {
                            name: name.into(),
                            wasm,
                            input: input.clone(),
                            iters: iters.unwrap_or(n),
                        }),
                        Err(e) => eprintln!("note: skipping `{name}`: {}: {e}", path.display()),
                    }
                }
            }
            Err(e) => eprintln!("note: skipping the Rust modules: {e}"),
        }
    }
    modules
}
