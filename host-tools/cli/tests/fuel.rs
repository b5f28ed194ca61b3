//! End-to-end tests of `rewind fuel` (and, further down, of
//! `rewind run --fuel-slice`), running the built binary.

mod common;

use common::{assert_error, assert_success, exports, rewind, scratch, stderr};
use std::path::Path;

/// A counting loop and a recursive function.
const LOOP_WAT: &str = r#"(module
  (memory 1)
  (func $spin (export "spin") (param i32) (result i32)
    (local i32)
    (loop $l
      local.get 1 i32.const 1 i32.add local.set 1
      local.get 1 local.get 0 i32.lt_u br_if $l)
    local.get 1)
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32)
      local.get 0
    else
      local.get 0 i32.const 1 i32.sub call $fib
      local.get 0 i32.const 2 i32.sub call $fib
      i32.add
    end))
"#;

/// The exports every metered module must have.
const EXPORTS: [&str; 6] = [
    "__rewind_fuel",
    "asyncify_start_unwind",
    "asyncify_stop_unwind",
    "asyncify_start_rewind",
    "asyncify_stop_rewind",
    "asyncify_get_state",
];

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Meters LOOP_WAT into `dir/out.wasm` and returns the output's path.
fn metered(dir: &Path) -> String {
    let input = write(dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wasm").to_str().unwrap().to_owned();
    assert_success(&rewind(&["fuel", &input, "-o", &output]));
    output
}

#[test]
fn metered_output_validates_and_exports_the_abi() {
    let dir = scratch("rewind-cli-fuel", "validates");
    let output = metered(&dir);
    let names = exports(&std::fs::read(&output).unwrap());
    for name in EXPORTS.iter().chain(&["spin", "fib"]) {
        assert!(names.iter().any(|n| n == name), "no {name} in {names:?}");
    }
}

#[test]
fn text_output_and_stats() {
    let dir = scratch("rewind-cli-fuel", "text");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wat");
    let out = rewind(&[
        "fuel",
        &input,
        "-o",
        output.to_str().unwrap(),
        "-t",
        "--stats",
    ]);
    let err = assert_success(&out);
    assert!(err.contains("metered:       2 functions"), "stderr:\n{err}");
    assert!(err.contains("fuel checks:"), "stderr:\n{err}");
    assert!(err.contains("fuel charges:"), "stderr:\n{err}");
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.contains("(export \"__rewind_fuel\""), "{text}");
    assert!(
        text.contains("(import \"rewind\" \"out_of_fuel\""),
        "{text}"
    );
    exports(&wat::parse_str(&text).unwrap());
}

