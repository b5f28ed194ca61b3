//! Builds the examples that `rewind demo` runs, ahead of time.
//!
//! 1. `cargo build --release --target wasm32-unknown-unknown -p PACKAGE`
//!    in the `examples/` workspace, once per example (they use different
//!    features of rewind-guest, which one build would merge), with a target
//!    directory of its own under `OUT_DIR` (the outer build holds the lock
//!    of the main one);
//! 2. transforms each module with rewind-transform:
//!    * `game-loop`: instrumented (`--imports rewind.yield_to_host`); the
//!      module as built is kept too, for JSPI in the browser (`rewind demo
//!      --web`), which needs no instrumentation;
//!    * `cpu-budget`: metered and instrumented (`rewind fuel --fuel-handler
//!      rewind_out_of_fuel --imports rewind.out_of_fuel`);
//! 3. writes `game_loop.async.wasm`, `game_loop.wasm` and
//!    `cpu_budget.fuel.wasm` to `OUT_DIR`, and `demos.rs`, the expression
//!    `src/demo/built.rs` includes: `Some(Demos { .. })` with the modules
//!    and the game loop's sizes and counts.
//!
//! Without the `wasm32-unknown-unknown` target (the directory rustc names
//! for its standard library does not exist) nothing is built: `demos.rs` is
//! `None`, cargo prints a warning, and `rewind demo` says how to install the
//! target; `rewind` itself builds as usual (`cargo install` needs no wasm32
//! target). Once the target is installed, the next build builds the demos.
//! Any other failure of the nested build fails the build.

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
        "game-loop/build.rs",
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
    let demos = match missing_target_libdir() {
        Some(libdir) => {
            // Installing the target adds `<target>/lib` to `lib/rustlib`,
            // which changes that directory: then this script runs again.
            // (A missing path would rerun it, and rebuild `rewind`, on every
            // build: only the fallback when there is no `lib/rustlib`.)
            let rustlib = libdir.parent().and_then(Path::parent);
            let watched = rustlib.filter(|dir| dir.is_dir()).unwrap_or(&libdir);
            println!("cargo::rerun-if-changed={}", watched.display());
            println!(
                "cargo::warning=`rewind demo` is left out: the {TARGET} target is not installed \
                 (rustup target add {TARGET}, then build again)"
            );
            "None".to_string()
        }
        None => {
            let builder = Builder {
                examples,
                target_dir: out_dir.join("examples-target"),
            };
            build_demos(&builder, &out_dir)
        }
    };
    write(&out_dir.join("demos.rs"), demos.as_bytes());
}

/// When rustc names the directory of TARGET's standard library and it does
/// not exist, that directory: the target is not installed. `None` when it
/// is installed, or when rustc cannot say (the nested build then reports
/// what is wrong).
fn missing_target_libdir() -> Option<PathBuf> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|output| output.status.success())?;
    let libdir = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (!libdir.is_dir()).then_some(libdir)
}

/// Builds and transforms both examples into `out_dir`; returns the text of
/// `demos.rs`.
fn build_demos(builder: &Builder, out_dir: &Path) -> String {
    let (built, wasm) = builder.build("game-loop");
    let options = rewind_transform::Options {
        imports: Some(vec![YIELD_IMPORT.to_string()]),
        ..Default::default()
    };
    let game = rewind_transform::asyncify(&wasm, &options)
        .unwrap_or_else(|e| fail(&format!("instrumenting {}: {e}", built.display())));
    write(&out_dir.join("game_loop.async.wasm"), &game.wasm);
    write(&out_dir.join("game_loop.wasm"), &wasm);
    let bytes_before = wasm.len();

    let (built, wasm) = builder.build("cpu-budget");
    let fuel = rewind_transform::FuelOptions {
        handler: Some(FUEL_HANDLER.to_string()),
        ..Default::default()
    };
    let options = rewind_transform::Options {
        imports: Some(vec![OUT_OF_FUEL_IMPORT.to_string()]),
        ..Default::default()
    };
    let budget = rewind_transform::meter(&wasm, &fuel, &options)
        .unwrap_or_else(|e| fail(&format!("metering {}: {e}", built.display())));
    write(&out_dir.join("cpu_budget.fuel.wasm"), &budget.wasm);

    format!(
        r#"Some(Demos {{
    game_loop: GameLoop {{
        wasm: include_bytes!(concat!(env!("OUT_DIR"), "/game_loop.async.wasm")),
        plain: include_bytes!(concat!(env!("OUT_DIR"), "/game_loop.wasm")),
        facts: GameLoopFacts {{
            bytes_before: {bytes_before},
            bytes_after: {bytes_after},
            functions_total: {functions_total},
            functions_instrumented: {functions_instrumented},
        }},
    }},
    cpu_budget: include_bytes!(concat!(env!("OUT_DIR"), "/cpu_budget.fuel.wasm")),
}})
"#,
        bytes_after = game.wasm.len(),
        functions_total = game.report.functions_total,
        functions_instrumented = game.report.functions_instrumented,
    )
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
