//! Golden files: `goldens/NAME.wat` is instrumented (or metered, with
//! `--fuel`) with the options of its first line (see
//! [`crate::options_header`]), printed with wasmprinter and
//! compared with `goldens/NAME.expected.wat`. `BLESS=1` rewrites the
//! expected file; a missing expected file is a failure that says to bless.
//! Outputs validate, and instantiate (on the engine that runs them: wasmi,
//! wasmtime or node) whenever the input does.

use std::path::PathBuf;

use crate::driver::check_instantiates;
use crate::instrument::{instrument, load, meter, package_dir, print, validate};
use crate::options_header::{metered, options_of};

/// The goldens directory.
pub fn goldens_dir() -> PathBuf {
    package_dir().join("goldens")
}

/// Whether `BLESS=1` is set.
pub fn blessing() -> bool {
    std::env::var("BLESS").is_ok_and(|v| v == "1")
}

/// Checks (or blesses) one golden. `Err` describes the failure.
pub fn check(name: &str) -> Result<(), String> {
    let dir = goldens_dir();
    let input = dir.join(format!("{name}.wat"));
    let expected_path = dir.join(format!("{name}.expected.wat"));
    let text = std::fs::read_to_string(&input)
        .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let options = options_of(&text).map_err(|e| format!("{name}: options line: {e}"))?;
    let wasm = load(&input);
    let out = if metered(&text) {
        meter(&wasm, &options)
    } else {
        instrument(&wasm, &options)
    }
    .map_err(|e| format!("{name}: the transform failed:\n{e}"))?;
    validate(&out.wasm).map_err(|e| format!("{name}: the output does not validate: {e}"))?;
    // Inputs importing `asyncify.*` cannot run; where the input
    // instantiates, the output must.
    if check_instantiates(&wasm).is_ok() {
        check_instantiates(&out.wasm)
            .map_err(|e| format!("{name}: the output does not instantiate: {e:#}"))?;
    }
    let printed = print(&out.wasm);
    if blessing() {
        std::fs::write(&expected_path, &printed)
            .map_err(|e| format!("cannot write {}: {e}", expected_path.display()))?;
        return Ok(());
    }
    let expected = match std::fs::read_to_string(&expected_path) {
        Ok(t) => t,
        Err(_) => {
            return Err(format!(
                "{name}: no {} yet; run `BLESS=1 cargo test -p rewind-tests --test golden` \
                 and review the output",
                expected_path.display()
            ));
        }
    };
    if expected != printed {
        return Err(format!(
            "{name}: output differs from {} (BLESS=1 to accept)\n{}",
            expected_path.display(),
            line_diff(&expected, &printed)
        ));
    }
    Ok(())
}

/// A short description of the first differing lines.
pub fn line_diff(expected: &str, got: &str) -> String {
    let (e, g): (Vec<_>, Vec<_>) = (expected.lines().collect(), got.lines().collect());
    let first = e
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(e.len().min(g.len()));
    let mut s = format!("first difference at line {}:\n", first + 1);
    for (i, l) in e.iter().enumerate().skip(first).take(6) {
        s.push_str(&format!("- {:4} {l}\n", i + 1));
    }
    for (i, l) in g.iter().enumerate().skip(first).take(6) {
        s.push_str(&format!("+ {:4} {l}\n", i + 1));
    }
    s
}

/// The names of all golden inputs (files `NAME.wat` that are not
/// `.expected.wat`).
pub fn all_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(goldens_dir())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".wat") && !n.ends_with(".expected.wat"))
                .map(|n| n.trim_end_matches(".wat").to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
