//! The command line as clap types: `rewind` and its subcommands.
//!
//! Each subcommand has its own argument struct; `main` dispatches on
//! [`Command`]. Binaryen's `--pass-arg` spelling is translated into these
//! flags beforehand (see `pass_args`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Pause and resume WebAssembly anywhere: build-time unwind/rewind
/// instrumentation with the ABI of Binaryen's Asyncify.
#[derive(Debug, Parser)]
#[command(name = "rewind", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `rewind`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Instrument a module so that its call stack can be unwound and rewound
    #[command(after_long_help = ASYNCIFY_AFTER_HELP)]
    Asyncify(AsyncifyArgs),
}

const ASYNCIFY_AFTER_HELP: &str = "\
LIST is a comma-separated list of entries, or @FILE for one entry per line
(blank lines and lines starting with `#` are skipped). Entries may contain `*`
wildcards. Repeating a list option appends to the list.

Binaryen's spelling is accepted too, so a `wasm-opt --asyncify` command line
works unchanged: --pass-arg=asyncify-NAME[@VALUE] or --pass-arg asyncify-NAME[@VALUE],
with NAME one of imports, ignore-imports, ignore-indirect, onlylist (whitelist),
addlist, propagate-addlist, removelist (blacklist), export-globals,
import-globals (relocatable), memory, verbose. `--asyncify` is ignored.";

/// Arguments of `rewind asyncify`.
#[derive(Debug, Args)]
pub struct AsyncifyArgs {
    /// The module to instrument, binary (.wasm) or text (.wat); `-` reads stdin
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// Where to write the instrumented module; `-` writes to stdout
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,

    /// Write the text format instead of the binary format
    #[arg(short = 't', long = "wat")]
    pub wat: bool,

    #[command(flatten)]
    pub transform: TransformArgs,

    /// Print why each function is or is not instrumented (to stderr)
    #[arg(long, help_heading = "Diagnostics")]
    pub verbose: bool,

    /// Print function counts, call sites, saved locals, sizes and time (to stderr)
    #[arg(long, help_heading = "Diagnostics")]
    pub stats: bool,

    /// Accepted and ignored, for command lines ported from `wasm-opt --asyncify`
    #[arg(long, hide = true)]
    pub asyncify: bool,
}

/// The arguments that become [`rewind_transform::Options`]. List values are
/// kept raw here (one string per occurrence) and parsed by `lists`.
#[derive(Debug, Default, Args)]
pub struct TransformArgs {
    /// Imports that may suspend, as `module.name` (default: every import)
    #[arg(long, value_name = "LIST", help_heading = "Suspension")]
    pub imports: Vec<String>,

    /// No import suspends; only the `asyncify.*` intrinsics change the state
    #[arg(long, help_heading = "Suspension")]
    pub ignore_imports: bool,

    /// Assume indirect calls never suspend
    #[arg(long, help_heading = "Suspension")]
    pub ignore_indirect: bool,

    /// Instrument exactly these functions and nothing else
    #[arg(long, value_name = "LIST", help_heading = "Function lists")]
    pub only_list: Vec<String>,

    /// Also instrument these functions (their callers are not affected)
    #[arg(long, value_name = "LIST", help_heading = "Function lists")]
    pub add_list: Vec<String>,

    /// Also instrument these functions, and count them as suspending for their callers
    #[arg(long, value_name = "LIST", help_heading = "Function lists")]
    pub propagate_add_list: Vec<String>,

    /// Never instrument these functions; calls to them are assumed not to suspend
    #[arg(long, value_name = "LIST", help_heading = "Function lists")]
    pub remove_list: Vec<String>,

    /// Every `--add-list` entry propagates to callers (Binaryen's
    /// `asyncify-propagate-addlist`)
    #[arg(long = "add-list-propagates", hide = true)]
    pub add_list_propagates: bool,

    /// Export `__asyncify_state` and `__asyncify_data`
    #[arg(long, help_heading = "ABI")]
    pub export_globals: bool,

    /// Import `env.__asyncify_state` and `env.__asyncify_data` instead of defining them
    #[arg(long, help_heading = "ABI")]
    pub import_globals: bool,

    /// The memory that holds the save stack, by export or name-section name (default: the first)
    #[arg(long, value_name = "NAME", help_heading = "ABI")]
    pub memory: Option<String>,

    /// Index of the shadow-stack-pointer global, when the name section does not say which global is `__stack_pointer`
    #[arg(long, value_name = "INDEX", help_heading = "ABI")]
    pub stack_pointer_global: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_hidden_propagate_flag_is_the_one_pass_args_emits() {
        let cmd = Cli::command();
        let asyncify = cmd.find_subcommand("asyncify").unwrap();
        let flag = crate::pass_args::PROPAGATE_ADD_LIST_FLAG
            .strip_prefix("--")
            .unwrap();
        assert!(
            asyncify
                .get_arguments()
                .any(|arg| arg.get_long() == Some(flag))
        );
    }
}
