//! Loading test programs and calling the transform: text to binary, the
//! transform itself, and independent validation of its output.

use std::path::{Path, PathBuf};

use rewind_transform::{Options, Output};

/// The directory of the `rewind-tests` package.
pub fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads a `.wat` (or `.wasm`) file and returns the binary module, with a
/// name section (the function lists refer to names).
pub fn load(path: &Path) -> Vec<u8> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    wat::parse_bytes(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_owned()
}

/// Parses an inline text module.
pub fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("bad test module: {e}"))
}

/// Runs the transform. The error is rendered with its whole cause chain.
pub fn instrument(wasm: &[u8], options: &Options) -> Result<Output, String> {
    rewind_transform::asyncify(wasm, options).map_err(|e| error_chain(&e))
}

/// Meters (default costs) and instruments, as `rewind fuel` does.
pub fn meter(wasm: &[u8], options: &Options) -> Result<Output, String> {
    rewind_transform::meter(wasm, &Default::default(), options).map_err(|e| error_chain(&e))
}

/// `Display` of an error followed by its causes, one per line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    s
}

/// Validates a module with wasmparser, with every feature the tests use.
pub fn validate(wasm: &[u8]) -> Result<(), String> {
    let features = wasmparser::WasmFeatures::all();
    wasmparser::Validator::new_with_features(features)
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Prints a binary module as text.
pub fn print(wasm: &[u8]) -> String {
    wasmprinter::print_bytes(wasm).unwrap_or_else(|e| panic!("wasmprinter: {e}"))
}
