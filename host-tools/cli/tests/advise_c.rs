//! The list workflow on a real C program: `tests/fixtures/calc.c`, a small
//! interpreter compiled here with clang for WASI (wasi-libc; cached under
//! `target/tmp/`), running `tests/fixtures/calc.fs` with suspensions at
//! every WASI call.
//!
//! `rewind advise` gives a list; the program instrumented with
//! `--only-list @list --asserts` runs with the same suspensions and prints
//! byte for byte the same, and the list is much smaller than the set the
//! static analysis instruments for the same imports. Without one listed
//! function the same build stops with an error naming exactly that
//! function; without `--asserts` it crashes while unwinding, with a trap
//! that names nothing.
//!
//! Needs clang with the wasm32 target, its builtins and wasi-libc
//! (Debian: `apt-get install clang lld wasi-libc libclang-rt-dev-wasm32`;
//! elsewhere set `WASI_SYSROOT` to a wasi-sdk sysroot). Without them the
//! tests are skipped with a note, except under CI (`CI` set), where they
//! fail.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{assert_success, rewind_in, rewind_in_with_stdin, scratch, stderr};

const SOURCE: &str = include_str!("fixtures/calc.c");
const SCRIPT: &str = include_str!("fixtures/calc.fs");
/// What the script's `read`s read.
const NUMBERS: &str = "20 22\n9\n";
/// What the script prints, worked out from the script by hand: 7², 3³,
/// 10!; a countdown from 5; 3, 2, 1 on lines of their own; 20 + 22; 9 and
/// 9²; `Hi`; then the count of lines `cr` ended. The exit status is the
/// depth of the stack at the end: 3.
const EXPECTED: &str = "49 27 3628800 \n5 4 3 2 1 \n3 \n2 \n1 \n42 \n9 81 \nHi\nlines: 8\n";
const EXIT: i32 = 3;
const EVERY_WASI_CALL: &str = "wasi_snapshot_preview1.*";
/// The builtin behind `cr`: counts a line, then flushes stdout.
const CR: &str = "op_cr";

/// The directory of one test: `calc.wasm` and the script under `data/`.
fn setup(test: &str) -> Option<PathBuf> {
    let wasm = program()?;
    let dir = scratch("advise_c", test);
    std::fs::copy(wasm, dir.join("calc.wasm")).unwrap();
    std::fs::create_dir(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/calc.fs"), SCRIPT).unwrap();
    Some(dir)
}

/// Compiles the program once per test binary; `None` (after a note) when
/// clang or wasi-libc is missing outside CI.
fn program() -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(compile).as_deref()
}

fn compile() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("calc-c");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("calc.c");
    std::fs::write(&source, SOURCE).unwrap();
    let object = dir.join("calc.o");
    let wasm = dir.join("calc.wasm");
    let clang = std::env::var_os("CLANG").unwrap_or_else(|| "clang".into());
    // Compiled with -O1, which keeps the interpreter's functions apart so
    // that the list names them, and linked without an -O level: with one,
    // clang runs `wasm-opt` when it finds it, which drops the name section.
    // --strip-debug drops wasi-libc's DWARF and keeps the name section.
    let mut compile = Command::new(&clang);
    compile.args(["--target=wasm32-wasi", "-O1", "-c", "-o"]);
    compile.arg(&object).arg(&source);
    let mut link = Command::new(&clang);
    link.args(["--target=wasm32-wasi", "-Wl,--strip-debug", "-o"]);
    link.arg(&wasm).arg(&object);
    if let Some(sysroot) = std::env::var_os("WASI_SYSROOT") {
        compile.arg("--sysroot").arg(&sysroot);
        link.arg("--sysroot").arg(&sysroot);
    }
    let problem = match run_both(&mut compile, &mut link) {
        Ok(()) => return Some(wasm),
        Err(problem) => problem,
    };
    let missing = problem.starts_with("cannot start")
        || problem.contains("file not found")
        || problem.contains("unable to find library")
        || problem.contains("libclang_rt")
        || problem.contains("unknown target");
    if missing && std::env::var_os("CI").is_none() {
        eprintln!(
            "note: skipping the C program tests: clang for wasm32-wasi with wasi-libc is \
             missing (apt-get install clang lld wasi-libc libclang-rt-dev-wasm32, or set \
             WASI_SYSROOT):\n{problem}"
        );
        return None;
    }
    panic!("compiling tests/fixtures/calc.c for wasm32-wasi failed:\n{problem}");
}

