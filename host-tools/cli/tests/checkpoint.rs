//! `rewind run --checkpoint` and `rewind resume` on a real WASI program
//! (`tests/fixtures/wasi_compress.rs`; it keeps a file under its preopened
//! directory open for writing the whole time, and exits with status 4):
//! stopped after every k slices of fuel and resumed each time in a new
//! process, or resumed from a checkpoint taken at a suspension, it prints
//! exactly what an uninterrupted run prints, writes the same file, exits
//! with the same status and ends with the same counts (`slices:`, `fuel:`,
//! `suspensions:`). Every expectation comes from an uninterrupted run.
//! Checkpoints that do not fit are refused with an `error:` line.

mod common;

use common::wasi_program::{self, data_dir};
use common::{assert_error, assert_success, rewind, scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Fuel per slice: the program takes about 20 slices.
const SLICE: &str = "1000000";
/// Compress the input 4 times; the exit status is 4.
const ROUNDS: &str = "4";
const EVERY_WASI_CALL: [&str; 2] = ["--suspend-at", "wasi_snapshot_preview1.*"];

/// The program transformed by `rewind COMMAND ... OPTIONS` into `dir`, or
/// `None` if the target is missing outside CI.
fn transformed(dir: &Path, command: &str, options: &[&str]) -> Option<PathBuf> {
    let plain = wasi_program::compressor()?;
    let out = dir.join(format!("program.{command}.wasm"));
    let args = [
        &[
            command,
            plain.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ][..],
        options,
    ]
    .concat();
    assert_success(&rewind(&args));
    Some(out)
}

/// A data directory with 3 KiB of text to compress.
fn text_dir(test: &str) -> PathBuf {
    let dir = data_dir(test);
    let words = [
        "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "and", "runs",
    ];
    let mut state: u32 = 7;
    let text: Vec<&str> = (0..600)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            words[(state >> 16) as usize % words.len()]
        })
        .collect();
    std::fs::write(dir.join("input.txt"), text.join(" ")).unwrap();
    dir
}

fn dir_arg(data: &Path) -> String {
    format!("{}::/data", data.display())
}

/// `rewind run` of the program with `options` before the module and
/// `args` after it.
fn run_with(module: &Path, data: &Path, options: &[&str], args: &[&str]) -> Output {
    let dir = dir_arg(data);
    let mut all = vec!["run", "--dir", &dir, "--env", "GREETING=resumed"];
    all.extend_from_slice(options);
    all.push(module.to_str().unwrap());
    all.extend_from_slice(args);
    rewind(&all)
}

/// `rewind run` of the program, `ROUNDS` rounds.
fn run(module: &Path, data: &Path, options: &[&str]) -> Output {
    run_with(module, data, options, &[ROUNDS])
}

/// `rewind resume` of `checkpoint` with `options`.
fn resume(checkpoint: &Path, module: &Path, data: &Path, options: &[&str]) -> Output {
    let dir = dir_arg(data);
    let mut args = vec!["resume", "--dir", &dir];
    args.extend_from_slice(options);
    args.push(checkpoint.to_str().unwrap());
    args.push(module.to_str().unwrap());
    rewind(&args)
}

/// The file the program wrote.
fn packed(data: &Path) -> Vec<u8> {
    std::fs::read(data.join("packed.bin")).unwrap()
}

/// The value of the `NAME: N` line on stderr.
fn count(out: &Output, name: &str) -> u64 {
    let err = stderr(out);
    err.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no `{name}:` on stderr:\n{err}"))
        .parse()
        .unwrap()
}

/// An uninterrupted run that ended with the program's exit status; the
/// file it wrote, kept apart in a directory of its own.
fn uninterrupted(module: &Path, test: &str, options: &[&str]) -> (Output, Vec<u8>) {
    let data = text_dir(&format!("{test}-reference"));
    let out = run(module, &data, options);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("all rounds unpack"), "{stdout}");
    (out, packed(&data))
}

