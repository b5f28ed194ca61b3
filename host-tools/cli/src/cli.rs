//! The command line as clap types: `rewind` and its subcommands.
//!
//! Each subcommand has its own argument struct; `main` dispatches on
//! [`Command`]. Binaryen's `--pass-arg` spelling is translated into these
//! flags beforehand (see `pass_args`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rewind_transform::Costs;

use crate::io::IoArgs;

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
    /// Run a module under wasmi: a WASI command, or any export; optionally
    /// suspend and resume at every call of chosen imports
    #[command(after_long_help = RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Run a built-in example: the game loop frame by frame, suspending every
    /// frame; or `demo budget`: CPU budgets for untrusted code
    Demo(DemoArgs),
    /// Meter a module with deterministic fuel; running out of fuel suspends
    /// (through the asyncify instrumentation) instead of trapping
    #[command(after_long_help = fuel_after_help())]
    Fuel(FuelArgs),
    /// Run a program and write the smallest --only-list that covers the
    /// suspensions of the run
    #[command(after_long_help = ADVISE_AFTER_HELP)]
    Advise(AdviseArgs),
    /// Say why a function is or is not instrumented: the rule, and a
    /// shortest chain of calls to where the suspension starts
    #[command(after_long_help = EXPLAIN_AFTER_HELP)]
    Explain(ExplainArgs),
    /// Continue a program from a checkpoint written by `rewind run
    /// --checkpoint` (or by `rewind resume --checkpoint`)
    #[command(after_long_help = RESUME_AFTER_HELP)]
    Resume(ResumeArgs),
}

const FUEL_AFTER_HELP: &str = "\
The output is metered and instrumented for unwind/rewind in one step (no
separate `rewind asyncify` run is needed). It exports `__rewind_fuel`, an
i64 global holding the remaining budget (with --import-fuel it is imported
as `env.__rewind_fuel` instead). Straight-line runs of instructions are
charged their static cost; loop heads and the entries of functions that may
recurse check the counter and call the out-of-fuel handler when it is
negative. The handler is the import `rewind.out_of_fuel: [] -> []` (added
when missing), which suspends: the host adds fuel and rewinds, and execution
continues exactly where it stopped.

A cost file (--costs) has one `CLASS COST` per line (`#` starts a comment).
The classes and their default costs:
";

const FUEL_EXAMPLES: &str = "
Examples:
  rewind fuel app.wasm -o app.fuel.wasm
  rewind run app.fuel.wasm --invoke main --fuel-slice 100000";

/// The long help's text after `rewind fuel`'s options, with the transform's
/// default costs.
fn fuel_after_help() -> String {
    let mut help = FUEL_AFTER_HELP.to_owned();
    for (class, cost) in Costs::default().classes() {
        help.push_str(&format!("  {class:<12} {cost}\n"));
    }
    help + FUEL_EXAMPLES
}

/// Arguments of `rewind fuel`.
#[derive(Debug, Args)]
pub struct FuelArgs {
    #[command(flatten)]
    pub io: IoArgs,

    /// Override instruction costs: one `CLASS COST` per line
    #[arg(long, value_name = "FILE", help_heading = "Fuel")]
    pub costs: Option<PathBuf>,

    /// Import the fuel global as `env.__rewind_fuel` instead of defining and exporting it
    #[arg(long, help_heading = "Fuel")]
    pub import_fuel: bool,

    /// Call this guest function (export or name-section name, type [] -> [])
    /// when fuel runs out, instead of the `rewind.out_of_fuel` import
    #[arg(long, value_name = "NAME", help_heading = "Fuel")]
    pub fuel_handler: Option<String>,

    /// Lay small call-free loops out up to K times so that one check covers
    /// K iterations (charges stay exact); 1 turns it off
    #[arg(long, value_name = "K", default_value_t = rewind_transform::fuel::DEFAULT_UNROLL,
          value_parser = clap::value_parser!(u32).range(1..=16), help_heading = "Fuel")]
    pub unroll_loops: u32,

    #[command(flatten)]
    pub transform: TransformArgs,

    /// Print function counts, fuel checks and charges, sizes and time (to stderr)
    #[arg(long, help_heading = "Diagnostics")]
    pub stats: bool,
}

const RUN_AFTER_HELP: &str = "\
Options go before the program's arguments: everything after the first
argument that follows MODULE is passed on (use `--` before an argument that
starts with `-`).

Examples:
  rewind run hello.wasm world                          # a WASI command
  rewind run --dir data::/data --env NAME=you app.wasm # files and environment
  rewind run calc.wasm --invoke add 2 40               # prints 42
  rewind asyncify app.wasm -o app.async.wasm --imports 'wasi_snapshot_preview1.*'
  rewind run --suspend-at 'wasi_snapshot_preview1.*' app.async.wasm

