//! What instrumentation costs a real C program that never suspends: the
//! Forth interpreter of the advise test (`tests/fixtures/calc.c`, builtins
//! called through function pointers) built with clang for WASI, and the
//! same module after `rewind asyncify` with every import suspending, each
//! running a recursive Fibonacci script under wasmi (`rewind run`) and
//! under node (`node:wasi`), alternating, median of N runs (`REWIND_BENCH_
//! RUNS`, default 7), printed side by side as ratios. Nothing suspends:
//! this is the price of the instrumentation in normal state.
//!
//! With `WASM_OPT` naming a `wasm-opt` (e.g. npm `binaryen`'s
//! `node_modules/.bin/wasm-opt`), Binaryen's `--asyncify -O` output of the
//! same program runs in the same rounds.
//!
//! A second table runs the program metered by `rewind fuel` (defaults, and
//! `--fast-path`) with a budget it never exhausts, beside the original:
//! under wasmi with `rewind run --fuel-slice`, under node with the fuel
//! global set from JavaScript. That is what a CPU budget costs a real
//! program that stays within it.
//!
//! Run: `cargo bench -p rewind-cli --bench run_time`. Needs clang for
//! wasm32-wasi with wasi-libc (Debian: `apt-get install clang lld wasi-libc
//! libclang-rt-dev-wasm32`) and, for the node column, node on `PATH`; what
//! is missing is skipped with a message.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rewind_transform::FastPath;

/// The script: the 24th (wasmi) or 27th (node) Fibonacci number by plain
/// recursion of interpreted words.
fn script(n: u32) -> String {
    format!(": fib dup 2 < if else dup 1 - fib swap 2 - fib + then ;\n{n} fib . cr\n")
}

/// Runs the WASI command `wasm` with node, preopening `dir` as `/data`; a
/// metered module gets a budget it never exhausts (its out-of-fuel import
/// throws).
const NODE_RUNNER: &str = r#"
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const [file, dir, script] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: ['calc', script], preopens: { '/data': dir }, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const rewind = { out_of_fuel() { throw new Error('out of fuel'); } };
const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, rewind });
if (instance.exports.__rewind_fuel) instance.exports.__rewind_fuel.value = 1n << 62n;
const start = process.hrtime.bigint();
wasi.start(instance);
console.error(`ns ${process.hrtime.bigint() - start}`);
"#;

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("run-time-bench");
    std::fs::create_dir_all(&dir).expect("create the bench directory");
    let original = match build_calc(&dir) {
        Ok(wasm) => wasm,
        Err(why) => {
            println!("skipped: calc.c could not be built for wasm32-wasi: {why}");
            return;
        }
    };
    let bytes = std::fs::read(&original).expect("read calc.wasm");
    let out = rewind_transform::asyncify(&bytes, &rewind_transform::Options::default())
        .expect("instrument calc.wasm");
    let instrumented = dir.join("calc.async.wasm");
    std::fs::write(&instrumented, &out.wasm).expect("write calc.async.wasm");
    let runs: usize = std::env::var("REWIND_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    println!(
        "calc.wasm ({} bytes) instrumented with every import suspending: {} of {} functions, {} bytes ({:.3}x)",
        bytes.len(),
        out.report.functions_instrumented,
        out.report.functions_total,
        out.wasm.len(),
        out.wasm.len() as f64 / bytes.len() as f64
    );
    let recursive = dir.join("calc.async-recursive.wasm");
    let options = rewind_transform::Options {
        fast_path: FastPath::Recursive,
        ..Default::default()
    };
    let out = rewind_transform::asyncify(&bytes, &options).expect("instrument calc.wasm");
    std::fs::write(&recursive, &out.wasm).expect("write calc.async-recursive.wasm");
    println!(
        "calc.wasm instrumented with --fast-path=recursive: {} of them with a fast path, {} bytes ({:.3}x)",
        out.report.functions_fast_path,
        out.wasm.len(),
        out.wasm.len() as f64 / bytes.len() as f64
    );
    let mut modules = vec![
        ("original", original),
        ("Rewind", instrumented),
        ("Rewind --fast-path=recursive", recursive),
    ];
    match binaryen(&modules[0].1, &dir) {
        Ok(Some(wasm)) => modules.push(("Binaryen --asyncify -O", wasm)),
        Ok(None) => println!("note: WASM_OPT not set: no Binaryen column"),
        Err(why) => println!("note: Binaryen failed: {why}"),
    }
    std::fs::write(dir.join("fib24.fs"), script(24)).expect("write the script");
    std::fs::write(dir.join("fib27.fs"), script(27)).expect("write the script");
    let metered_modules = metered(&bytes, &dir, &modules[0].1);
    let runner = dir.join("run.mjs");
    std::fs::write(&runner, NODE_RUNNER).expect("write the node runner");
    let node = |wasm: &Path| run_node(&runner, &dir, wasm);
    let has_node = Command::new("node").arg("--version").output().is_ok();
    for (table, modules, metered) in [
        ("", &modules, false),
        (", never out of fuel", &metered_modules, true),
    ] {
        let plain = &modules[0].1;
        let wasmi = |wasm: &Path| run_wasmi(&dir, wasm, metered && wasm != plain);
        report(
            &format!("wasmi (rewind run), 24 fib{table}"),
            runs,
            modules,
            wasmi,
        );
        if has_node {
            report(
                &format!("node (node:wasi), 27 fib{table}"),
                runs,
                modules,
                node,
            );
        } else {
            println!("skipped: node: not on PATH");
        }
    }
}

