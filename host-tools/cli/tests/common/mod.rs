//! What the CLI test files share: running the `rewind` binary, scratch
//! directories, and the checks every test makes of its output.
#![allow(dead_code)] // each test file uses a different subset

pub mod wasi_program;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh scratch directory `GROUP/TEST` under cargo's test tmp dir.
pub fn scratch(group: &str, test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `rewind ARGS` with `stdin` as standard input, without backtraces.
pub fn rewind_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    output(Command::new(env!("CARGO_BIN_EXE_rewind")).args(args), stdin)
}

/// Runs `rewind ARGS` with empty standard input.
pub fn rewind(args: &[&str]) -> Output {
    rewind_with_stdin(args, b"")
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts a clean failure: exit code 1, an `error:` line, no panic, no
/// backtrace. Returns stderr.
pub fn assert_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(err.starts_with("error: "), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "stderr:\n{err}");
    assert!(!err.contains("backtrace"), "stderr:\n{err}");
    err
}

/// Asserts success and returns stderr.
pub fn assert_success(out: &Output) -> String {
    let err = stderr(out);
    assert!(
        out.status.success(),
        "exit {:?}, stderr:\n{err}",
        out.status.code()
    );
    err
}

/// The export names of a binary module; fails the test if it does not
/// validate.
pub fn exports(wasm: &[u8]) -> Vec<String> {
    wasmparser::Validator::new()
        .validate_all(wasm)
        .expect("output does not validate");
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(section) = payload.unwrap() {
            for export in section {
                names.push(export.unwrap().name.to_owned());
            }
        }
    }
    names
}

/// Runs `rewind ARGS` in `dir` (so that paths in messages are relative),
/// with empty standard input, without backtraces.
pub fn rewind_in(dir: &Path, args: &[&str]) -> Output {
    rewind_in_with_stdin(dir, args, b"")
}

/// Runs `rewind ARGS` in `dir` with `stdin` as standard input, without
/// backtraces.
pub fn rewind_in_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    output(
        Command::new(env!("CARGO_BIN_EXE_rewind"))
            .args(args)
            .current_dir(dir),
        stdin,
    )
}

/// Runs `command` with `stdin` as standard input and without backtraces,
/// and collects its output.
fn output(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to start rewind");
    // A process that exits early closes its stdin; that is fine here.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// Compares `actual` with the golden file `tests/goldens/NAME`; `BLESS=1`
/// writes it instead.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/goldens")
        .join(name);
    if std::env::var("BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no golden `{}` yet; run `BLESS=1 cargo test -p rewind-cli` to write it",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "output differs from `{}` (BLESS=1 to accept)",
        path.display()
    );
}