/// Runs `first`, then `second`; the error is what went wrong, as text.
fn run_both(first: &mut Command, second: &mut Command) -> Result<(), String> {
    for command in [first, second] {
        let program = command.get_program().to_string_lossy().into_owned();
        match command.output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => return Err(String::from_utf8_lossy(&out.stderr).into_owned()),
            Err(err) => return Err(format!("cannot start `{program}`: {err}")),
        }
    }
    Ok(())
}

/// `rewind COMMAND OPTIONS... MODULE /data/calc.fs` in `dir`, with the
/// data directory preopened and the numbers on stdin.
fn calc(dir: &Path, command: &str, options: &[&str], module: &str) -> Output {
    let mut args = vec![command, "--dir", "data::/data"];
    args.extend_from_slice(options);
    args.extend_from_slice(&[module, "/data/calc.fs"]);
    rewind_in_with_stdin(dir, &args, NUMBERS.as_bytes())
}

/// Runs `module` suspending at every WASI call.
fn run_suspending(dir: &Path, module: &str) -> Output {
    calc(dir, "run", &["--suspend-at", EVERY_WASI_CALL], module)
}

/// `rewind asyncify calc.wasm -o OUT OPTIONS... --stats`; returns the
/// numbers of functions and of instrumented functions `--stats` reports.
fn asyncify(dir: &Path, out: &str, options: &[&str]) -> (usize, usize) {
    let mut args = vec!["asyncify", "calc.wasm", "-o", out, "--stats"];
    args.extend_from_slice(options);
    let err = assert_success(&rewind_in(dir, &args));
    // `functions:     297 (120 instrumented)`
    let counts = err
        .lines()
        .find_map(|line| line.strip_prefix("functions:"))
        .and_then(|rest| rest.trim().strip_suffix(" instrumented)"))
        .and_then(|rest| rest.split_once(" ("))
        .unwrap_or_else(|| panic!("no `functions: N (M instrumented)` in:\n{err}"));
    (counts.0.parse().unwrap(), counts.1.parse().unwrap())
}

fn suspensions(out: &Output) -> u64 {
    let err = stderr(out);
    err.lines()
        .find_map(|line| line.strip_prefix("suspensions: "))
        .unwrap_or_else(|| panic!("no `suspensions: N` in:\n{err}"))
        .parse()
        .unwrap()
}