/// The original at `original` and `bytes` metered by `rewind fuel`, with
/// default options, with `--fast-path` and with `--fast-path=recursive`,
/// written next to it.
fn metered(bytes: &[u8], dir: &Path, original: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut modules = vec![("original", original.to_path_buf())];
    for (name, file, fast_path) in [
        ("metered", "calc.metered.wasm", FastPath::Off),
        (
            "metered --fast-path",
            "calc.metered-fast.wasm",
            FastPath::All,
        ),
        (
            "metered --fast-path=recursive",
            "calc.metered-recursive.wasm",
            FastPath::Recursive,
        ),
    ] {
        let options = rewind_transform::Options {
            fast_path,
            ..Default::default()
        };
        let out =
            rewind_transform::meter(bytes, &Default::default(), &options).expect("meter calc.wasm");
        std::fs::write(dir.join(file), &out.wasm).expect("write the metered module");
        println!(
            "calc.wasm {name} by `rewind fuel`: {} of {} functions instrumented, {} bytes ({:.3}x)",
            out.report.functions_instrumented,
            out.report.functions_total,
            out.wasm.len(),
            out.wasm.len() as f64 / bytes.len() as f64
        );
        modules.push((name, dir.join(file)));
    }
    modules
}

/// Times `run` on every module, in rounds, and prints the medians as
/// ratios to the first (the original).
fn report(
    what: &str,
    runs: usize,
    modules: &[(&str, PathBuf)],
    run: impl Fn(&Path) -> Result<Duration, String>,
) {
    let mut times = vec![Vec::new(); modules.len()];
    for _ in 0..runs {
        for ((name, wasm), times) in modules.iter().zip(&mut times) {
            match run(wasm) {
                Ok(t) => times.push(t),
                Err(why) => {
                    println!("{what}: {name} FAILED: {why}");
                    return;
                }
            }
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let line: Vec<String> = modules
        .iter()
        .zip(&medians)
        .map(|((name, _), t)| {
            format!(
                "{name} {:.1} ms ({:.3}x)",
                t.as_secs_f64() * 1e3,
                t.as_secs_f64() / medians[0].as_secs_f64()
            )
        })
        .collect();
    println!("{what}, median of {runs}: {}", line.join(", "));
}

/// `wasm-opt --asyncify -O` of `wasm` when `WASM_OPT` names one.
fn binaryen(wasm: &Path, dir: &Path) -> Result<Option<PathBuf>, String> {
    let Some(wasm_opt) = std::env::var_os("WASM_OPT") else {
        return Ok(None);
    };
    let out_path = dir.join("calc.binaryen.wasm");
    let out = Command::new(wasm_opt)
        .arg(wasm)
        .args([
            "--enable-bulk-memory",
            "--enable-sign-ext",
            "--enable-mutable-globals",
        ])
        .args([
            "--enable-nontrapping-float-to-int",
            "--asyncify",
            "-O",
            "-o",
        ])
        .arg(&out_path)
        .output()
        .map_err(|e| format!("cannot start wasm-opt: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(Some(out_path))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Wall time of `rewind run` on `wasm` (the interpreter's start-up is a
/// few milliseconds of a run of seconds). With `metered`, the module was
/// metered by `rewind fuel` and runs in one slice: a budget it never
/// exhausts.
fn run_wasmi(dir: &Path, wasm: &Path, metered: bool) -> Result<Duration, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rewind"));
    command.arg("run");
    if metered {
        command.args(["--fuel-slice", &i64::MAX.to_string()]);
    }
    let started = Instant::now();
    let out = command
        .arg("--dir")
        .arg(format!("{}::/data", dir.display()))
        .arg(wasm)
        .arg("/data/fib24.fs")
        .stderr(if metered {
            // `slices: 1` and `fuel: F`.
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .output()
        .map_err(|e| format!("cannot start rewind: {e}"))?;
    let elapsed = started.elapsed();
    check(&out.stdout, "46368")?;
    Ok(elapsed)
}

/// The time node measures around `wasi.start` (compilation excluded).
fn run_node(runner: &Path, dir: &Path, wasm: &Path) -> Result<Duration, String> {
    let out = Command::new("node")
        .arg("--no-warnings")
        .arg(runner)
        .arg(wasm)
        .arg(dir)
        .arg("/data/fib27.fs")
        .output()
        .map_err(|e| format!("cannot start node: {e}"))?;
    check(&out.stdout, "196418")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ns = stderr
        .lines()
        .find_map(|l| l.strip_prefix("ns "))
        .and_then(|n| n.trim().parse::<u64>().ok())
        .ok_or_else(|| format!("no time from node: {stderr}"))?;
    Ok(Duration::from_nanos(ns))
}

/// The program printed the right number.
fn check(stdout: &[u8], want: &str) -> Result<(), String> {
    let text = String::from_utf8_lossy(stdout);
    if text.split_whitespace().next() == Some(want) {
        Ok(())
    } else {
        Err(format!("printed {text:?}, expected {want}"))
    }
}

/// Builds `tests/fixtures/calc.c` into `dir/calc.wasm` with clang.
fn build_calc(dir: &Path) -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/calc.c");
    let (object, wasm) = (dir.join("calc.o"), dir.join("calc.wasm"));
    let clang = std::env::var_os("CLANG").unwrap_or_else(|| "clang".into());
    let sysroot: Vec<_> = std::env::var_os("WASI_SYSROOT")
        .map(|s| vec!["--sysroot".into(), s])
        .unwrap_or_default();
    for args in [
        vec![
            "-O2".into(),
            "-c".into(),
            "-o".into(),
            object.clone().into_os_string(),
            source.into_os_string(),
        ],
        vec![
            "-Wl,--strip-debug".into(),
            "-o".into(),
            wasm.clone().into_os_string(),
            object.into_os_string(),
        ],
    ] {
        let out = Command::new(&clang)
            .arg("--target=wasm32-wasi")
            .args(&sysroot)
            .args(&args)
            .output()
            .map_err(|e| format!("cannot start clang: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    Ok(wasm)
}