/// The counting loop is unrolled by default and not with `--unroll-loops
/// 1`; 0 is a usage error.
#[test]
fn unroll_loops_flag() {
    let dir = scratch("rewind-cli-fuel", "unroll");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wasm");
    let output = output.to_str().unwrap();
    let stats = |extra: &[&str]| {
        let mut args = vec!["fuel", &input, "-o", output, "--stats"];
        args.extend(extra);
        assert_success(&rewind(&args))
    };
    assert!(stats(&[]).contains("unrolled:      1 loops"));
    assert!(stats(&["--unroll-loops", "1"]).contains("unrolled:      0 loops"));
    let out = rewind(&["fuel", &input, "-o", output, "--unroll-loops", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn import_fuel_imports_the_global() {
    let dir = scratch("rewind-cli-fuel", "import-fuel");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wat");
    let out = rewind(&[
        "fuel",
        &input,
        "-o",
        output.to_str().unwrap(),
        "-t",
        "--import-fuel",
    ]);
    assert_success(&out);
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.contains("(import \"env\" \"__rewind_fuel\""), "{text}");
}

#[test]
fn cost_file_changes_the_charges() {
    let dir = scratch("rewind-cli-fuel", "costs");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let costs = write(&dir, "costs.txt", "# heavier arithmetic\ndefault 7\n");
    let plain = dir.join("plain.wat");
    let heavy = dir.join("heavy.wat");
    assert_success(&rewind(&[
        "fuel",
        &input,
        "-o",
        plain.to_str().unwrap(),
        "-t",
    ]));
    assert_success(&rewind(&[
        "fuel",
        &input,
        "-o",
        heavy.to_str().unwrap(),
        "-t",
        "--costs",
        &costs,
    ]));
    assert_ne!(
        std::fs::read_to_string(plain).unwrap(),
        std::fs::read_to_string(heavy).unwrap()
    );
}

#[test]
fn already_metered_module_is_rejected() {
    let dir = scratch("rewind-cli-fuel", "twice");
    let output = metered(&dir);
    let again = dir.join("again.wasm");
    let err = assert_error(&rewind(&["fuel", &output, "-o", again.to_str().unwrap()]));
    assert!(err.contains("__rewind_fuel"), "stderr:\n{err}");
    assert!(!again.exists());
}

#[test]
fn module_defining_the_fuel_global_is_rejected() {
    let dir = scratch("rewind-cli-fuel", "defines-global");
    let input = write(
        &dir,
        "g.wat",
        r#"(module (global (export "__rewind_fuel") (mut i64) (i64.const 0)) (func (export "f")))"#,
    );
    let output = dir.join("out.wasm");
    let err = assert_error(&rewind(&["fuel", &input, "-o", output.to_str().unwrap()]));
    assert!(err.contains("__rewind_fuel"), "stderr:\n{err}");
    assert!(!output.exists());
}

#[test]
fn out_of_fuel_import_with_a_wrong_type_is_rejected() {
    let dir = scratch("rewind-cli-fuel", "bad-import");
    let input = write(
        &dir,
        "bad.wat",
        r#"(module
  (import "rewind" "out_of_fuel" (func (param i32)))
  (memory 1)
  (func (export "f")))"#,
    );
    let output = dir.join("out.wasm");
    let err = assert_error(&rewind(&["fuel", &input, "-o", output.to_str().unwrap()]));
    assert!(err.contains("[] -> []"), "stderr:\n{err}");
    assert!(!output.exists());
}

#[test]
fn unknown_fuel_handler_is_rejected() {
    let dir = scratch("rewind-cli-fuel", "bad-handler");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wasm");
    let err = assert_error(&rewind(&[
        "fuel",
        &input,
        "-o",
        output.to_str().unwrap(),
        "--fuel-handler",
        "nope",
    ]));
    assert!(err.contains("`nope`"), "stderr:\n{err}");
}

#[test]
fn bad_cost_file_names_the_line() {
    let dir = scratch("rewind-cli-fuel", "bad-costs");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wasm");
    for (text, why) in [
        ("call 5\nload x\n", "line 2"),
        ("\n# fine\nbogus 3\n", "line 3"),
        ("call 1 2\n", "line 1"),
    ] {
        let costs = write(&dir, "costs.txt", text);
        let err = assert_error(&rewind(&[
            "fuel",
            &input,
            "-o",
            output.to_str().unwrap(),
            "--costs",
            &costs,
        ]));
        assert!(err.contains("costs.txt"), "stderr:\n{err}");
        assert!(err.contains(why), "stderr:\n{err}");
        assert!(!output.exists());
    }
}

#[test]
fn missing_cost_file_is_an_error() {
    let dir = scratch("rewind-cli-fuel", "no-costs");
    let input = write(&dir, "loop.wat", LOOP_WAT);
    let output = dir.join("out.wasm");
    let missing = dir.join("missing.txt");
    let err = assert_error(&rewind(&[
        "fuel",
        &input,
        "-o",
        output.to_str().unwrap(),
        "--costs",
        missing.to_str().unwrap(),
    ]));
    assert!(err.contains("missing.txt"), "stderr:\n{err}");
}

// `rewind run --fuel-slice`.

/// Meters LOOP_WAT plus an infinite loop, with an exported memory (save
/// buffers live there).
fn runnable(dir: &Path) -> String {
    let wat = LOOP_WAT
        .replace("(memory 1)", "(memory (export \"memory\") 1)")
        .replace(
            "(func $fib",
            "(func (export \"forever\") (loop $l (br $l)))\n  (func $fib",
        );
    let input = write(dir, "run.wat", &wat);
    let output = dir.join("run.wasm").to_str().unwrap().to_owned();
    assert_success(&rewind(&["fuel", &input, "-o", &output]));
    output
}

/// `slices: S` and `fuel: F` from stderr.
fn slices_and_fuel(err: &str) -> (u64, u64) {
    let field = |name: &str| {
        err.lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("no `{name}` in stderr:\n{err}"))
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    (field("slices:"), field("fuel:"))
}

#[test]
fn run_in_slices_gives_the_result_and_the_same_fuel() {
    let dir = scratch("rewind-cli-fuel", "run-slices");
    let module = runnable(&dir);
    let mut fuels = Vec::new();
    for slice in ["50", "1000", "10000000"] {
        let out = rewind(&[
            "run",
            &module,
            "--fuel-slice",
            slice,
            "--invoke",
            "fib",
            "15",
        ]);
        let err = assert_success(&out);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "610\n");
        let (slices, fuel) = slices_and_fuel(&err);
        if slice == "50" {
            assert!(slices > 100, "{slices} slices of 50");
        }
        if slice == "10000000" {
            assert_eq!(slices, 1);
        }
        fuels.push(fuel);
    }
    assert!(fuels[0] > 0);
    assert!(fuels.iter().all(|&f| f == fuels[0]), "{fuels:?}");
}

