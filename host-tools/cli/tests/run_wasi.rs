//! `rewind run` on a real WASI program: `tests/fixtures/wasi_program.rs`,
//! compiled here from Rust for `wasm32-wasip1` (cached under
//! `target/tmp/`), instrumented with `rewind asyncify --imports
//! 'wasi_snapshot_preview1.*'`, then run with suspension at every WASI call.
//! Its output must be byte-identical to the uninstrumented run's.
//!
//! Metered by `rewind fuel` with the WASI imports suspending too, it runs
//! in slices of fuel and suspends at every WASI call at once, and still
//! prints the same.
//!
//! Needs `rustup target add wasm32-wasip1`. Without the target the test is
//! skipped with a note, except under CI (`CI` set), where it fails.

mod common;

use common::wasi_program::{self, data_dir};
use common::{assert_success, rewind, rewind_with_stdin, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

const STDIN: &str = "first line\nsecond line\nthird\n";

/// The program, plain and instrumented, once per test binary; `None` if
/// the target is missing outside CI.
fn program() -> Option<&'static (PathBuf, PathBuf)> {
    static BUILT: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    BUILT.get_or_init(build).as_ref()
}

fn build() -> Option<(PathBuf, PathBuf)> {
    let wasm = wasi_program::plain()?.clone();
    let dir = wasm.parent().unwrap();
    let instrumented = dir.join("wasi-program.async.wasm");
    let out = rewind(&[
        "asyncify",
        wasm.to_str().unwrap(),
        "-o",
        instrumented.to_str().unwrap(),
        "--imports",
        "wasi_snapshot_preview1.*",
    ]);
    assert!(
        out.status.success(),
        "rewind asyncify failed:\n{}",
        stderr(&out)
    );
    Some((wasm, instrumented))
}

/// Runs the program with the fixed inputs; extra `options` go before the
/// module.
fn run_program(module: &Path, data: &Path, options: &[&str]) -> Output {
    let dir = format!("{}::/data", data.display());
    let mut args = vec!["run", "--dir", &dir, "--env", "GREETING=hello wasi"];
    args.extend_from_slice(options);
    args.push(module.to_str().unwrap());
    args.extend_from_slice(&["200", "fox", "dog", "--not-an-option", "-1"]);
    rewind_with_stdin(&args, STDIN.as_bytes())
}

fn suspensions(out: &Output) -> u64 {
    let stderr = stderr(out);
    let line = stderr
        .lines()
        .find_map(|line| line.strip_prefix("suspensions: "))
        .unwrap_or_else(|| panic!("no `suspensions: N` on stderr:\n{stderr}"));
    line.trim().parse().unwrap()
}