/// The program trapped: exit code 1, the trap named after the counts.
fn assert_trapped(out: &Output) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("\nerror: failed to run `_start`"), "{err}");
    assert!(
        err.contains("wasm `unreachable` instruction executed"),
        "{err}"
    );
}

/// Stops the run after every `k` slices and resumes it in a new process
/// each time, until it ends; returns the output of all processes and the
/// last one, and how many processes ran.
fn stop_and_resume(
    module: &Path,
    data: &Path,
    options: &[&str],
    checkpoint: &Path,
    k: &str,
) -> (Vec<u8>, Output, usize) {
    let ckpt = checkpoint.to_str().unwrap();
    let stops = ["--max-slices", k, "--checkpoint", ckpt];
    let first = run(
        module,
        data,
        &[options, &["--fuel-slice", SLICE], &stops].concat(),
    );
    let err = assert_success(&first);
    assert!(err.contains(&format!("checkpoint: {ckpt}")), "{err}");
    let mut output = first.stdout;
    let mut processes = 1;
    loop {
        let next = resume(checkpoint, module, data, &stops);
        output.extend_from_slice(&next.stdout);
        processes += 1;
        if !checkpoint.exists() {
            return (output, next, processes);
        }
        assert_success(&next);
    }
}

#[test]
fn stopped_every_k_slices_and_resumed_in_new_processes_runs_as_if_never_stopped() {
    let dir = scratch("checkpoint", "every-k");
    let Some(module) = transformed(&dir, "fuel", &[]) else {
        return;
    };
    let (reference, file) = uninterrupted(&module, "every-k", &["--fuel-slice", SLICE]);
    let (slices, fuel) = (count(&reference, "slices"), count(&reference, "fuel"));
    assert!(slices > 9, "only {slices} slices");

    let data = text_dir("checkpoint-every-k");
    let checkpoint = dir.join("program.ckpt");
    for k in ["1", "4", "9"] {
        let (output, last, processes) = stop_and_resume(&module, &data, &[], &checkpoint, k);
        let k_slices: u64 = k.parse().unwrap();
        assert_eq!(processes as u64, slices.div_ceil(k_slices), "k = {k}");
        assert_eq!(
            String::from_utf8_lossy(&output),
            String::from_utf8_lossy(&reference.stdout),
            "k = {k}"
        );
        assert_eq!(last.status.code(), reference.status.code(), "k = {k}");
        assert_eq!(count(&last, "slices"), slices, "k = {k}");
        assert_eq!(count(&last, "fuel"), fuel, "k = {k}");
        assert_eq!(packed(&data), file, "k = {k}");
    }
}

#[test]
fn checkpoints_every_s_slices_leave_the_run_unchanged_and_resume_from_the_last() {
    let dir = scratch("checkpoint", "every-s");
    let Some(module) = transformed(&dir, "fuel", &[]) else {
        return;
    };
    let (reference, file) = uninterrupted(&module, "every-s", &["--fuel-slice", SLICE]);
    let data = text_dir("checkpoint-every-s");
    let checkpoint = dir.join("program.ckpt");
    let ckpt = checkpoint.to_str().unwrap();
    let every = run(
        &module,
        &data,
        &[
            "--fuel-slice",
            SLICE,
            "--checkpoint",
            ckpt,
            "--checkpoint-every",
            "2",
        ],
    );
    assert_eq!(every.status.code(), reference.status.code());
    assert_eq!(every.stdout, reference.stdout);
    assert_eq!(count(&every, "fuel"), count(&reference, "fuel"));
    assert!(!checkpoint.exists(), "a finished run leaves no checkpoint");
    assert!(!dir.join("program.ckpt.tmp").exists());

    // Stopped after 7 slices with a checkpoint after every 3rd: the file
    // holds the stop (slice 7). Resuming twice from copies of it gives the
    // same end both times, and leaves the copy (it was not --checkpoint).
    let first = run(
        &module,
        &data,
        &[
            "--fuel-slice",
            SLICE,
            "--max-slices",
            "7",
            "--checkpoint",
            ckpt,
            "--checkpoint-every",
            "3",
        ],
    );
    assert_success(&first);
    assert_eq!(count(&first, "slices"), 7);
    let copy = dir.join("copy.ckpt");
    for _ in 0..2 {
        std::fs::copy(&checkpoint, &copy).unwrap();
        let rest = resume(&copy, &module, &data, &[]);
        assert_eq!(rest.status.code(), reference.status.code());
        let mut output = first.stdout.clone();
        output.extend_from_slice(&rest.stdout);
        assert_eq!(output, reference.stdout);
        assert_eq!(count(&rest, "slices"), count(&reference, "slices"));
        assert_eq!(count(&rest, "fuel"), count(&reference, "fuel"));
        assert_eq!(packed(&data), file);
        assert!(copy.exists());
    }
}

