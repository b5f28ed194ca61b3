//! End-to-end tests of the `rewind` binary: arguments, exit codes, error
//! output, and (once the transform is implemented) real instrumentation.

mod common;

use common::{
    assert_error, assert_success, exports, rewind, rewind_with_stdin, scratch, stderr, stdout,
};

/// A module with one suspending import, called from an exported function.
const SLEEP_WAT: &str = r#"(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $main (export "main") (result i32)
    call $sleep
    i32.const 7))
"#;

/// The exports every instrumented module must have.
const ABI_EXPORTS: [&str; 5] = [
    "asyncify_start_unwind",
    "asyncify_stop_unwind",
    "asyncify_start_rewind",
    "asyncify_stop_rewind",
    "asyncify_get_state",
];

fn assert_abi_exports(wasm: &[u8]) {
    let names = exports(wasm);
    for name in ABI_EXPORTS {
        assert!(
            names.iter().any(|n| n == name),
            "missing export {name} in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n == "main"),
        "lost export main in {names:?}"
    );
}

/// Writes SLEEP_WAT into `dir` and returns its path as a string.
fn sleep_module(dir: &std::path::Path) -> String {
    let path = dir.join("sleep.wat");
    std::fs::write(&path, SLEEP_WAT).unwrap();
    path.to_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------
// Arguments, usage errors and failures (independent of the transform).

#[test]
fn help_works() {
    let out = rewind(&["--help"]);
    assert_success(&out);
    assert!(stdout(&out).contains("asyncify"), "{}", stdout(&out));

    let out = rewind(&["asyncify", "--help"]);
    assert_success(&out);
    let help = stdout(&out);
    for flag in [
        "--output",
        "--wat",
        "--imports",
        "--ignore-imports",
        "--ignore-indirect",
        "--only-list",
        "--add-list",
        "--propagate-add-list",
        "--remove-list",
        "--export-globals",
        "--import-globals",
        "--memory",
        "--stack-pointer-global",
        "--verbose",
        "--stats",
        "--pass-arg=asyncify-NAME",
    ] {
        assert!(help.contains(flag), "help lacks {flag}:\n{help}");
    }
}

#[test]
fn version_works() {
    let out = rewind(&["--version"]);
    assert_success(&out);
    assert!(stdout(&out).starts_with("rewind "), "{}", stdout(&out));
}

#[test]
fn usage_errors_exit_with_2() {
    // No subcommand.
    assert_eq!(rewind(&[]).status.code(), Some(2));
    // No -o.
    let out = rewind(&["asyncify", "in.wasm"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--output"), "{}", stderr(&out));
    // Not a number.
    let out = rewind(&[
        "asyncify",
        "in.wasm",
        "-o",
        "x",
        "--stack-pointer-global",
        "sp",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_asyncify_pass_arg_is_named() {
    let out = rewind(&[
        "asyncify",
        "in.wasm",
        "-o",
        "x",
        "--pass-arg=asyncify-frobnicate@1",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("`asyncify-frobnicate`"), "{err}");

    let out = rewind(&[
        "asyncify",
        "in.wasm",
        "-o",
        "x",
        "--pass-arg",
        "asyncify-in-secondary-memory",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`asyncify-in-secondary-memory`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_input_file() {
    let dir = scratch("rewind-cli", "missing_input_file");
    let input = dir.join("does-not-exist.wasm");
    let output = dir.join("out.wasm");
    let out = rewind(&[
        "asyncify",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    let err = assert_error(&out);
    assert!(err.contains("failed to read `"), "{err}");
    assert!(err.contains("does-not-exist.wasm"), "{err}");
    assert!(err.contains("Caused by:"), "{err}");
    assert!(!output.exists());
}

#[test]
fn garbage_text_input() {
    let dir = scratch("rewind-cli", "garbage_text_input");
    let input = dir.join("garbage.wat");
    std::fs::write(&input, "this is not a module\n").unwrap();
    let output = dir.join("out.wasm");
    let out = rewind(&[
        "asyncify",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    let err = assert_error(&out);
    assert!(err.contains("Caused by:"), "{err}");
    // The text parser points at the file and position.
    assert!(err.contains("garbage.wat:1:1"), "{err}");
    assert!(!output.exists());
}

#[test]
fn garbage_binary_input() {
    let dir = scratch("rewind-cli", "garbage_binary_input");
    let output = dir.join("out.wasm");
    // A wasm header followed by a truncated section.
    let garbage = b"\0asm\x01\0\0\0\x01\xff\xff";
    let out = rewind_with_stdin(&["asyncify", "-", "-o", output.to_str().unwrap()], garbage);
    let err = assert_error(&out);
    assert!(err.contains("failed to instrument `<stdin>`"), "{err}");
    assert!(err.contains("Caused by:"), "{err}");
    assert!(!output.exists());

    // Bytes that are neither binary nor UTF-8 text.
    let out = rewind_with_stdin(&["asyncify", "-", "-o", "-"], b"\xff\xfe\x00\x01");
    let err = assert_error(&out);
    assert!(err.contains("Caused by:"), "{err}");
    assert!(out.stdout.is_empty());
}

/// The transform rejects `--only-list` with another list; the CLI reports
/// it as an error of the run, names the flags, and writes nothing.
#[test]
fn only_list_with_another_list_is_an_error() {
    let dir = scratch("rewind-cli", "only_list_with_add_list");
    let input = sleep_module(&dir);
    let output = dir.join("out.wasm");
    let output = output.to_str().unwrap();
    for (command, args) in [
        ("asyncify", &["--only-list", "a", "--add-list", "b"][..]),
        (
            "asyncify",
            &[
                "--pass-arg=asyncify-onlylist@a",
                "--pass-arg=asyncify-addlist@b",
            ][..],
        ),
        ("asyncify", &["--only-list", "a", "--remove-list", "b"][..]),
        (
            "fuel",
            &["--only-list", "a", "--propagate-add-list", "b"][..],
        ),
    ] {
        let mut argv = vec![command, &input, "-o", output];
        argv.extend_from_slice(args);
        let err = assert_error(&rewind(&argv));
        assert!(err.contains("\n\nCaused by:\n"), "{err}");
        assert!(
            err.contains(
                "--only-list cannot be combined with --add-list, --propagate-add-list or --remove-list"
            ),
            "{err}"
        );
        assert!(!dir.join("out.wasm").exists(), "{command} {args:?}");
    }
}

#[test]
fn missing_list_file_is_named() {
    let dir = scratch("rewind-cli", "missing_list_file");
    let input = sleep_module(&dir);
    let list = dir.join("no-such-list.txt");
    let list_arg = format!("@{}", list.display());
    let out = rewind(&["asyncify", &input, "-o", "-", "--remove-list", &list_arg]);
    let err = assert_error(&out);
    assert!(err.contains("--remove-list"), "{err}");
    assert!(err.contains("no-such-list.txt"), "{err}");
    assert!(err.contains("Caused by:"), "{err}");
}

// ---------------------------------------------------------------------------
// Real instrumentation: these need the transform in rewind-transform.

#[test]
fn instruments_a_module_with_the_asyncify_abi() {
    let dir = scratch("rewind-cli", "instruments");
    let input = sleep_module(&dir);
    let output = dir.join("out.wasm");
    let out = rewind(&["asyncify", &input, "-o", output.to_str().unwrap()]);
    let err = assert_success(&out);
    assert!(!err.contains("warning:"), "{err}");
    assert!(out.stdout.is_empty());
    assert_abi_exports(&std::fs::read(&output).unwrap());
}

#[test]
fn binary_input_works() {
    let dir = scratch("rewind-cli", "binary_input");
    let input = dir.join("sleep.wasm");
    std::fs::write(&input, wat::parse_str(SLEEP_WAT).unwrap()).unwrap();
    let output = dir.join("out.wasm");
    let out = rewind(&[
        "asyncify",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_success(&out);
    assert_abi_exports(&std::fs::read(&output).unwrap());
}

#[test]
fn text_output() {
    let dir = scratch("rewind-cli", "text_output");
    let input = sleep_module(&dir);
    let out = rewind(&["asyncify", &input, "-t", "-o", "-"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.starts_with("(module"), "{text}");
    assert!(text.contains("asyncify_start_unwind"), "{text}");
    // The text is a valid module with the same exports.
    assert_abi_exports(&wat::parse_str(&text).unwrap());
}

#[test]
fn stdin_to_stdout() {
    let out = rewind_with_stdin(&["asyncify", "-", "-o", "-"], SLEEP_WAT.as_bytes());
    assert_success(&out);
    assert_abi_exports(&out.stdout);
}

/// `--fast-path` adds a second copy of each instrumented body: the output
/// is bigger and still has the ABI.
#[test]
fn fast_path_flag() {
    let plain = rewind_with_stdin(&["asyncify", "-", "-o", "-"], SLEEP_WAT.as_bytes());
    let fast = rewind_with_stdin(
        &["asyncify", "-", "-o", "-", "--fast-path"],
        SLEEP_WAT.as_bytes(),
    );
    assert_success(&plain);
    assert_success(&fast);
    assert_abi_exports(&fast.stdout);
    assert!(
        fast.stdout.len() > plain.stdout.len(),
        "{} bytes with --fast-path, {} without",
        fast.stdout.len(),
        plain.stdout.len()
    );
}

#[test]
fn stats() {
    let out = rewind_with_stdin(
        &["asyncify", "-", "-o", "-", "--stats"],
        SLEEP_WAT.as_bytes(),
    );
    let err = assert_success(&out);
    for line in [
        "functions:     1 (1 instrumented)",
        "call sites:",
        "locals saved:",
        "locals merged:",
        "size:",
        "time:",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    assert!(err.contains(" bytes ("), "{err}");
    assert_abi_exports(&out.stdout);
}

/// `--fast-path=recursive` gives a fast path to the functions on call
/// cycles only: the output is between the plain one and `--fast-path`'s,
/// `--stats` counts them and `--verbose` says why.
#[test]
fn fast_path_recursive_flag() {
    let wat = r#"(module
  (import "env" "sleep" (func $sleep))
  (memory 1)
  (func $countdown (export "countdown") (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (call $sleep) (call $countdown (i32.sub (local.get $n) (i32.const 1))))
      (else (i32.const 7))))
  (func $once (export "once") (result i32)
    (call $sleep)
    (i32.const 1)))"#;
    let run = |flags: &[&str]| {
        let mut args = vec!["asyncify", "-", "-o", "-", "--stats", "--verbose"];
        args.extend(flags);
        let out = rewind_with_stdin(&args, wat.as_bytes());
        let err = assert_success(&out);
        (out.stdout, err)
    };
    let (plain, _) = run(&[]);
    let (recursive, err) = run(&["--fast-path=recursive"]);
    let (all, all_err) = run(&["--fast-path"]);
    assert!(
        plain.len() < recursive.len() && recursive.len() < all.len(),
        "{} < {} < {} bytes",
        plain.len(),
        recursive.len(),
        all.len()
    );
    assert!(err.contains("fast path:     1 functions"), "{err}");
    assert!(all_err.contains("fast path:     2 functions"), "{all_err}");
    let line = |name: &str| {
        err.lines()
            .find(|l| l.starts_with("instrumented") && l.contains(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("countdown").contains("fast path: on a call cycle"),
        "{err}"
    );
    assert!(!line("once").contains("fast path"), "{err}");
}

#[test]
fn verbose() {
    let out = rewind_with_stdin(
        &["asyncify", "-", "-o", "-", "--verbose"],
        SLEEP_WAT.as_bytes(),
    );
    let err = assert_success(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("instrumented") && l.contains("main")),
        "{err}"
    );
}

#[test]
fn unmatched_list_entry_is_a_warning() {
    let out = rewind_with_stdin(
        &[
            "asyncify",
            "-",
            "-o",
            "-",
            "--remove-list",
            "no_such_function",
        ],
        SLEEP_WAT.as_bytes(),
    );
    let err = assert_success(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: ") && l.contains("no_such_function")),
        "{err}"
    );
}

#[test]
fn binaryen_spelling_gives_the_same_output() {
    let dir = scratch("rewind-cli", "binaryen_spelling");
    let input = sleep_module(&dir);
    let native = rewind(&[
        "asyncify",
        &input,
        "-o",
        "-",
        "--imports",
        "env.sleep",
        "--export-globals",
    ]);
    assert_success(&native);
    let binaryen = rewind(&[
        "asyncify",
        &input,
        "--asyncify",
        "--pass-arg=asyncify-imports@env.sleep",
        "--pass-arg",
        "asyncify-export-globals",
        "-o",
        "-",
    ]);
    assert_success(&binaryen);
    assert_eq!(native.stdout, binaryen.stdout);
    let names = exports(&native.stdout);
    assert!(names.iter().any(|n| n == "__asyncify_state"), "{names:?}");
    assert!(names.iter().any(|n| n == "__asyncify_data"), "{names:?}");
}

#[test]
fn list_file_is_read() {
    let dir = scratch("rewind-cli", "list_file");
    let input = sleep_module(&dir);
    let list = dir.join("imports.txt");
    std::fs::write(
        &list,
        "# suspending imports\nenv.sleep\n\nenv.never_imported_*\n",
    )
    .unwrap();
    let list_arg = format!("@{}", list.display());
    let out = rewind(&["asyncify", &input, "-o", "-", "--imports", &list_arg]);
    assert_success(&out);
    assert_abi_exports(&out.stdout);
}