With --suspend-at, every call of a matching WASI import unwinds the whole
guest stack to the host and rewinds it (the module must have been
instrumented so that those imports may suspend); `suspensions: N` is printed
on stderr. The exit code is the program's `proc_exit` status.

A module that imports `rewind.yield_to_host` (rewind-guest's
`yield_to_host()`) gets it: if the module is instrumented, every call
suspends to the host and is resumed, and `yields: N` is printed on stderr;
--max-yields K stops a frame loop after K yields (exit code 0). Not
instrumented, the module runs and only a call of the import traps:
  rewind asyncify game.wasm -o game.async.wasm --imports rewind.yield_to_host
  rewind run game.async.wasm --invoke run --max-yields 60

With --fuel-slice N, the module must have been metered by `rewind fuel`: it
runs in slices of N fuel, resumed after each, and `slices: S` and `fuel: F`
(the fuel consumed, the same on every run) are printed on stderr. With
--max-slices K a call that has not finished after K slices is stopped with an
error:
  rewind fuel app.wasm -o app.fuel.wasm
  rewind run app.fuel.wasm --fuel-slice 100000 --max-slices 50 --invoke main

To combine --fuel-slice with --suspend-at, meter the module with those
imports suspending too (`rewind fuel` makes only `rewind.out_of_fuel`
suspend unless --imports names more):
  rewind fuel app.wasm -o app.fuel.wasm --imports 'wasi_snapshot_preview1.*'
  rewind run --fuel-slice 100000 --suspend-at 'wasi_snapshot_preview1.*' app.fuel.wasm

With --checkpoint FILE the call is saved to FILE instead of the --max-slices
error (exit 0, `checkpoint: FILE` on stderr), to be continued by `rewind
resume`, here or on another machine; --checkpoint-every S also saves it after
every S slices (without --fuel-slice: every S suspensions, --suspend-at's and
yields). FILE is replaced atomically, and removed when the program returns or
exits. See `rewind resume --help`.";

/// Arguments of `rewind run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub options: RunOptions,

    #[command(flatten)]
    pub checkpoints: CheckpointArgs,

    #[command(flatten)]
    pub program: ProgramArgs,
}

const RESUME_AFTER_HELP: &str = "\
The checkpoint holds the program's memory, globals and tables, where it is
suspended, its arguments and environment, how it was run (--fuel-slice,
--suspend-at), the slices, fuel, suspensions and yields so far, and its open
files. Give the same module (its SHA-256 is checked) and the same preopened
directories as the program sees them (--dir HOST::GUEST, same GUEST paths in
the same order; HOST may differ). Open files are reopened by path at their
offsets; stdin, stdout and stderr are this process's. The counts printed at
the end are those of the whole run, as if it had never stopped.

Example:
  rewind run --fuel-slice 100000 --max-slices 10 --checkpoint app.ckpt app.fuel.wasm
  rewind resume --max-slices 10 --checkpoint app.ckpt app.ckpt app.fuel.wasm
  # ... until it finishes: the checkpoint file is then removed";

/// Arguments of `rewind resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Give the program a host directory, seen as GUEST (as when the
    /// checkpoint was taken; repeatable)
    #[arg(long, value_name = "HOST[::GUEST]", help_heading = "WASI")]
    pub dir: Vec<String>,

    /// Fuel per slice (default: the slice the checkpoint was taken with)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Fuel")]
    pub fuel_slice: Option<u64>,

    /// Stop when the call has not finished after K more slices: write the
    /// checkpoint if --checkpoint is given, else fail (exit 1)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Fuel")]
    pub max_slices: Option<u64>,

    #[command(flatten)]
    pub checkpoints: CheckpointArgs,

    /// The checkpoint to continue from
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,

    /// The module it was taken of, binary (.wasm) or text (.wat)
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,
}

/// When to write checkpoints: the options `rewind run` and `rewind resume`
/// share.
#[derive(Debug, Default, Args)]
pub struct CheckpointArgs {
    /// Save the suspended program to FILE when it stops after --max-slices
    /// (and with --checkpoint-every), for `rewind resume`; removed when the
    /// program finishes
    #[arg(long, value_name = "FILE", help_heading = "Checkpoints")]
    pub checkpoint: Option<PathBuf>,

    /// Also save it after every S slices (without --fuel-slice: every S
    /// suspensions), replacing FILE atomically
    #[arg(long, value_name = "S", requires = "checkpoint", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Checkpoints")]
    pub checkpoint_every: Option<u64>,
}