/// Without fuel, `--checkpoint-every S` counts suspensions. A run that
/// traps at its very end keeps its last checkpoint, taken at a WASI call
/// halfway; resumed from it, the program prints the rest of what it
/// printed, writes the same file and ends with the same count of
/// suspensions.
#[test]
fn checkpoints_at_suspensions_resume_where_they_were_taken() {
    let dir = scratch("checkpoint", "suspend-at");
    let Some(module) = transformed(&dir, "asyncify", &["--imports", "wasi_snapshot_preview1.*"])
    else {
        return;
    };
    let (reference, file) = uninterrupted(&module, "suspend-at", &EVERY_WASI_CALL);
    let suspensions = count(&reference, "suspensions");
    assert!(suspensions > 20, "only {suspensions} suspensions");
    let data = text_dir("checkpoint-suspend-at");
    let checkpoint = dir.join("program.ckpt");
    let ckpt = checkpoint.to_str().unwrap();

    let every_5 = [
        &EVERY_WASI_CALL[..],
        &["--checkpoint", ckpt, "--checkpoint-every", "5"],
    ]
    .concat();
    let unchanged = run(&module, &data, &every_5);
    assert_eq!(unchanged.status.code(), reference.status.code());
    assert_eq!(unchanged.stdout, reference.stdout);
    assert_eq!(count(&unchanged, "suspensions"), suspensions);
    assert!(!checkpoint.exists(), "a finished run leaves no checkpoint");

    // One checkpoint, at the suspension after the middle one.
    let halfway = (suspensions / 2 + 1).to_string();
    let once = [
        &EVERY_WASI_CALL[..],
        &["--checkpoint", ckpt, "--checkpoint-every", &halfway],
    ]
    .concat();
    let trapped = run_with(&module, &data, &once, &[ROUNDS, "trap"]);
    assert_trapped(&trapped);
    assert_eq!(trapped.stdout, reference.stdout);
    assert!(
        checkpoint.exists(),
        "a failed run keeps its last checkpoint"
    );
    let rest = resume(&checkpoint, &module, &data, &[]);
    assert_trapped(&rest);
    assert_eq!(count(&rest, "suspensions"), suspensions);
    assert!(
        !rest.stdout.is_empty()
            && rest.stdout.len() < reference.stdout.len()
            && reference.stdout.ends_with(&rest.stdout),
        "resumed:\n{}",
        String::from_utf8_lossy(&rest.stdout)
    );
    assert_eq!(packed(&data), file);
}

