//! `rewind run --checkpoint` and `rewind resume` on a real WASI program
//! (`tests/fixtures/wasi_compress.rs`, metered with `rewind fuel`; it keeps
//! a file open for writing the whole time): stopped after every k slices
//! and resumed each time in a new process, it prints exactly what an
//! uninterrupted run prints, writes the same file, and ends with the same
//! slices and fuel. Hostile checkpoints are refused with an `error:` line.

mod common;

use common::wasi_program::{self, data_dir};
use common::{assert_error, assert_success, rewind, scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Fuel per slice: the program takes about 20 slices.
const SLICE: &str = "1000000";
/// The program's arguments: compress the input 4 times.
const ARGS: [&str; 1] = ["4"];

/// The program metered, or `None` if the target is missing outside CI.
fn metered(dir: &Path) -> Option<PathBuf> {
    let plain = wasi_program::compressor()?;
    let out = dir.join("program.fuel.wasm");
    let done = rewind(&["fuel", plain.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_success(&done);
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

/// `rewind run` of the program with `options` before the module.
fn run(module: &Path, data: &Path, options: &[&str]) -> Output {
    let dir = dir_arg(data);
    let mut args = vec!["run", "--dir", &dir, "--env", "GREETING=resumed"];
    args.extend_from_slice(options);
    args.push(module.to_str().unwrap());
    args.extend_from_slice(&ARGS);
    rewind(&args)
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

#[test]
fn stopped_every_k_slices_and_resumed_in_new_processes_prints_the_same() {
    let dir = scratch("checkpoint", "every-k");
    let Some(module) = metered(&dir) else {
        return;
    };
    let data = text_dir("checkpoint-every-k");
    let reference = run(&module, &data, &["--fuel-slice", SLICE]);
    assert_success(&reference);
    let data_ref = text_dir("checkpoint-every-k-reference");
    std::fs::copy(data.join("packed.bin"), data_ref.join("packed.bin")).unwrap();
    let stdout = String::from_utf8(reference.stdout.clone()).unwrap();
    assert!(stdout.contains("all rounds unpack"), "{stdout}");
    let (slices, fuel) = (count(&reference, "slices"), count(&reference, "fuel"));
    assert!(slices > 10, "only {slices} slices");

    let checkpoint = dir.join("program.ckpt");
    for k in ["1", "4", "9"] {
        let first = run(
            &module,
            &data,
            &[
                "--fuel-slice",
                SLICE,
                "--max-slices",
                k,
                "--checkpoint",
                checkpoint.to_str().unwrap(),
            ],
        );
        assert!(
            stderr(&first).contains("checkpoint: "),
            "{}",
            stderr(&first)
        );
        let mut output = first.stdout;
        let mut processes = 1;
        let last = loop {
            let next = resume(
                &checkpoint,
                &module,
                &data,
                &[
                    "--max-slices",
                    k,
                    "--checkpoint",
                    checkpoint.to_str().unwrap(),
                ],
            );
            assert_success(&next);
            output.extend_from_slice(&next.stdout);
            processes += 1;
            if !checkpoint.exists() {
                break next;
            }
        };
        assert!(processes >= 2, "k = {k}: {processes} processes");
        assert_eq!(String::from_utf8_lossy(&output), stdout, "k = {k}");
        assert_eq!(count(&last, "slices"), slices, "k = {k}");
        assert_eq!(count(&last, "fuel"), fuel, "k = {k}");
        assert_eq!(packed(&data), packed(&data_ref), "k = {k}");
    }
}

#[test]
fn checkpoints_every_s_slices_leave_the_run_unchanged_and_resume_from_the_last() {
    let dir = scratch("checkpoint", "every-s");
    let Some(module) = metered(&dir) else {
        return;
    };
    let data = text_dir("checkpoint-every-s");
    let reference = run(&module, &data, &["--fuel-slice", SLICE]);
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
    assert_success(&every);
    assert_eq!(every.stdout, reference.stdout);
    assert!(!checkpoint.exists(), "a finished run leaves no checkpoint");

    // Stopped after 7 slices with a checkpoint after every 3rd: the file
    // holds the stop (slice 7). Resuming twice from copies of it gives the
    // same end both times.
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
    let copy = dir.join("copy.ckpt");
    for _ in 0..2 {
        std::fs::copy(&checkpoint, &copy).unwrap();
        let rest = resume(&copy, &module, &data, &[]);
        assert_success(&rest);
        let mut output = first.stdout.clone();
        output.extend_from_slice(&rest.stdout);
        assert_eq!(output, reference.stdout);
        assert_eq!(count(&rest, "fuel"), count(&reference, "fuel"));
    }
}

#[test]
fn checkpoints_at_suspend_at_suspensions_change_nothing() {
    let dir = scratch("checkpoint", "suspend-at");
    let Some(plain) = wasi_program::compressor() else {
        return;
    };
    let module = dir.join("program.async.wasm");
    let (input, output) = (plain.to_str().unwrap(), module.to_str().unwrap());
    let imports = ["--imports", "wasi_snapshot_preview1.*"];
    assert_success(&rewind(
        &[&["asyncify", input, "-o", output][..], &imports].concat(),
    ));
    let data = text_dir("checkpoint-suspend-at");
    let ckpt = dir.join("program.ckpt");
    let ckpt = ckpt.to_str().unwrap();
    let suspend = ["--suspend-at", "wasi_snapshot_preview1.*"];
    let reference = run(&module, &data, &suspend);
    assert_success(&reference);
    // Without fuel, a checkpoint every 5 suspensions changes nothing.
    let every = run(
        &module,
        &data,
        &[
            &suspend[..],
            &["--checkpoint", ckpt, "--checkpoint-every", "5"],
        ]
        .concat(),
    );
    assert_success(&every);
    assert_eq!(every.stdout, reference.stdout);
    assert_eq!(
        count(&every, "suspensions"),
        count(&reference, "suspensions")
    );
    assert!(
        !Path::new(ckpt).exists(),
        "a finished run leaves no checkpoint"
    );
}

#[test]
fn hostile_checkpoints_are_refused() {
    let dir = scratch("checkpoint", "hostile");
    let Some(module) = metered(&dir) else {
        return;
    };
    let data = text_dir("checkpoint-hostile");
    let checkpoint = dir.join("program.ckpt");
    let ckpt = checkpoint.to_str().unwrap();
    assert_success(&run(
        &module,
        &data,
        &[
            "--fuel-slice",
            SLICE,
            "--max-slices",
            "3",
            "--checkpoint",
            ckpt,
        ],
    ));
    let bytes = std::fs::read(&checkpoint).unwrap();
    let hostile = dir.join("hostile.ckpt");
    let refused = |bytes: &[u8], expected: &str| {
        std::fs::write(&hostile, bytes).unwrap();
        let err = assert_error(&resume(&hostile, &module, &data, &[]));
        assert!(err.contains(expected), "expected `{expected}`:\n{err}");
    };
    refused(&bytes[..bytes.len() / 2], "truncated");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 3] ^= 0x10;
    refused(&flipped, "checksum");
    refused(b"not a checkpoint at all", "not a rewind snapshot");

    // Another module, metered too.
    let wat = dir.join("other.wat");
    std::fs::write(
        &wat,
        r#"(module (memory (export "memory") 1) (func (export "_start")))"#,
    )
    .unwrap();
    let other = dir.join("other.wasm");
    assert_success(&rewind(&[
        "fuel",
        wat.to_str().unwrap(),
        "-o",
        other.to_str().unwrap(),
    ]));
    let err = assert_error(&resume(&checkpoint, &other, &data, &[]));
    assert!(err.contains("another module"), "{err}");

    // Other preopens.
    let err = assert_error(&rewind(&[
        "resume",
        checkpoint.to_str().unwrap(),
        module.to_str().unwrap(),
    ]));
    assert!(err.contains("preopened directories are [/data]"), "{err}");

    // Nothing to checkpoint without a suspension.
    let err = assert_error(&run(&module, &data, &["--checkpoint", ckpt]));
    assert!(err.contains("--checkpoint needs"), "{err}");
}
