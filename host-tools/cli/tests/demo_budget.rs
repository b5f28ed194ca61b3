//! `rewind demo budget`: one line per host slice and a summary; the two
//! tasks share the fuel fairly while both run, the output is the same on
//! every run, and a task's fuel does not depend on the host's slices.

mod common;

use common::{rewind, scratch, stderr};

fn stdout(args: &[&str]) -> String {
    let out = rewind(args);
    assert!(out.status.success(), "rewind failed:\n{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// The table rows: slice number, host fuel, then per task (turns this
/// slice or `done`, fuel so far, progress).
fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .map(|line| {
            line.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|words| words.len() == 8 && words[0].parse::<u32>().is_ok())
        .collect()
}

/// The summary line of `task`: its share in percent, fuel, and state.
fn summary(out: &str, task: &str) -> (f64, u64, String) {
    let line = out
        .lines()
        .find(|line| line.starts_with(&format!("{task} ")))
        .unwrap_or_else(|| panic!("no summary of {task}:\n{out}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let share = words[1].trim_end_matches('%').parse().unwrap();
    let fuel = words[2].parse().unwrap();
    (share, fuel, words.last().unwrap().to_string())
}

#[test]
fn one_line_per_host_slice_then_a_summary() {
    let out = stdout(&["demo", "budget", "--slices", "5"]);
    assert!(out.contains("slices of 100000 fuel"), "{out}");
    assert!(out.contains("10000 fuel per turn"), "{out}");
    let rows = rows(&out);
    assert_eq!(rows.len(), 5, "{out}");
    for (n, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (n + 1).to_string(), "{out}");
        // A slice ends between two turns: it may overdraw by one turn.
        let fuel: u64 = row[1].parse().unwrap();
        assert!((100_000..=110_100).contains(&fuel), "{out}");
        // Both tasks ran in every slice.
        assert!(row[2].starts_with('+') && row[2] != "+0", "{out}");
        assert!(row[5].starts_with('+') && row[5] != "+0", "{out}");
    }
    assert!(out.contains("\n5 slices, "), "{out}");
    assert_eq!(summary(&out, "untrusted").2, "running");
    assert_eq!(summary(&out, "primes").2, "running");
    assert!(
        out.lines().count() < 30,
        "the demo's output should stay short"
    );
}

/// While both tasks run each gets the same fuel per round: their shares
/// stay within half a percentage point of 50%. Once `primes` is done,
/// `untrusted` gets every turn and still never finishes.
#[test]
fn the_tasks_share_the_fuel_fairly() {
    let out = stdout(&["demo", "budget", "--slices", "6"]);
    for task in ["untrusted", "primes"] {
        let (share, _, state) = summary(&out, task);
        assert!((49.5..=50.5).contains(&share), "{task}: {share}%\n{out}");
        assert_eq!(state, "running");
    }

    let out = stdout(&["demo", "budget", "--slices", "20"]);
    assert_eq!(summary(&out, "primes").2, "finished", "{out}");
    assert_eq!(summary(&out, "untrusted").2, "running", "{out}");
    let last = rows(&out).pop().unwrap();
    assert_eq!(last[5], "done", "{out}");
    assert_eq!(last[7], "669", "the primes below 5000\n{out}");
}

#[test]
fn the_output_is_the_same_on_every_run() {
    let args = ["demo", "budget", "--slices", "15", "--slice-fuel", "33333"];
    assert_eq!(stdout(&args), stdout(&args));
}

/// What `primes` used in all is the same whatever the host's slices.
#[test]
fn a_tasks_fuel_does_not_depend_on_the_host_slices() {
    let fuel = |slice_fuel: &str, slices: &str| {
        let out = stdout(&[
            "demo",
            "budget",
            "--slice-fuel",
            slice_fuel,
            "--slices",
            slices,
        ]);
        let (_, fuel, state) = summary(&out, "primes");
        assert_eq!(state, "finished", "{out}");
        fuel
    };
    assert_eq!(fuel("100000", "12"), fuel("7919", "150"));
    assert_eq!(fuel("100000", "12"), fuel("1000000", "2"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["demo", "budget", "--slices", "0"][..],
        &["demo", "budget", "--slice-fuel", "0"],
        &["demo", "budget", "--task-fuel", "0"],
        &["demo", "budget", "--task-fuel", "9223372036854775808"],
        &["demo", "--frames", "3", "budget"],
    ] {
        assert_eq!(rewind(args).status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn the_emitted_module_is_metered_with_the_guests_handler() {
    let dir = scratch("rewind-demo", "emit-budget");
    let path = dir.join("cpu_budget.wasm");
    stdout(&["demo", "budget", "--emit-wasm", path.to_str().unwrap()]);
    let wasm = std::fs::read(&path).unwrap();
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        match payload.unwrap() {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.unwrap();
                    imports.push(format!("{}.{}", import.module, import.name));
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    exports.push(export.unwrap().name.to_string());
                }
            }
            _ => {}
        }
    }
    imports.sort();
    assert_eq!(
        imports,
        ["env.print", "env.report", "rewind.out_of_fuel"],
        "the fuel accessors are resolved, the host's handler stays"
    );
    for name in [
        "run",
        "__rewind_fuel",
        "rewind_out_of_fuel",
        "asyncify_start_unwind",
    ] {
        assert!(
            exports.iter().any(|e| e == name),
            "no export {name}: {exports:?}"
        );
    }
}
