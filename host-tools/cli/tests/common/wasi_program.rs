//! The WASI programs of `tests/fixtures/` (`wasi_program.rs`,
//! `wasi_compress.rs`), compiled from Rust for `wasm32-wasip1` once per test
//! binary (cached under `target/tmp/`), and the input file they read.
//!
//! Needs `rustup target add wasm32-wasip1`. Without the target the tests
//! that use it are skipped with a note, except under CI (`CI` set), where
//! they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TARGET: &str = "wasm32-wasip1";
/// `/data/input.txt` of the program.
pub const INPUT: &str = "The quick brown fox jumps over the lazy dog.\n\
    The dog sleeps; the fox runs. A fox, a dog, and the end of the story:\n\
    the fox was quick and the dog was lazy.\n";

/// `wasi_program.rs` compiled, uninstrumented; `None` (after a note) if
/// the target is missing outside CI.
pub fn plain() -> Option<&'static PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| build("wasi-program", include_str!("../fixtures/wasi_program.rs")))
        .as_ref()
}

/// `wasi_compress.rs` compiled, uninstrumented; `None` as for [`plain`].
pub fn compressor() -> Option<&'static PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            build(
                "wasi-compress",
                include_str!("../fixtures/wasi_compress.rs"),
            )
        })
        .as_ref()
}

/// A fresh data directory `target/tmp/wasi-data/TEST` holding `input.txt`.
pub fn data_dir(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("wasi-data")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("input.txt"), INPUT).unwrap();
    dir
}

fn build(name: &str, source: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    write_if_changed(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\
         [workspace]\n[profile.release]\nopt-level = 1\ndebug = false\n"
        ),
    );
    write_if_changed(&src.join("main.rs"), source);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--quiet", "--target", TARGET])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(dir.join("target"));
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        command.env_remove(var);
    }
    let out = command.output().expect("failed to start cargo");
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let missing =
            stderr.contains("may not be installed") || stderr.contains("can't find crate");
        if missing && std::env::var_os("CI").is_none() {
            eprintln!(
                "note: skipping the WASI program test: the {TARGET} target is not installed \
                 (rustup target add {TARGET})"
            );
            return None;
        }
        panic!("building the WASI program for {TARGET} failed:\n{stderr}");
    }
    let wasm = dir
        .join("target")
        .join(TARGET)
        .join(format!("release/{name}.wasm"));
    Some(wasm)
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}
