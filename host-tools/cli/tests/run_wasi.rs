//! `rewind run` on a real WASI program: `tests/fixtures/wasi_program.rs`,
//! compiled here from Rust for `wasm32-wasip1` (cached under
//! `target/tmp/`), instrumented with `rewind asyncify --imports
//! 'wasi_snapshot_preview1.*'`, then run with suspension at every WASI call.
//! Its output must be byte-identical to the uninstrumented run's.
//!
//! Needs `rustup target add wasm32-wasip1`. Without the target the test is
//! skipped with a note, except under CI (`CI` set), where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const TARGET: &str = "wasm32-wasip1";
const PROGRAM: &str = include_str!("fixtures/wasi_program.rs");
const INPUT: &str = "The quick brown fox jumps over the lazy dog.\n\
    The dog sleeps; the fox runs. A fox, a dog, and the end of the story:\n\
    the fox was quick and the dog was lazy.\n";
const STDIN: &str = "first line\nsecond line\nthird\n";

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// Builds the fixture once per test binary; `None` (after a note) if the
/// target is missing outside CI.
fn program() -> Option<&'static (PathBuf, PathBuf)> {
    static BUILT: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    BUILT.get_or_init(build).as_ref()
}

fn build() -> Option<(PathBuf, PathBuf)> {
    let dir = tmp().join("wasi-program");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    write_if_changed(
        &dir.join("Cargo.toml"),
        "[package]\nname = \"wasi-program\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         [workspace]\n[profile.release]\nopt-level = 1\ndebug = false\n",
    );
    write_if_changed(&src.join("main.rs"), PROGRAM);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--quiet", "--target", TARGET])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(dir.join("target"));
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("failed to start cargo");
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let missing =
            stderr.contains("may not be installed") || stderr.contains("can't find crate");
        if missing && std::env::var_os("CI").is_none() {
            eprintln!(
                "note: skipping the WASI program test: the {TARGET} target is not installed \
                 (rustup target add {TARGET})"
            );
            return None;
        }
        panic!("building the WASI program for {TARGET} failed:\n{stderr}");
    }
    let wasm = dir
        .join("target")
        .join(TARGET)
        .join("release/wasi-program.wasm");
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

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

fn rewind(args: &[&str]) -> Output {
    rewind_with_stdin(args, "")
}

fn rewind_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to start rewind");
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh data directory holding `input.txt`.
fn data_dir(test: &str) -> PathBuf {
    let dir = tmp().join("wasi-data").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("input.txt"), INPUT).unwrap();
    dir
}

/// Runs the program with the fixed inputs; extra `options` go before the
/// module.
fn run_program(module: &Path, data: &Path, options: &[&str]) -> Output {
    let dir = format!("{}::/data", data.display());
    let mut args = vec!["run", "--dir", &dir, "--env", "GREETING=hello wasi"];
    args.extend_from_slice(options);
    args.push(module.to_str().unwrap());
    args.extend_from_slice(&["200", "fox", "dog", "--not-an-option", "-1"]);
    rewind_with_stdin(&args, STDIN)
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