/// The module to run and its arguments: the positional arguments of
/// `rewind run` and `rewind advise`, after their options.
#[derive(Debug, Args)]
pub struct ProgramArgs {
    /// The module to run, binary (.wasm) or text (.wat)
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,

    /// The program's arguments (WASI argv after the module's name), or with
    /// --invoke the export's arguments, parsed by its parameter types
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

/// How a module runs: the options `rewind run` and `rewind advise` share.
#[derive(Debug, Args)]
pub struct RunOptions {
    /// Call this export instead of the WASI command's `_start`, and print its results
    #[arg(long, value_name = "EXPORT")]
    pub invoke: Option<String>,

    /// Suspend and resume at every call of the imports matching PATTERN
    /// (`module.name`, `*` wildcards; repeatable); needs an instrumented module
    #[arg(
        long = "suspend-at",
        value_name = "PATTERN",
        help_heading = "Suspension"
    )]
    pub suspend_at: Vec<String>,

    /// Size in bytes of the save buffer used with --suspend-at
    #[arg(long, value_name = "BYTES", default_value_t = rewind_host::DEFAULT_BUFFER_SIZE, help_heading = "Suspension")]
    pub save_buffer: u64,

    /// Run a module metered by `rewind fuel` in slices of N fuel, resuming
    /// after each; prints `slices: S` and `fuel: F` on stderr
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Fuel")]
    pub fuel_slice: Option<u64>,

    /// With --fuel-slice, stop when the call has not finished after K
    /// slices: save it with --checkpoint, else fail (exit 1)
    #[arg(long, value_name = "K", requires = "fuel_slice", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Fuel")]
    pub max_slices: Option<u64>,

    /// Stop the call after K yields (`rewind.yield_to_host`), successfully:
    /// the end of a frame loop that never returns
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Suspension")]
    pub max_yields: Option<u64>,

    /// Set an environment variable of the program (repeatable)
    #[arg(long, value_name = "KEY=VALUE", help_heading = "WASI")]
    pub env: Vec<String>,

    /// Give the program a host directory, seen as GUEST (default: the same path; repeatable)
    #[arg(long, value_name = "HOST[::GUEST]", help_heading = "WASI")]
    pub dir: Vec<String>,
}

const ADVISE_AFTER_HELP: &str = "\
Runs the program like `rewind run` (the same options, before MODULE; the
program's stdin, stdout and exit code pass through) on a copy instrumented
with `--imports` set to the --suspend-at patterns, which records which
functions are on the stack at every suspension. Writes the smallest
--only-list that covers the run to the --list file: one name a line, each
after a `# in N suspensions` comment. --merge adds the entries of existing
lists (several runs, or a list kept by hand). Prints on stderr how many
functions the list has and how many the static analysis instruments.

Example:
  rewind advise --list app.list --suspend-at 'wasi_snapshot_preview1.*' app.wasm input.txt
  rewind advise --list app.list --merge app.list --suspend-at 'wasi_snapshot_preview1.*' app.wasm other.txt
  rewind asyncify app.wasm -o app.async.wasm --only-list @app.list --asserts";

/// Arguments of `rewind advise`.
#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// Write the list to FILE (replaced at once when the run succeeds)
    #[arg(long, value_name = "FILE", required = true, help_heading = "List")]
    pub list: PathBuf,

    /// Add the entries of this list file, and their counts (repeatable;
    /// may name the --list file itself)
    #[arg(long, value_name = "FILE", help_heading = "List")]
    pub merge: Vec<PathBuf>,

    #[command(flatten)]
    pub options: RunOptions,

    #[command(flatten)]
    pub program: ProgramArgs,
}

const EXPLAIN_AFTER_HELP: &str = "\
Prints, for every function whose name matches FUNC (`*` wildcards; `func[N]`
for a function the name section does not name), whether it is instrumented
under the options given and the rule that decided it; for a function reached
by propagation, a shortest chain of calls from it to where the suspension
starts, one step a line. The options are those of `rewind asyncify`.

Example:
  rewind explain app.wasm main --imports 'wasi_snapshot_preview1.fd_read'";

/// Arguments of `rewind explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The module, binary (.wasm) or text (.wat)
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,

    /// The function(s) to explain, by name (`*` wildcards)
    #[arg(value_name = "FUNC")]
    pub function: String,

    #[command(flatten)]
    pub transform: TransformArgs,
}

