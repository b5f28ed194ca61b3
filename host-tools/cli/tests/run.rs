//! `rewind run` on small hand-written modules: exports with arguments, a
//! WASI command that writes and exits, suspension at its imports, errors.

mod common;

use std::path::PathBuf;

use common::{rewind, scratch};

/// Three `fd_write`s of `hello\n` from a loop, then `proc_exit(7)`; plus
/// plain exports.
const HELLO_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func $say
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $i i32)
    (loop $again
      (call $say)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3))))
    (call $proc_exit (i32.const 7)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f64) (result i64 f64)
    (local.get 0) (local.get 1)))
"#;

/// A module without `_start`.
const LIB_WAT: &str = r#"(module (func (export "one") (result i32) (i32.const 1)))"#;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes the hello module as text, and instrumented with `imports`.
fn hello(test: &str, imports: &str) -> (PathBuf, PathBuf) {
    let dir = scratch("rewind-run", test);
    let wat = dir.join("hello.wat");
    std::fs::write(&wat, HELLO_WAT).unwrap();
    let wasm = dir.join("hello.async.wasm");
    let out = rewind(&[
        "asyncify",
        wat.to_str().unwrap(),
        "-o",
        wasm.to_str().unwrap(),
        "--imports",
        imports,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    (wat, wasm)
}

#[test]
fn a_wasi_command_runs_and_exits_with_its_status() {
    let (wat, _) = hello("command", "wasi_snapshot_preview1.*");
    let out = rewind(&["run", wat.to_str().unwrap()]);
    assert_eq!(text(&out.stdout), "hello\n".repeat(3));
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn suspending_at_wasi_imports_round_trips_every_call() {
    let (wat, wasm) = hello("suspend", "wasi_snapshot_preview1.fd_write");
    let plain = rewind(&["run", wat.to_str().unwrap()]);
    let out = rewind(&[
        "run",
        "--suspend-at",
        "wasi_snapshot_preview1.*",
        wasm.to_str().unwrap(),
    ]);
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    // Three writes suspend; proc_exit never returns, so it does not.
    assert_eq!(text(&out.stderr), "suspensions: 3\n");

    // Patterns select imports; one that matches nothing is a warning.
    let out = rewind(&[
        "run",
        "--suspend-at",
        "*.fd_write",
        "--suspend-at",
        "env.*",
        wasm.to_str().unwrap(),
    ]);
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(
        text(&out.stderr),
        "warning: --suspend-at `env.*` matches no import of the module\nsuspensions: 3\n"
    );
}

#[test]
fn suspending_where_the_module_was_not_instrumented_fails_clearly() {
    let (wat, wasm) = hello("wrong_imports", "wasi_snapshot_preview1.proc_exit");
    let out = rewind(&["run", "--suspend-at", "*.fd_write", wasm.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("suspensions: 0\nerror: failed to run `_start`"),
        "{err}"
    );
    assert!(err.contains("wasi_snapshot_preview1.fd_write"), "{err}");
    assert!(err.contains("instrumented"), "{err}");

    let out = rewind(&["run", "--suspend-at", "*.fd_write", wat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("--suspend-at needs a module instrumented by `rewind asyncify`"),
        "{err}"
    );
}

#[test]
fn exports_are_invoked_with_typed_arguments() {
    let (wat, wasm) = hello("invoke", "wasi_snapshot_preview1.*");
    let out = rewind(&["run", wat.to_str().unwrap(), "--invoke", "add", "2", "40"]);
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
    assert!(out.status.success());

    let out = rewind(&[
        "run",
        "--invoke",
        "add",
        wat.to_str().unwrap(),
        "-1",
        "0xffffffff",
    ]);
    assert_eq!(text(&out.stdout), "-2\n", "{}", text(&out.stderr));

    let out = rewind(&["run", "--invoke=mix", wasm.to_str().unwrap(), "-5", "2.5"]);
    assert_eq!(text(&out.stdout), "-5\n2.5\n", "{}", text(&out.stderr));

    let out = rewind(&["run", wat.to_str().unwrap(), "--invoke", "add", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`add` takes 2 arguments (i32, i32), 1 given"));

    let out = rewind(&["run", wat.to_str().unwrap(), "--invoke", "add", "1", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("argument 2 of `add`") && err.contains("`x` is not a valid i32"),
        "{err}"
    );
}

#[test]
fn a_module_without_start_needs_invoke() {
    let dir = scratch("rewind-run", "lib");
    let wat = dir.join("lib.wat");
    std::fs::write(&wat, LIB_WAT).unwrap();
    let out = rewind(&["run", wat.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a WASI command"),
        "{}",
        text(&out.stderr)
    );
    let out = rewind(&["run", wat.to_str().unwrap(), "--invoke", "one"]);
    assert_eq!(text(&out.stdout), "1\n");
    let out = rewind(&["run", wat.to_str().unwrap(), "--invoke", "two"]);
    assert!(text(&out.stderr).contains("no export `two`"));
}
