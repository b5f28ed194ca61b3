//! `rewind advise [run options] --list FILE MODULE [ARGS]`: run a program
//! and write the smallest `--only-list` that covers the run.
//!
//! The module is instrumented into a copy with `--imports` set to the
//! `--suspend-at` patterns — the set the static analysis instruments for
//! those imports, the smallest the transform can prove covers every
//! suspension at them — and with `Options::record_unwinds`, so that every
//! instrumented function reports itself as it saves its frame. The copy
//! runs exactly as `rewind run` runs a module (`run_cmd`, the same
//! options; the program's stdio and exit code pass through), and each
//! suspension's functions are counted (`list_file`). Functions never on the
//! stack at a suspension of this run are left out of the list; whether
//! other runs need them is for other runs, merged with `--merge`, to say.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use rewind_transform::Options;

use crate::cli::{AdviseArgs, CheckpointArgs};
use crate::list_file::{self, Seen};
use crate::run_cmd::{self, Program};

/// Runs `rewind advise`; the exit code is the program's.
pub fn run(args: &AdviseArgs) -> Result<ExitCode> {
    let options = &args.options;
    if options.suspend_at.is_empty() {
        bail!(
            "`rewind advise` needs --suspend-at PATTERN: the imports the program suspends at \
             (for example 'wasi_snapshot_preview1.*')"
        );
    }
    if options.fuel_slice.is_some() {
        bail!(
            "`rewind advise` takes no --fuel-slice: it runs a copy it instruments itself, which is not metered"
        );
    }
    let mut seen = Seen::default();
    for path in &args.merge {
        seen.merge(Seen::read(path)?);
    }

    let path = &args.program.module;
    let wasm =
        wat::parse_file(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let transform = Options {
        imports: Some(options.suspend_at.clone()),
        record_unwinds: true,
        ..Options::default()
    };
    let copy = rewind_transform::asyncify(&wasm, &transform)
        .with_context(|| format!("failed to instrument `{}`", path.display()))?;

    let mut run = Seen::default();
    let program = Program {
        path,
        wasm: &copy.wasm,
        args: &args.program.args,
        options,
        checkpoints: &CheckpointArgs::default(),
    };
    let ran = run_cmd::execute(&program, &mut |call| run.record(call.unwound()))?;

    let report = &copy.report;
    let mut stderr = std::io::stderr().lock();
    // Diagnostics: failing to print them is not worth failing the run for.
    let _ = writeln!(
        stderr,
        "advise: {} on the stack at {}; the static analysis instruments {} of {}",
        counted(run.functions.len() as u64, "function"),
        counted(run.suspensions, "suspension"),
        thousands(report.functions_instrumented as u64),
        thousands(report.functions_total as u64),
    );
    if run.suspensions == 0 {
        let _ = writeln!(
            stderr,
            "warning: the program never suspended: does --suspend-at match the imports it calls?"
        );
    }
    seen.merge(run);
    let (text, left_out) = seen.render();
    for name in left_out {
        let _ = writeln!(
            stderr,
            "warning: function `{}` cannot be written to a list file; it is left out",
            name.escape_debug()
        );
    }
    list_file::write_atomically(&args.list, &text)?;
    if !args.merge.is_empty() {
        let _ = writeln!(
            stderr,
            "advise: {} in `{}`, {} with the merged lists",
            counted(seen.functions.len() as u64, "function"),
            args.list.display(),
            counted(seen.suspensions, "suspension"),
        );
    }
    Ok(run_cmd::finish(ran))
}

/// `n` and `noun`, plural unless `n` is 1: `1,204 functions`.
fn counted(n: u64, noun: &str) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", thousands(n))
}

/// `1204` as `1,204`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{counted, thousands};

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(counted(1, "suspension"), "1 suspension");
        assert_eq!(counted(0, "function"), "0 functions");
        assert_eq!(counted(1204, "function"), "1,204 functions");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