/// Arguments of `rewind demo`: the game loop's, or a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    /// Another demo instead of the game loop
    #[command(subcommand)]
    pub demo: Option<DemoCommand>,

    /// How many frames to run and print
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub frames: u32,

    /// Print the frames exactly as the guest renders them, each after a
    /// `=== frame N ===` line (what examples/game-loop/host.mjs prints), and no statistics
    #[arg(long)]
    pub raw: bool,

    /// The world to start from: 0, the classic pattern, or any other number
    /// for a random soup (the same frames everywhere: `host.mjs`, the web page's
    /// `?seed=`)
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u32,

    /// Write the instrumented game-loop module to FILE instead of running it
    /// (to run it elsewhere: `node examples/game-loop/host.mjs FILE`)
    #[arg(long, value_name = "FILE", conflicts_with = "web")]
    pub emit_wasm: Option<PathBuf>,

    /// Write the game loop as a static web site to DIR instead of running it:
    /// the game on a canvas, once instrumented (Rewind) and once under JSPI,
    /// and a page that measures both (serve DIR over HTTP, then open it)
    #[arg(long, value_name = "DIR", conflicts_with_all = ["raw", "frames", "seed"])]
    pub web: Option<PathBuf>,
}

/// The demos besides the game loop.
#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// CPU budgets for untrusted code: an endless loop and a well-behaved
    /// task share the guest's scheduler with a fuel budget per turn each,
    /// while the host runs the module in slices of fuel
    #[command(after_long_help = BUDGET_AFTER_HELP)]
    Budget(BudgetArgs),
}

const BUDGET_AFTER_HELP: &str = "\
The module is examples/cpu-budget, built for wasm32 and metered when `rewind`
was built (`rewind fuel --fuel-handler rewind_out_of_fuel --imports
rewind.out_of_fuel`). Two tasks run under rewind-guest's scheduler: `untrusted`
loops forever without yielding, `primes` counts primes by trial division
and returns. When a task's fuel for the turn runs out it is preempted and the
other one runs. One line per host slice shows the fuel the slice used and,
per task, the turns it got in that slice, its fuel so far and its progress;
the summary shows each task's share of the tasks' fuel. The output is the
same on every run.";

/// Arguments of `rewind demo budget`.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// How many host slices to run and print
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
    pub slices: u32,

    /// Fuel of each host slice
    #[arg(long, value_name = "F", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub slice_fuel: u64,

    /// Fuel of each task's turn in the guest's scheduler
    #[arg(long, value_name = "T", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=i64::MAX as u64))]
    pub task_fuel: u64,

    /// Write the metered module to FILE instead of running it
    #[arg(long, value_name = "FILE")]
    pub emit_wasm: Option<PathBuf>,
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
    #[command(flatten)]
    pub io: IoArgs,

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

    /// Make every function left uninstrumented check that no suspension
    /// passes through it, and trap naming itself and the call if one does
    /// (Binaryen's `asyncify-asserts`, with names)
    #[arg(long, help_heading = "Code generation")]
    pub asserts: bool,

    /// Calls inside legacy `catch`/`catch_all` handlers never suspend: leave
    /// the handlers uninstrumented (Binaryen's
    /// `asyncify-ignore-unwind-from-catch`). Without it, a handler that may
    /// suspend runs after its `try`
    #[arg(long, help_heading = "Code generation")]
    pub ignore_unwind_from_catch: bool,

    /// Give instrumented functions a second copy of their body, run when
    /// called in normal state, without the rewind guards: faster, about
    /// twice the code of those functions (rewind's own; no Binaryen
    /// equivalent). `all` (the default when given): every instrumented
    /// function; `recursive`: those on a cycle of direct calls, where the
    /// guards cost most per call (`--verbose` says which)
    #[arg(
        long,
        value_enum,
        value_name = "WHICH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all",
        help_heading = "Code generation"
    )]
    pub fast_path: Option<FastPathArg>,
    /// Restore frames with inline loads instead of shared helpers that
    /// return several values: the output then needs multi-value only if the
    /// input does (for engines and tools without it; about 5% more code)
    #[arg(long, help_heading = "Code generation")]
    pub no_multivalue: bool,
    /// Once the functions instrumented so far have this many instructions,
    /// encode them and free their trees, for the next ones (lower peak
    /// memory on large modules, one more encoding of the module each time;
    /// default 4000000)
    #[arg(long, value_name = "INSTRUCTIONS", help_heading = "Code generation")]
    pub flush_after: Option<usize>,
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
    fn fuel_help_lists_the_default_costs() {
        let help = fuel_after_help();
        for (class, cost) in Costs::default().classes() {
            assert!(
                help.lines()
                    .any(|line| line.split_whitespace().eq([class, &cost.to_string()])),
                "{class} {cost} missing:\n{help}"
            );
        }
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

/// `--fast-path=WHICH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FastPathArg {
    /// Every instrumented function.
    All,
    /// Instrumented functions on a cycle of direct calls.
    Recursive,
}
