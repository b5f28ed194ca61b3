//! The hostile-input corpus (`tests/hostile/` at the workspace root) through
//! the `rewind` binary: every file gives a one-line `error:` with a cause,
//! exit code 1, no panic and no output file.

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