/// Slices of fuel and suspensions at every WASI call together, on a module
/// metered with the WASI imports suspending too: stopped and resumed, it
/// runs as the uninterrupted run does, whose fuel is that of the run
/// without suspensions.
#[test]
fn slices_with_suspensions_stop_and_resume_alike() {
    let dir = scratch("checkpoint", "both");
    let Some(module) = transformed(&dir, "fuel", &["--imports", "wasi_snapshot_preview1.*"]) else {
        return;
    };
    let both = [&EVERY_WASI_CALL[..], &["--fuel-slice", SLICE]].concat();
    let (reference, file) = uninterrupted(&module, "both", &both);
    let (fuel_only, _) = uninterrupted(&module, "both-fuel-only", &["--fuel-slice", SLICE]);
    assert_eq!(reference.stdout, fuel_only.stdout);
    assert_eq!(count(&reference, "fuel"), count(&fuel_only, "fuel"));

    let data = text_dir("checkpoint-both");
    let checkpoint = dir.join("program.ckpt");
    let (output, last, _) = stop_and_resume(&module, &data, &EVERY_WASI_CALL, &checkpoint, "3");
    assert_eq!(output, reference.stdout);
    assert_eq!(last.status.code(), reference.status.code());
    for name in ["suspensions", "slices", "fuel"] {
        assert_eq!(count(&last, name), count(&reference, name), "{name}");
    }
    assert_eq!(packed(&data), file);
}

#[test]
fn checkpoints_that_do_not_fit_are_refused() {
    let dir = scratch("checkpoint", "refused");
    let Some(module) = transformed(&dir, "fuel", &[]) else {
        return;
    };
    let data = text_dir("checkpoint-refused");
    let checkpoint = dir.join("program.ckpt");
    let ckpt = checkpoint.to_str().unwrap();
    let stop = [
        "--fuel-slice",
        SLICE,
        "--max-slices",
        "3",
        "--checkpoint",
        ckpt,
    ];
    assert_success(&run(&module, &data, &stop));
    let bytes = std::fs::read(&checkpoint).unwrap();
    let bad = dir.join("bad.ckpt");
    let refused = |bytes: &[u8], expected: &str| {
        std::fs::write(&bad, bytes).unwrap();
        let err = assert_error(&resume(&bad, &module, &data, &[]));
        assert!(err.contains("failed to load checkpoint"), "{err}");
        assert!(err.contains(expected), "expected `{expected}`:\n{err}");
    };
    refused(&bytes[..bytes.len() / 2], "snapshot truncated");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 3] ^= 0x10;
    refused(&flipped, "snapshot corrupted: checksum");
    refused(b"not a checkpoint at all", "not a rewind snapshot");
    // The checkpoint itself was not touched: it still resumes.
    let ok = resume(&checkpoint, &module, &data, &[]);
    assert_eq!(ok.status.code(), Some(4), "{}", stderr(&ok));

    // Another module, metered too.
    assert_success(&run(&module, &data, &stop));
    let wat = dir.join("other.wat");
    std::fs::write(
        &wat,
        r#"(module (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap();
    let other = dir.join("other.wasm");
    let (wat, out) = (wat.to_str().unwrap(), other.to_str().unwrap());
    assert_success(&rewind(&["fuel", wat, "-o", out]));
    let err = assert_error(&resume(&checkpoint, &other, &data, &[]));
    assert!(err.contains("taken of another module"), "{err}");

    // Other preopens: none, another guest path, one too many.
    let module_arg = module.to_str().unwrap();
    let err = assert_error(&rewind(&["resume", ckpt, module_arg]));
    assert!(
        err.contains(
            "preopened directories are [/data] (as the program sees them), --dir gives []"
        ),
        "{err}"
    );
    let elsewhere = format!("{}::/elsewhere", data.display());
    let err = assert_error(&rewind(&["resume", "--dir", &elsewhere, ckpt, module_arg]));
    assert!(err.contains("--dir gives [/elsewhere]"), "{err}");
    let two = dir_arg(&data);
    let err = assert_error(&rewind(&[
        "resume", "--dir", &two, "--dir", &elsewhere, ckpt, module_arg,
    ]));
    assert!(err.contains("--dir gives [/data, /elsewhere]"), "{err}");
    // Still there after every refusal.
    assert!(checkpoint.exists());

    // Nothing to checkpoint without a suspension.
    let err = assert_error(&run(&module, &data, &["--checkpoint", ckpt]));
    assert!(
        err.contains("--checkpoint needs a call that suspends"),
        "{err}"
    );
}
