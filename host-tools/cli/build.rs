//! Builds the examples that `rewind demo` runs, ahead of time.
//!
//! 1. `cargo build --release --target wasm32-unknown-unknown -p PACKAGE`
//!    in the `examples/` workspace, once per example (they use different
//!    features of rewind-guest, which one build would merge), with a target
//!    directory of its own under `OUT_DIR` (the outer build holds the lock
//!    of the main one);
//! 2. transforms each module with rewind-transform:
//!    * `game-loop`: instrumented (`--imports rewind.yield_to_host`);
//!    * `cpu-budget`: metered and instrumented (`rewind fuel --fuel-handler
//!      rewind_out_of_fuel --imports rewind.out_of_fuel`);
//! 3. writes `game_loop.async.wasm`, `game_loop_facts.rs` and
//!    `cpu_budget.fuel.wasm` to `OUT_DIR`, which `src/demo/game_loop.rs`
//!    and `src/demo/budget.rs` include.
//!
//! Needs the `wasm32-unknown-unknown` target (`rustup target add
//! wasm32-unknown-unknown`); without it the build fails saying so.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
/// The import the game yields through: the only one that suspends.
const YIELD_IMPORT: &str = "rewind.yield_to_host";
/// rewind-guest's out-of-fuel handler, which the budget example's fuel
/// checks call.
const FUEL_HANDLER: &str = "rewind_out_of_fuel";
/// The host's out-of-fuel import, which the handler calls outside tasks:
/// the only import of the budget example that suspends.
const OUT_OF_FUEL_IMPORT: &str = "rewind.out_of_fuel";

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

    // The examples, their workspace, and what they depend on.
    for path in [
        "Cargo.toml",
        "Cargo.lock",
        "game-loop/Cargo.toml",
        "game-loop/src",
        "cpu-budget/Cargo.toml",
        "cpu-budget/src",
        "guest-support/Cargo.toml",
        "guest-support/src",
        "../guest/Cargo.toml",
        "../guest/src",
    ] {
        println!("cargo::rerun-if-changed={}", examples.join(path).display());
    }
    let builder = Builder {
        examples,
        target_dir: out_dir.join("examples-target"),
    };

    let (built, wasm) = builder.build("game-loop");
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

    let (built, wasm) = builder.build("cpu-budget");
    let fuel = rewind_transform::FuelOptions {
        handler: Some(FUEL_HANDLER.to_string()),
        ..Default::default()
    };
    let options = rewind_transform::Options {
        imports: Some(vec![OUT_OF_FUEL_IMPORT.to_string()]),
        ..Default::default()
    };
    let output = rewind_transform::meter(&wasm, &fuel, &options)
        .unwrap_or_else(|e| fail(&format!("metering {}: {e}", built.display())));
    write(&out_dir.join("cpu_budget.fuel.wasm"), &output.wasm);
}

/// Builds packages of the examples workspace for wasm32.
struct Builder {
    /// The `examples/` directory.
    examples: PathBuf,
    /// The target directory of the nested builds.
    target_dir: PathBuf,
}

impl Builder {
    /// Builds `package` (release, wasm32) on its own; returns the path and
    /// bytes of its module.
    fn build(&self, package: &str) -> (PathBuf, Vec<u8>) {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(["build", "--release", "--target", TARGET, "-p", package])
            .arg("--manifest-path")
            .arg(self.examples.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target_dir);
        for var in SCRUBBED_ENV {
            command.env_remove(var);
        }
        let status = command
            .status()
            .unwrap_or_else(|e| fail(&format!("could not start cargo: {e}")));
        if !status.success() {
            fail(&format!(
                "building examples/{package} for {TARGET} failed ({status}).\n\
                 If the target is missing, install it: rustup target add {TARGET}"
            ));
        }
        let built = self
            .target_dir
            .join(TARGET)
            .join("release")
            .join(format!("{}.wasm", package.replace('-', "_")));
        let wasm = std::fs::read(&built)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", built.display())));
        (built, wasm)
    }
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
