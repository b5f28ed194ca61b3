//! The hostile-input corpus (`tests/hostile/` at the workspace root) through
//! the `rewind` binary: every file gives a one-line `error:` with a cause,
//! exit code 1, no panic and no output file. Valid but extreme modules give
//! output or such an error, never an abort.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn corpus_through_the_cli() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/hostile");
    let out_dir = std::env::temp_dir().join(format!("rewind-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).expect("temp dir");
    let mut seen = 0;
    for entry in std::fs::read_dir(&root).expect("tests/hostile exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "wasm") {
            continue;
        }
        let out = out_dir.join("out.wasm");
        let started = Instant::now();
        let run = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .arg("asyncify")
            .arg(&path)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("run rewind");
        let stderr = String::from_utf8_lossy(&run.stderr);
        let name = path.display();
        assert_eq!(run.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.starts_with("error: "), "{name}: {stderr}");
        assert!(
            stderr.contains("Caused by:") || stderr.contains("no memory"),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(!out.exists(), "{name}: an output file was written");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name}: too slow"
        );
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} corpus files");
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// A million nested blocks: the instrumented function would exceed the
/// engines' function-size limit, which the CLI reports as an error naming
/// the function (or, were it small enough, writes valid output). Never a
/// crash.
#[test]
fn a_million_nested_blocks_through_the_cli() {
    let dir = std::env::temp_dir().join(format!("rewind-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("deep.wat");
    std::fs::write(&input, rewind_tests::extreme::nested_blocks(1_000_000)).expect("write");
    let out = dir.join("out.wasm");
    let run = Command::new(env!("CARGO_BIN_EXE_rewind"))
        .arg("asyncify")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run rewind");
    let stderr = String::from_utf8_lossy(&run.stderr);
    match run.status.code() {
        Some(0) => {
            let wasm = std::fs::read(&out).expect("output written");
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                .validate_all(&wasm)
                .expect("output validates");
        }
        Some(1) => {
            assert!(stderr.starts_with("error: "), "{stderr}");
            assert!(stderr.contains("engine limit"), "{stderr}");
            assert!(!out.exists(), "an output file was written");
        }
        other => panic!("rewind exited with {other:?}: {stderr}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
