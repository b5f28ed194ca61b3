//! `rewind run` with a module that imports `rewind.yield_to_host`: every
//! call suspends to the host and is resumed (`yields: N`), `--max-yields`
//! ends a frame loop, and it works together with WASI, `--suspend-at` and
//! `--fuel-slice`; a module that is not instrumented runs until it yields.

mod common;

use std::path::Path;

use common::{assert_error, assert_success, rewind, scratch, stdout};

/// A frame loop: each frame writes `frame\n` with WASI's `fd_write` and
/// yields. `_start` runs three frames; `forever` never returns; `count`
/// runs four frames counting in a local, which must survive every yield,
/// and returns it; `quiet` never yields.
const FRAMES_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "rewind" "yield_to_host" (func $yield))
  (memory (export "memory") 1)
  (data (i32.const 16) "frame\n")
  (func $frame
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $yield))
  (func (export "_start")
    (local $i i32)
    (loop $again
      (call $frame)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 3)))))
  (func (export "forever")
    (loop $again (call $frame) (br $again)))
  (func (export "count") (result i32)
    (local $i i32)
    (loop $again
      (call $frame)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 4))))
    (local.get $i))
  (func (export "quiet") (result i32) (i32.const 42)))
"#;

/// Writes the frame loop as text to `dir`; returns its path.
fn frames_wat(dir: &Path) -> String {
    let wat = dir.join("frames.wat");
    std::fs::write(&wat, FRAMES_WAT).unwrap();
    wat.to_str().unwrap().to_owned()
}

/// `rewind SUBCOMMAND WAT -o OUT EXTRA..`; returns OUT.
fn transformed(dir: &Path, subcommand: &str, out: &str, extra: &[&str]) -> String {
    let wat = frames_wat(dir);
    let out = dir.join(out).to_str().unwrap().to_owned();
    let mut args = vec![subcommand, &wat, "-o", &out];
    args.extend(extra);
    assert_success(&rewind(&args));
    out
}

/// The frame loop instrumented for its yield only.
fn instrumented(test: &str) -> String {
    let dir = scratch("rewind-run-yield", test);
    transformed(
        &dir,
        "asyncify",
        "frames.async.wasm",
        &["--imports", "rewind.yield_to_host"],
    )
}

/// The number after `label` on stderr.
fn count(err: &str, label: &str) -> u64 {
    err.lines()
        .find_map(|line| line.strip_prefix(label))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` line in stderr:\n{err}"))
}

#[test]
fn every_yield_suspends_to_the_host_and_is_resumed() {
    let module = instrumented("start");
    let out = rewind(&["run", &module]);
    let err = assert_success(&out);
    assert_eq!(stdout(&out), "frame\n".repeat(3));
    assert_eq!(count(&err, "yields:"), 3);

    let out = rewind(&["run", &module, "--invoke", "count"]);
    let err = assert_success(&out);
    assert_eq!(stdout(&out), format!("{}4\n", "frame\n".repeat(4)));
    assert_eq!(count(&err, "yields:"), 4);

    let out = rewind(&["run", &module, "--invoke", "quiet"]);
    let err = assert_success(&out);
    assert_eq!(stdout(&out), "42\n");
    assert_eq!(count(&err, "yields:"), 0);
}

#[test]
fn max_yields_ends_a_frame_loop() {
    let module = instrumented("max");
    let out = rewind(&["run", &module, "--invoke", "forever", "--max-yields", "5"]);
    let err = assert_success(&out);
    assert_eq!(stdout(&out), "frame\n".repeat(5));
    assert_eq!(count(&err, "yields:"), 5);
    assert!(
        err.contains("stopped after 5 yields (--max-yields 5)"),
        "{err}"
    );

    // A call that returns first is not stopped.
    let out = rewind(&["run", &module, "--max-yields", "10"]);
    let err = assert_success(&out);
    assert_eq!(count(&err, "yields:"), 3);
    assert!(!err.contains("stopped"), "{err}");
}

#[test]
fn yields_and_wasi_suspensions_are_counted_apart() {
    let dir = scratch("rewind-run-yield", "suspend-at");
    let module = transformed(
        &dir,
        "asyncify",
        "frames.async.wasm",
        &[
            "--imports",
            "rewind.yield_to_host,wasi_snapshot_preview1.fd_write",
        ],
    );
    let out = rewind(&["run", "--suspend-at", "wasi_snapshot_preview1.*", &module]);
    let err = assert_success(&out);
    assert_eq!(stdout(&out), "frame\n".repeat(3));
    assert_eq!(count(&err, "suspensions:"), 3);
    assert_eq!(count(&err, "yields:"), 3);
}

#[test]
fn yields_work_in_fuel_slices() {
    let dir = scratch("rewind-run-yield", "fuel");
    let module = transformed(
        &dir,
        "fuel",
        "frames.fuel.wasm",
        &["--imports", "rewind.yield_to_host"],
    );
    let out = rewind(&["run", &module, "--fuel-slice", "5", "--invoke", "count"]);
    let err = assert_success(&out);
    assert_eq!(stdout(&out), format!("{}4\n", "frame\n".repeat(4)));
    assert_eq!(count(&err, "yields:"), 4);
    assert!(count(&err, "slices:") > 1, "{err}");

    let out = rewind(&[
        "run",
        &module,
        "--fuel-slice",
        "5",
        "--invoke",
        "forever",
        "--max-yields",
        "2",
    ]);
    let err = assert_success(&out);
    assert_eq!(count(&err, "yields:"), 2);
}

#[test]
fn a_module_that_is_not_instrumented_runs_until_it_yields() {
    let dir = scratch("rewind-run-yield", "plain");
    let wat = frames_wat(&dir);
    let out = rewind(&["run", &wat, "--invoke", "quiet"]);
    assert_success(&out);
    assert_eq!(stdout(&out), "42\n");

    let err = assert_error(&rewind(&["run", &wat, "--invoke", "count"]));
    assert!(err.contains("not instrumented"), "{err}");
    assert!(err.contains("rewind asyncify"), "{err}");
}

#[test]
fn an_import_of_another_type_is_refused() {
    let dir = scratch("rewind-run-yield", "type");
    let wat = dir.join("bad.wat");
    std::fs::write(
        &wat,
        r#"(module (import "rewind" "yield_to_host" (func (param i32))) (func (export "f")))"#,
    )
    .unwrap();
    let err = assert_error(&rewind(&["run", wat.to_str().unwrap(), "--invoke", "f"]));
    assert!(err.contains("rewind.yield_to_host"), "{err}");
}
