//! Builds the game-loop example for `rewind demo` ahead of time.
//!
//! 1. `cargo build --release --target wasm32-unknown-unknown -p game-loop`
//!    in the `examples/` workspace, with a target directory of its own
//!    under `OUT_DIR` (the outer build holds the lock of the main one);
//! 2. instruments the module with rewind-transform
//!    (`--imports rewind.yield_to_host`);
//! 3. writes `game_loop.async.wasm` and `game_loop_facts.rs` to `OUT_DIR`,
//!    which `src/demo_cmd.rs` includes.
//!
//! Needs the `wasm32-unknown-unknown` target (`rustup target add
//! wasm32-unknown-unknown`); without it the build fails saying so.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const PACKAGE: &str = "game-loop";
/// The import the game yields through: the only one that suspends.
const YIELD_IMPORT: &str = "rewind.yield_to_host";

/// Variables the outer cargo sets for build scripts (or a user sets for the
/// host build) that must not leak into the nested wasm32 build.
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
    "__CARGO_FIX_PLZ",
];

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));
    let examples = manifest_dir.join("../../examples");
    let examples = examples.canonicalize().unwrap_or(examples);

    // The game, its workspace, and rewind-guest (which it depends on).
    for path in [
        "Cargo.toml",
        "Cargo.lock",
        "game-loop/Cargo.toml",
        "game-loop/src",
        "../guest/Cargo.toml",
        "../guest/src",
    ] {
        println!("cargo::rerun-if-changed={}", examples.join(path).display());
    }

    let target_dir = out_dir.join("examples-target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--target", TARGET, "-p", PACKAGE])
        .arg("--manifest-path")
        .arg(examples.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for var in SCRUBBED_ENV {
        command.env_remove(var);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| fail(&format!("could not start cargo: {e}")));
    if !status.success() {
        fail(&format!(
            "building examples/{PACKAGE} for {TARGET} failed ({status}).\n\
             If the target is missing, install it: rustup target add {TARGET}"
        ));
    }

    let built = target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", PACKAGE.replace('-', "_")));
    let wasm = std::fs::read(&built)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", built.display())));
    let options = rewind_transform::Options {
        imports: Some(vec![YIELD_IMPORT.to_string()]),
        ..Default::default()
    };
    let output = rewind_transform::asyncify(&wasm, &options)
        .unwrap_or_else(|e| fail(&format!("instrumenting {}: {e}", built.display())));
    write(&out_dir.join("game_loop.async.wasm"), &output.wasm);

    let report = &output.report;
    let facts = format!(
        "/// Size of the game-loop module before instrumentation, in bytes.\n\
         pub const BYTES_BEFORE: usize = {};\n\
         /// Size after instrumentation, in bytes.\n\
         pub const BYTES_AFTER: usize = {};\n\
         /// Functions defined in the module.\n\
         pub const FUNCTIONS_TOTAL: usize = {};\n\
         /// Functions the transform instrumented.\n\
         pub const FUNCTIONS_INSTRUMENTED: usize = {};\n",
        wasm.len(),
        output.wasm.len(),
        report.functions_total,
        report.functions_instrumented,
    );
    write(&out_dir.join("game_loop_facts.rs"), facts.as_bytes());
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("{name} is not set")))
}

fn write(path: &Path, bytes: &[u8]) {
    // Rewrite only on change, so that `include_bytes!` users do not rebuild
    // for nothing.
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes)
            .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}
