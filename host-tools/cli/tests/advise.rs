//! `rewind advise`: the list a run gives (golden under
//! `tests/goldens/advise_*.list`), that it is all a build with
//! `--only-list` needs to run the same way, merging, and the errors.

mod common;

use std::path::Path;

use common::{assert_error, assert_success, golden, rewind_in, scratch, stderr, stdout};

/// `start` prints twice through `say -> fd_write`, pauses in `sched_yield`
/// and exits with status 3; `unused` could suspend but never runs.
const WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello\n")
  (func $say
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $twice (call $say) (call $say))
  (func $pause (drop (call $yield)))
  (func $unused (call $say))
  (func $start (export "_start") (call $twice) (call $pause) (call $proc_exit (i32.const 3)))
  (func $a (export "a") (result i32) (call $say) (i32.const 1))
  (func $b (export "b") (result i32) (call $pause) (i32.const 2))
  (func $boom (export "boom") (call $say) (unreachable)))
"#;

const EVERY_WASI_CALL: &str = "wasi_snapshot_preview1.*";

fn setup(test: &str) -> std::path::PathBuf {
    let dir = scratch("advise", test);
    std::fs::write(dir.join("m.wat"), WAT).unwrap();
    dir
}

fn advise(dir: &Path, options: &[&str]) -> std::process::Output {
    let mut args = vec!["advise", "--suspend-at", EVERY_WASI_CALL];
    args.extend_from_slice(options);
    rewind_in(dir, &args)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn the_list_covers_the_run_and_the_program_passes_through() {
    let dir = setup("run");
    let out = advise(&dir, &["--list", "m.list", "m.wat"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello\nhello\n");
    assert_eq!(
        stderr(&out),
        "suspensions: 3\n\
         advise: 4 functions on the stack at 3 suspensions; the static analysis instruments 8 of 8\n"
    );
    let list = read(&dir, "m.list");
    golden("advise_run.list", &list);

    // Built with the list, the module runs the same way with the same
    // suspensions, and instruments only the listed functions.
    let out = rewind_in(
        &dir,
        &[
            "asyncify",
            "m.wat",
            "-o",
            "m.only.wasm",
            "--only-list",
            "@m.list",
            "--stats",
        ],
    );
    let err = assert_success(&out);
    assert!(err.contains("functions:     8 (4 instrumented)"), "{err}");
    let run = rewind_in(
        &dir,
        &["run", "--suspend-at", EVERY_WASI_CALL, "m.only.wasm"],
    );
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert_eq!(run.stdout, b"hello\nhello\n");
    assert_eq!(stderr(&run), "suspensions: 3\n");
}

#[test]
fn runs_merge() {
    let dir = setup("merge");
    let a = advise(&dir, &["--list", "a.list", "--invoke", "a", "m.wat"]);
    assert_success(&a);
    assert_eq!(stdout(&a), "hello\n1\n");
    let b = advise(
        &dir,
        &[
            "--list", "ab.list", "--merge", "a.list", "--invoke", "b", "m.wat",
        ],
    );
    let err = assert_success(&b);
    assert_eq!(stdout(&b), "2\n");
    assert!(
        err.ends_with("advise: 4 functions in `ab.list`, 2 suspensions with the merged lists\n"),
        "{err}"
    );
    golden("advise_merged.list", &read(&dir, "ab.list"));
    // Merging a list into itself adds the run to it.
    let again = advise(
        &dir,
        &[
            "--list", "ab.list", "--merge", "ab.list", "--invoke", "b", "m.wat",
        ],
    );
    assert_success(&again);
    assert!(read(&dir, "ab.list").contains("# suspensions: 3\n# in 2 suspensions\nb\n"));
}

#[test]
fn a_list_written_by_hand_merges() {
    let dir = setup("by_hand");
    std::fs::write(dir.join("hand.list"), "# kept by hand\nextra_function\n").unwrap();
    let out = advise(
        &dir,
        &[
            "--list",
            "m.list",
            "--merge",
            "hand.list",
            "--invoke",
            "b",
            "m.wat",
        ],
    );
    assert_success(&out);
    assert!(
        read(&dir, "m.list").ends_with("# in 1 suspension\npause\nextra_function\n"),
        "{}",
        read(&dir, "m.list")
    );
}

#[test]
fn a_failed_run_leaves_the_list_alone() {
    let dir = setup("failed");
    std::fs::write(dir.join("m.list"), "old\n").unwrap();
    let out = advise(&dir, &["--list", "m.list", "--invoke", "boom", "m.wat"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("suspensions: 1\nerror: failed to run `boom` of `m.wat`\n"),
        "{err}"
    );
    assert_eq!(read(&dir, "m.list"), "old\n");
}

#[test]
fn a_run_that_never_suspends_warns() {
    let dir = setup("never");
    let out = rewind_in(
        &dir,
        &[
            "advise",
            "--suspend-at",
            "wasi_snapshot_preview1.clock_time_get",
            "--list",
            "m.list",
            "--invoke",
            "a",
            "m.wat",
        ],
    );
    let err = assert_success(&out);
    assert!(
        err.contains(
            "warning: --suspend-at `wasi_snapshot_preview1.clock_time_get` matches no import"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "warning: the program never suspended: does --suspend-at match the imports it calls?"
        ),
        "{err}"
    );
    assert!(read(&dir, "m.list").ends_with("# suspensions: 0\n"));
}

#[test]
fn usage_errors() {
    let dir = setup("usage");
    let out = rewind_in(&dir, &["advise", "--list", "m.list", "m.wat"]);
    assert_eq!(
        assert_error(&out),
        "error: `rewind advise` needs --suspend-at PATTERN: the imports the program suspends at \
         (for example 'wasi_snapshot_preview1.*')\n"
    );
    let out = advise(&dir, &["--list", "m.list", "--fuel-slice", "10", "m.wat"]);
    assert!(
        assert_error(&out).contains("`rewind advise` takes no --fuel-slice"),
        "{}",
        stderr(&out)
    );
    let out = advise(
        &dir,
        &["--list", "m.list", "--merge", "nosuch.list", "m.wat"],
    );
    assert_eq!(
        assert_error(&out),
        "error: failed to read list file `nosuch.list`\n\nCaused by:\n    No such file or directory (os error 2)\n"
    );
    let out = advise(
        &dir,
        &["--list", "no/such/dir/m.list", "--invoke", "a", "m.wat"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("\nerror: failed to write list file `no/such/dir/m.list`\n"),
        "{}",
        stderr(&out)
    );
    // --list is required: a usage error.
    let out = advise(&dir, &["m.wat"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!dir.join("m.list").exists());
}
