//! Binaryen's `wasm-opt`: finding it, and running it with a cache (the
//! JS build needs minutes on big modules).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::env::env_flag;

pub struct WasmOpt {
    pub path: PathBuf,
    pub version: String,
}

/// `WASM_OPT`, else `wasm-opt` on `PATH`, else
/// `$REWIND_TOOLS/node_modules/.bin/wasm-opt`.
pub fn find_wasm_opt() -> Option<WasmOpt> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("WASM_OPT") {
        candidates.push(p.into());
    }
    candidates.push("wasm-opt".into());
    if let Some(dir) = std::env::var_os("REWIND_TOOLS") {
        candidates.push(Path::new(&dir).join("node_modules/.bin/wasm-opt"));
    }
    candidates.into_iter().find_map(|path| {
        let out = Command::new(&path).arg("--version").output().ok()?;
        out.status.success().then(|| WasmOpt {
            version: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            path,
        })
    })
}

/// One `wasm-opt` run (possibly from the cache).
pub struct OptRun {
    pub wasm: Vec<u8>,
    pub time: Duration,
    pub cached: bool,
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

impl WasmOpt {
    /// Runs `wasm-opt IN ARGS -o OUT`. Results are cached under
    /// `target/rewind-bench/cache`, keyed by input, arguments and version:
    /// the JS build of Binaryen needs minutes on the big module.
    pub fn run(&self, cache: &Path, input: &[u8], args: &[String]) -> Result<OptRun, String> {
        let joined = args.join(" ");
        let key = hash_of(&[input, joined.as_bytes(), self.version.as_bytes()]);
        let out_path = cache.join(format!("{key:016x}.wasm"));
        let time_path = cache.join(format!("{key:016x}.time"));
        if !env_flag("REWIND_BENCH_NO_CACHE")
            && let (Ok(wasm), Ok(t)) = (
                std::fs::read(&out_path),
                std::fs::read_to_string(&time_path),
            )
            && let Ok(secs) = t.trim().parse::<f64>()
        {
            return Ok(OptRun {
                wasm,
                time: Duration::from_secs_f64(secs),
                cached: true,
            });
        }
        let in_path = cache.join(format!("{key:016x}.in.wasm"));
        std::fs::write(&in_path, input).map_err(|e| format!("{}: {e}", in_path.display()))?;
        let start = Instant::now();
        let out = Command::new(&self.path)
            .arg(&in_path)
            .args(args)
            .arg("-o")
            .arg(&out_path)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        let time = start.elapsed();
        let _ = std::fs::remove_file(&in_path);
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            // Binaryen prints the module's offending code before its
            // verdict: prefer the `Fatal:` line.
            let first = err
                .lines()
                .find(|l| l.starts_with("Fatal:"))
                .or_else(|| err.lines().find(|l| !l.trim().is_empty()))
                .unwrap_or("")
                .to_string();
            return Err(format!("wasm-opt {joined} failed: {first}"));
        }
        let wasm = std::fs::read(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
        let _ = std::fs::write(&time_path, format!("{}\n", time.as_secs_f64()));
        Ok(OptRun {
            wasm,
            time,
            cached: false,
        })
    }

    /// Its path and what its times can be compared with.
    pub fn describe(&self) -> String {
        format!(
            "{} — {}",
            self.path.display(),
            if self.path.to_string_lossy().contains("node_modules") {
                "a JavaScript build of Binaryen (npm `binaryen`), much slower than native wasm-opt: \
                 the time ratio is NOT a comparison with a native build"
            } else {
                "whatever build that is; compare times only against a native build"
            }
        )
    }
}