/// The entries of a list file, as `--only-list @FILE` reads them.
fn entries(list: &str) -> Vec<&str> {
    list.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// Runs `rewind advise` into `calc.list`; returns the list's text, the
/// number of suspensions of the run and the advice on stderr.
fn advise(dir: &Path) -> (String, u64, String) {
    let out = calc(
        dir,
        "advise",
        &["--suspend-at", EVERY_WASI_CALL, "--list", "calc.list"],
        "calc.wasm",
    );
    assert_eq!(out.status.code(), Some(EXIT), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    let list = std::fs::read_to_string(dir.join("calc.list")).unwrap();
    (list, suspensions(&out), stderr(&out))
}

#[test]
fn the_program_does_its_work() {
    let Some(dir) = setup("plain") else { return };
    let out = calc(&dir, "run", &[], "calc.wasm");
    assert_eq!(out.status.code(), Some(EXIT), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
}

#[test]
fn the_advised_list_runs_the_program_the_same_way_and_is_much_smaller() {
    let Some(dir) = setup("workflow") else { return };
    let (list, advised_suspensions, advice) = advise(&dir);
    let listed = entries(&list);

    // Functions on the way from `main` to the WASI calls are listed (at -O1
    // `execute` is inlined into `run`); builtins that never do I/O are not.
    for name in [
        "_start",
        "main",
        "run",
        CR,
        "op_read",
        "fflush",
        "__stdio_write",
    ] {
        assert!(listed.contains(&name), "`{name}` missing from:\n{list}");
    }
    for name in ["op_add", "op_mul", "tokenize", "fail"] {
        assert!(!listed.contains(&name), "`{name}` listed:\n{list}");
    }

    let (total, statically) = asyncify(&dir, "static.wasm", &["--imports", EVERY_WASI_CALL]);
    let (_, only) = asyncify(
        &dir,
        "only.wasm",
        &["--only-list", "@calc.list", "--asserts"],
    );
    assert_eq!(
        only,
        listed.len(),
        "the build instruments the list:\n{list}"
    );
    // Functions that can print an error (`fail`, and so `push`, `pop` and
    // every builtin) can reach fd_write; the run never takes those paths.
    assert!(
        listed.len() * 5 <= statically * 3,
        "the list ({}) is not much smaller than the static set ({statically})",
        listed.len()
    );
    // What advise says of both counts is what the list and `--stats` say.
    assert_eq!(
        advice.replace(',', ""),
        format!(
            "suspensions: {advised_suspensions}\nadvise: {} functions on the stack at \
             {advised_suspensions} suspensions; the static analysis instruments {statically} of \
             {total}\n",
            listed.len()
        )
    );
    eprintln!(
        "calc.wasm: {} functions listed by `rewind advise`, {statically} instrumented by the \
         static analysis, {total} in all",
        listed.len()
    );

    let out = run_suspending(&dir, "only.wasm");
    assert_eq!(out.status.code(), Some(EXIT), "{}", stderr(&out));
    assert_eq!(out.stdout, EXPECTED.as_bytes());
    assert_eq!(suspensions(&out), advised_suspensions);
    assert!(
        advised_suspensions > 10,
        "{advised_suspensions} suspensions"
    );
}

/// The advised list without `op_cr`.
fn list_without_cr(dir: &Path) -> String {
    let (list, ..) = advise(dir);
    assert!(entries(&list).contains(&CR), "{list}");
    let without: Vec<&str> = list.lines().filter(|line| line.trim() != CR).collect();
    std::fs::write(dir.join("without.list"), without.join("\n")).unwrap();
    list
}

#[test]
fn with_asserts_a_function_missing_from_the_list_is_named() {
    let Some(dir) = setup("asserts") else { return };
    list_without_cr(&dir);
    asyncify(
        &dir,
        "without.wasm",
        &["--only-list", "@without.list", "--asserts"],
    );
    let out = run_suspending(&dir, "without.wasm");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // stdout starts line-buffered: the first `cr`'s newline is written,
    // and so suspends, inside `putchar`.
    let (_, message) = err.split_once('\n').unwrap();
    assert_eq!(
        message,
        "error: function `op_cr` is on the stack during a suspension but was not \
         instrumented; add it to --only-list\n\nCaused by:\n    the check in `op_cr` failed \
         after its call of `putchar`, while running `_start` of `without.wasm`\n"
    );
}

#[test]
fn without_asserts_the_program_crashes_far_from_the_missing_function() {
    let Some(dir) = setup("no_asserts") else {
        return;
    };
    list_without_cr(&dir);
    asyncify(&dir, "without.wasm", &["--only-list", "@without.list"]);
    let out = run_suspending(&dir, "without.wasm");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // `op_cr` runs on while `putchar` unwinds and calls `fflush` in the
    // unwinding state; what follows ends in a trap that names nothing.
    assert!(
        err.contains("guest trapped while unwinding `_start`"),
        "{err}"
    );
    assert!(!err.contains(CR), "{err}");
}
