//! Transforming one module in a child process, so that its peak memory is
//! the transform's own: the bench binary runs itself again with
//! `REWIND_BENCH_CHILD_IN` set; the child reads that module, runs
//! `rewind_transform::asyncify` (every import suspending) a few times,
//! writes the first output, and prints its times (wall and CPU), report
//! and `VmHWM` (peak resident set, from `/proc/self/status`) as `key value`
//! lines. The CPU times tell how much of a wall time was the transform's
//! on a machine shared with other work.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rewind_transform::Options;

use crate::errors::error_chain;

const IN_VAR: &str = "REWIND_BENCH_CHILD_IN";
const OUT_VAR: &str = "REWIND_BENCH_CHILD_OUT";
const ITERS_VAR: &str = "REWIND_BENCH_CHILD_ITERS";

/// What the child measured.
pub struct ChildResult {
    pub times: Vec<Duration>,
    /// CPU time (user + system) of each run; empty without `/proc`.
    pub cpu_times: Vec<Duration>,
    pub functions_total: usize,
    pub functions_instrumented: usize,
    pub call_sites: usize,
    pub catch_handlers_lowered: usize,
    pub catch_handlers_unresumable: usize,
    /// Resident set before the first transform (the bench binary plus the
    /// input bytes), KiB; `None` without `/proc`.
    pub rss_before_kib: Option<u64>,
    /// Peak resident set of the child, KiB.
    pub peak_kib: Option<u64>,
}

/// Runs the transform of `input` in a child process, `iters` times,
/// keeping the output in `output`. The error is the transform's error
/// message (or why the child could not run).
pub fn transform_in_child(
    input: &Path,
    output: &Path,
    iters: usize,
) -> Result<ChildResult, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the bench binary: {e}"))?;
    let out = Command::new(exe)
        .env(IN_VAR, input)
        .env(OUT_VAR, output)
        .env(ITERS_VAR, iters.to_string())
        .output()
        .map_err(|e| format!("cannot run the bench binary as a child: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg = stderr
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .map_or_else(
                || format!("the child failed ({}): {stderr}", out.status),
                String::from,
            );
        return Err(msg);
    }
    let value = |key: &str| -> Option<&str> {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' '))
    };
    let count = |key: &str| -> Result<usize, String> {
        value(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("the child printed no `{key}`"))
    };
    let durations = |key: &str| -> Vec<Duration> {
        value(key)
            .unwrap_or("")
            .split(',')
            .filter_map(|t| t.parse::<f64>().ok())
            .map(Duration::from_secs_f64)
            .collect()
    };
    let times = durations("times");
    if times.is_empty() {
        return Err("the child printed no `times`".into());
    }
    Ok(ChildResult {
        times,
        cpu_times: durations("cpu_times"),
        functions_total: count("functions_total")?,
        functions_instrumented: count("functions_instrumented")?,
        call_sites: count("call_sites")?,
        catch_handlers_lowered: count("catch_handlers_lowered")?,
        catch_handlers_unresumable: count("catch_handlers_unresumable")?,
        rss_before_kib: value("rss_before_kib").and_then(|v| v.parse().ok()),
        peak_kib: value("peak_kib").and_then(|v| v.parse().ok()),
    })
}

/// The child's side: when this process was started by
/// [`transform_in_child`], does the work, prints the results, and returns
/// `true` (the caller then exits; on failure this exits with status 1).
pub fn serve() -> bool {
    let Some(input) = std::env::var_os(IN_VAR) else {
        return false;
    };
    if let Err(e) = serve_one(Path::new(&input)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    true
}

fn serve_one(input: &Path) -> Result<(), String> {
    let output = std::env::var_os(OUT_VAR).ok_or(format!("{OUT_VAR} is not set"))?;
    let iters: usize = std::env::var(ITERS_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let wasm = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let rss_before = proc_status_kib("VmRSS");
    let mut times = Vec::with_capacity(iters);
    let mut cpu_times = Vec::with_capacity(iters);
    for i in 0..iters {
        let cpu_start = cpu_time();
        let start = Instant::now();
        let out =
            rewind_transform::asyncify(&wasm, &Options::default()).map_err(|e| error_chain(&e))?;
        times.push(start.elapsed());
        if let (Some(a), Some(b)) = (cpu_start, cpu_time()) {
            cpu_times.push(b.saturating_sub(a));
        }
        if i == 0 {
            std::fs::write(&output, &out.wasm)
                .map_err(|e| format!("{}: {e}", Path::new(&output).display()))?;
            let r = &out.report;
            println!("functions_total {}", r.functions_total);
            println!("functions_instrumented {}", r.functions_instrumented);
            println!("call_sites {}", r.call_sites);
            println!("catch_handlers_lowered {}", r.catch_handlers_lowered);
            println!(
                "catch_handlers_unresumable {}",
                r.catch_handlers_unresumable
            );
        }
    }
    let secs = |ts: &[Duration]| -> String {
        let secs: Vec<String> = ts.iter().map(|t| t.as_secs_f64().to_string()).collect();
        secs.join(",")
    };
    println!("times {}", secs(&times));
    println!("cpu_times {}", secs(&cpu_times));
    if let Some(kib) = rss_before {
        println!("rss_before_kib {kib}");
    }
    if let Some(kib) = proc_status_kib("VmHWM") {
        println!("peak_kib {kib}");
    }
    Ok(())
}

/// A `kB` field of `/proc/self/status` (Linux only).
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

/// User + system CPU time of this process so far, from `/proc/self/stat`
/// (in clock ticks of 1/100 s: Linux's `USER_HZ` on every architecture
/// Rust targets).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) in
    // parentheses; utime and stime are fields 14 and 15 of the line.
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}
