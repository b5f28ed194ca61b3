//! `rewind asyncify --asserts` and `rewind run`: a module missing a
//! function that is on the stack during a suspension stops with an error
//! naming that function and the list option that adds it (goldens under
//! `tests/goldens/asserts_*.stderr`); without `--asserts` the same module
//! runs on while unwinding and the host sees an import called in the
//! wrong state.

mod common;

use std::path::Path;

use common::{assert_success, golden, rewind_in, scratch, stderr};

/// `main -> middle -> leaf -> sched_yield` (a WASI import, so that
/// `rewind run --suspend-at` suspends there), `indirect -> via_table ->
/// (indirect) leaf`, and `cpp`, named like a demangled C++ function.
const WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (memory (export "memory") 1)
  (type $t (func))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (type $t) (drop (call $yield)))
  (func $middle (call $leaf) (drop (call $yield)))
  (func $via_table (call_indirect (type $t) (i32.const 0)))
  (func $cpp (@name "ns::f(int, char)") (call $leaf))
  (func $main (export "main") (call $middle))
  (func $indirect (export "indirect") (call $via_table))
  (func $cpp_main (export "cpp") (call $cpp)))
"#;

fn setup(test: &str) -> std::path::PathBuf {
    let dir = scratch("asserts", test);
    std::fs::write(dir.join("m.wat"), WAT).unwrap();
    dir
}

fn asyncify(dir: &Path, out: &str, options: &[&str]) {
    let mut args = vec!["asyncify", "m.wat", "-o", out];
    args.extend_from_slice(options);
    assert_success(&rewind_in(dir, &args));
}

/// Runs `export` of `module` suspending at every WASI call; returns the
/// exit code and stderr.
fn run(dir: &Path, module: &str, export: &str) -> (Option<i32>, String) {
    let out = rewind_in(
        dir,
        &[
            "run",
            "--suspend-at",
            "wasi_snapshot_preview1.*",
            "--invoke",
            export,
            module,
        ],
    );
    (out.status.code(), stderr(&out))
}

#[test]
fn a_missing_function_is_named_with_the_add_list_that_adds_it() {
    let dir = setup("add_list");
    asyncify(&dir, "m.wasm", &["--asserts", "--remove-list", "middle"]);
    let (code, err) = run(&dir, "m.wasm", "main");
    assert_eq!(code, Some(1), "{err}");
    golden("asserts_add_list.stderr", &err);
}

#[test]
fn an_only_list_build_says_to_add_to_the_only_list() {
    let dir = setup("only_list");
    asyncify(&dir, "m.wasm", &["--asserts", "--only-list", "leaf,main"]);
    let (code, err) = run(&dir, "m.wasm", "main");
    assert_eq!(code, Some(1), "{err}");
    golden("asserts_only_list.stderr", &err);
}

#[test]
fn an_indirect_call_and_a_cpp_name() {
    let dir = setup("indirect");
    asyncify(
        &dir,
        "m.wasm",
        &["--asserts", "--remove-list", "via_table,ns::f(int, char)"],
    );
    let (code, err) = run(&dir, "m.wasm", "indirect");
    assert_eq!(code, Some(1), "{err}");
    golden("asserts_indirect.stderr", &err);
    let (code, err) = run(&dir, "m.wasm", "cpp");
    assert_eq!(code, Some(1), "{err}");
    golden("asserts_cpp_name.stderr", &err);
}

#[test]
fn the_advice_works() {
    let dir = setup("advice");
    asyncify(&dir, "m.wasm", &["--asserts", "--remove-list", "middle"]);
    asyncify(
        &dir,
        "fixed.wasm",
        &[
            "--asserts",
            "--remove-list",
            "via_table",
            "--add-list",
            "middle",
        ],
    );
    let (code, err) = run(&dir, "fixed.wasm", "main");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "suspensions: 2\n");
}

#[test]
fn without_asserts_the_missing_function_runs_on_while_unwinding() {
    let dir = setup("no_asserts");
    asyncify(&dir, "m.wasm", &["--remove-list", "middle"]);
    let (code, err) = run(&dir, "m.wasm", "main");
    assert_eq!(code, Some(1), "{err}");
    golden("asserts_none.stderr", &err);
}

#[test]
fn without_suspensions_the_checks_never_fail() {
    let dir = setup("plain");
    asyncify(&dir, "m.wasm", &["--asserts", "--remove-list", "middle"]);
    let out = rewind_in(&dir, &["run", "--invoke", "main", "m.wasm"]);
    assert_success(&out);
}