#[test]
fn max_slices_stops_an_infinite_loop() {
    let dir = scratch("rewind-cli-fuel", "run-max-slices");
    let module = runnable(&dir);
    let out = rewind(&[
        "run",
        &module,
        "--fuel-slice",
        "1000",
        "--max-slices",
        "7",
        "--invoke",
        "forever",
    ]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(err.contains("stopped after 7 slices"), "stderr:\n{err}");
    assert!(!err.contains("panicked"), "stderr:\n{err}");
    let (slices, fuel) = slices_and_fuel(&err);
    assert_eq!(slices, 7);
    assert!(fuel >= 7000, "fuel {fuel}");
}

#[test]
fn fuel_slice_needs_a_metered_module() {
    let dir = scratch("rewind-cli-fuel", "run-unmetered");
    let input = write(
        &dir,
        "plain.wat",
        &LOOP_WAT.replace("(memory 1)", "(memory (export \"memory\") 1)"),
    );
    let asyncified = dir.join("plain.wasm").to_str().unwrap().to_owned();
    assert_success(&rewind(&["asyncify", &input, "-o", &asyncified]));
    for module in [&input, &asyncified] {
        let err = assert_error(&rewind(&[
            "run",
            module,
            "--fuel-slice",
            "100",
            "--invoke",
            "fib",
            "3",
        ]));
        assert!(err.contains("metered by `rewind fuel`"), "stderr:\n{err}");
        assert!(!err.contains("slices:"), "stderr:\n{err}");
    }
}

#[test]
fn zero_fuel_slice_is_a_usage_error() {
    let dir = scratch("rewind-cli-fuel", "run-zero");
    let module = runnable(&dir);
    for flags in [
        &["--fuel-slice", "0"][..],
        &["--fuel-slice", "-5"],
        &["--fuel-slice", "10", "--max-slices", "0"],
        &["--max-slices", "3"],
    ] {
        let mut args = vec!["run", module.as_str()];
        args.extend_from_slice(flags);
        args.extend(["--invoke", "fib", "3"]);
        let out = rewind(&args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
    }
}
