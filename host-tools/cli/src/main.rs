//! The `rewind` command: translate Binaryen's spelling, parse the command
//! line, run the subcommand, and print a failure wasm-tools style:
//!
//! ```text
//! error: failed to instrument `in.wasm`
//!
//! Caused by:
//!     0: failed to parse the input module
//!     1: unexpected end-of-file (at offset 0x8)
//! ```
//!
//! Exit codes: 0 success, 1 failure, 2 usage error (clap's own).

#![forbid(unsafe_code)]

mod advise_cmd;
mod asyncify_cmd;
mod checkpoint;
mod cli;
mod demo;
mod drive;
mod explain_cmd;
mod fuel_cmd;
mod io;
mod list_file;
mod lists;
mod not_instrumented;
mod pass_args;
mod progress;
mod resume_cmd;
mod run_cmd;
mod stats;
mod transform_options;
mod wasi;
mod wasi_state;
mod yields;

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    // Binaryen's spelling belongs to the transform's options; `run` and
    // `advise` pass their arguments on to the program untouched.
    let args = if args
        .get(1)
        .is_some_and(|cmd| cmd == "run" || cmd == "advise" || cmd == "demo")
    {
        args
    } else {
        match pass_args::translate(args) {
            Ok(args) => args,
            Err(err) => usage_error(&err.to_string()),
        }
    };
    let cli = Cli::parse_from(args);

    let result = match &cli.command {
        Command::Asyncify(args) => asyncify_cmd::run(args).map(|()| ExitCode::SUCCESS),
        Command::Run(args) => run_cmd::run(args),
        Command::Demo(args) => demo::run(args).map(|()| ExitCode::SUCCESS),
        Command::Fuel(args) => fuel_cmd::run(args).map(|()| ExitCode::SUCCESS),
        Command::Advise(args) => advise_cmd::run(args),
        Command::Explain(args) => explain_cmd::run(args).map(|()| ExitCode::SUCCESS),
        Command::Resume(args) => resume_cmd::run(args),
    };

    match result {
        Ok(code) => code,
        Err(err) => {
            // Nothing sensible is left to do if stderr itself is gone.
            let _ = write!(std::io::stderr(), "{}", render_error(&err));
            ExitCode::FAILURE
        }
    }
}

/// `error: MESSAGE`, then, if there are causes, a blank line, `Caused by:`
/// and the causes indented, numbered when there is more than one. This is
/// the layout of anyhow's `{:?}`, without the backtrace it adds when
/// `RUST_BACKTRACE` is set.
fn render_error(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err}\n");
    let causes: Vec<String> = err.chain().skip(1).map(|cause| cause.to_string()).collect();
    if !causes.is_empty() {
        out.push_str("\nCaused by:\n");
    }
    for (n, cause) in causes.iter().enumerate() {
        let (first, rest) = match causes.len() {
            1 => ("    ".to_owned(), "    "),
            _ => (format!("{n:>5}: "), "       "),
        };
        for (i, line) in cause.split('\n').enumerate() {
            let indent = if i == 0 { first.as_str() } else { rest };
            if line.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("{indent}{line}\n"));
            }
        }
    }
    out
}

/// Reports a command-line error the way clap does (usage, exit code 2).
fn usage_error(message: &str) -> ! {
    let mut cmd = Cli::command();
    cmd.build();
    match cmd.find_subcommand_mut("asyncify") {
        Some(asyncify) => asyncify.error(ErrorKind::ValueValidation, message).exit(),
        None => cmd.error(ErrorKind::ValueValidation, message).exit(),
    }
}

#[cfg(test)]
mod tests {
    use super::render_error;
    use anyhow::anyhow;

    #[test]
    fn error_without_causes() {
        assert_eq!(render_error(&anyhow!("boom")), "error: boom\n");
    }

    #[test]
    fn one_cause_is_not_numbered() {
        let err = anyhow!("inner\nsecond line").context("outer");
        assert_eq!(
            render_error(&err),
            "error: outer\n\nCaused by:\n    inner\n    second line\n"
        );
    }

    #[test]
    fn several_causes_are_numbered() {
        let err = anyhow!("root\ndetail").context("middle").context("top");
        assert_eq!(
            render_error(&err),
            "error: top\n\nCaused by:\n    0: middle\n    1: root\n       detail\n"
        );
    }
}