#[test]
fn suspending_at_every_wasi_call_changes_nothing_the_program_prints() {
    let Some((plain, instrumented)) = program() else {
        return;
    };
    let data = data_dir("every_call");

    let reference = run_program(plain, &data, &[]);
    assert!(
        reference.status.success(),
        "plain run failed:\n{}",
        stderr(&reference)
    );
    let stdout = String::from_utf8(reference.stdout.clone()).unwrap();
    // The program really did its work.
    for expected in [
        r#"args: ["200", "fox", "dog", "--not-an-option", "-1"]"#,
        "GREETING=hello wasi",
        "46 primes below 200, sum 4227",
        "stdin: 3 lines, 26 bytes",
        "clock ok: true",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    assert!(stdout.contains("\n    8 the\n    4 dog\n"), "{stdout}");
    assert!(stderr(&reference).contains("done"));
    assert!(!stderr(&reference).contains("suspensions"));

    let suspended = run_program(
        instrumented,
        &data,
        &["--suspend-at", "wasi_snapshot_preview1.*"],
    );
    assert!(
        suspended.status.success(),
        "suspending run failed:\n{}",
        stderr(&suspended)
    );
    assert_eq!(
        String::from_utf8_lossy(&suspended.stdout),
        stdout,
        "stdout differs when suspending at every WASI call"
    );
    assert_eq!(suspended.stdout, reference.stdout);
    let n = suspensions(&suspended);
    assert!(n > 20, "only {n} suspensions");

    // The instrumented module also runs unchanged without suspending.
    let unsuspended = run_program(instrumented, &data, &[]);
    assert!(unsuspended.status.success(), "{}", stderr(&unsuspended));
    assert_eq!(unsuspended.stdout, reference.stdout);

    // The report file was created and removed again.
    assert!(!data.join("report.txt").exists());
}

#[test]
fn suspending_at_some_imports_counts_only_those() {
    let Some((_, instrumented)) = program() else {
        return;
    };
    let data = data_dir("some_calls");
    let all = run_program(
        instrumented,
        &data,
        &["--suspend-at", "wasi_snapshot_preview1.*"],
    );
    let writes = run_program(
        instrumented,
        &data,
        &["--suspend-at", "wasi_snapshot_preview1.fd_write"],
    );
    assert!(writes.status.success(), "{}", stderr(&writes));
    assert_eq!(writes.stdout, all.stdout);
    let (n_all, n_writes) = (suspensions(&all), suspensions(&writes));
    // One fd_write per line printed at least (stdout is line-buffered).
    let lines = all.stdout.iter().filter(|&&b| b == b'\n').count() as u64;
    assert!(
        n_writes >= lines && n_writes < n_all,
        "{n_writes} of {n_all}, {lines} lines"
    );
}

#[test]
fn an_uninstrumented_program_cannot_suspend() {
    let Some((plain, _)) = program() else {
        return;
    };
    let data = data_dir("uninstrumented");
    let out = run_program(plain, &data, &["--suspend-at", "wasi_snapshot_preview1.*"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("needs a module instrumented by `rewind asyncify`"),
        "{err}"
    );
    assert!(err.contains("not instrumented"), "{err}");
}

/// `--fuel-slice` and `--suspend-at` together: metered with the WASI
/// imports suspending too, the program runs in slices of fuel, suspends at
/// every WASI call and prints what the plain program prints, with the
/// suspensions of the instrumented program. Metered as `rewind fuel` does
/// by default (only `rewind.out_of_fuel` suspends), its WASI calls cannot
/// suspend: the error names the import and the option that fixes it.
#[test]
fn a_metered_program_suspends_at_wasi_calls_in_slices_of_fuel() {
    let Some((plain, instrumented)) = program() else {
        return;
    };
    let data = data_dir("metered");
    let every_wasi_call = ["--suspend-at", "wasi_snapshot_preview1.*"];
    let reference = run_program(plain, &data, &[]);
    assert_success(&reference);
    let expected = suspensions(&run_program(instrumented, &data, &every_wasi_call));

    let dir = plain.parent().unwrap();
    let (input, metered) = (plain.to_str().unwrap(), dir.join("wasi-program.fuel.wasm"));
    let output = metered.to_str().unwrap();
    assert_success(&rewind(&[
        "fuel",
        input,
        "-o",
        output,
        "--imports",
        "wasi_snapshot_preview1.*",
    ]));
    for slice in ["1", "997", "100000000"] {
        let both = [&every_wasi_call[..], &["--fuel-slice", slice]].concat();
        let out = run_program(&metered, &data, &both);
        let err = assert_success(&out);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&reference.stdout),
            "--fuel-slice {slice}"
        );
        assert_eq!(suspensions(&out), expected, "--fuel-slice {slice}");
        assert!(err.contains("slices: "), "{err}");
    }

    assert_success(&rewind(&["fuel", input, "-o", output]));
    let both = [&every_wasi_call[..], &["--fuel-slice", "997"]].concat();
    let out = run_program(&metered, &data, &both);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("was not instrumented to suspend at import `wasi_snapshot_preview1."),
        "{err}"
    );
    assert!(
        err.contains("instrument it with --imports wasi_snapshot_preview1."),
        "{err}"
    );
}
