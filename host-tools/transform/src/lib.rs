//! `rewind-transform`: make a WebAssembly module's call stack unwindable and
//! rewindable, with the ABI of Binaryen's Asyncify.
//!
//! # Phases
//!
//! 1. **Parse** the module with walrus (binary or text input).
//! 2. **Metering** (only for [`meter`], [`fuel`]): charge every
//!    straight-line run its cost, check the budget at loop heads and at the
//!    entries of functions that can be part of a call cycle, and lay small
//!    loops out several times so that one check covers several iterations
//!    (`fuel/unroll.rs`). A check that finds the budget spent calls a
//!    suspending handler, so the phases below make it resumable.
//! 3. **Module facts and runtime** (`facts.rs`, `intrinsics.rs`,
//!    `runtime.rs`): find the save-stack memory, the `asyncify.*`
//!    intrinsic imports and the `__stack_pointer` extension, add the two
//!    ABI globals.
//! 4. **Analysis** (`analysis/`, over the call graph of `callgraph.rs`):
//!    decide which functions can change the unwind state: suspending
//!    imports, callers of `start_unwind`/`stop_rewind` (top-most runtime),
//!    transitively their callers, and indirect calls narrowed by signature
//!    to functions that can reach a table. The option lists adjust the
//!    result.
//! 5. **Normalise** (`normalize.rs`) each function to instrument: drop dead
//!    code after unconditional branches, move block parameters into locals.
//! 6. **Flow** (`flow.rs`, with operand-stack typing from
//!    `operand_types.rs`): split every instruction sequence that contains a
//!    suspending call into guarded pieces. Operand-stack values that live
//!    across a suspending instruction are spilled into locals, so that at
//!    every suspension point all state is in locals.
//! 7. **Locals** (`liveness.rs`, `frame.rs`, `frame_movers.rs`): compute
//!    which locals are live across a suspension and emit the code that saves
//!    them to the save stack on unwind and restores them on rewind: a chain
//!    of calls of helpers the module shares, each moving a run of values of
//!    one type (restoring through helpers with several results; with
//!    [`Options::no_multivalue`], by inline loads).
//!    Afterwards the locals the frame does not carry share slots where
//!    their live ranges do not overlap (`coalesce.rs`).
//! 8. **Fast path** (with [`Options::fast_path`], `fast_path.rs`): a copy of
//!    each instrumented body ([`FastPath::All`]) or of those on call cycles
//!    ([`FastPath::Recursive`]), run when the call starts in normal state,
//!    with the rewind guards folded away.
//! 9. **Emit** and validate with wasmparser. To save memory, the functions
//!    no step changes had their instruction trees emptied after the
//!    analysis, and instrumented functions are encoded early once enough
//!    of them have grown ([`Options::flush_after`]); their bodies are
//!    copied into the output, every index renumbered (`bodies.rs`).
//!
//! # State machine
//!
//! `__asyncify_state` is 0 (normal), 1 (unwinding) or 2 (rewinding); Rewind
//! adds 3 (overflowed: an unwind ran out of save-stack space and trapped
//! before writing past `stack_end`). In normal state instrumented code runs
//! its original instructions plus a cheap state test after each suspending
//! call. When a callee returns in state 1 the caller records which call site
//! it was at, saves its live locals, and returns. In state 2 each function
//! restores its locals on entry, skips every piece of code up to the call
//! site it recorded, and calls it again; the innermost callee (the runtime)
//! sets the state back to 0 and execution continues as if never interrupted.
//!
//! # Data layout
//!
//! The host passes a pointer to `{ stack_pos, stack_end }` (two `i32`, or two
//! `i64` for memory64). Frames are pushed upward from `stack_pos`. One frame
//! holds the function's saved locals (16- and 8-byte values first, then
//! 4-byte ones, grouped by type) followed by the `i32` call-site index and, for functions
//! involved in tail calls kept across a suspension, an `i32` tag naming the
//! function (`tail_calls.rs`). Frames are private to Rewind and differ from
//! Binaryen's.
//!
//! # One function, before and after
//!
//! ```text
//! (func $f (param $x i32) (result i32)          (func $f (param $x i32) (result i32)
//!   local.get $x                                   if state == 2: pop frame -> $x, $t0, $site
//!   call $sleep      ;; may suspend                block $unwind
//!   i32.add)                                         block $body (result i32)
//!                                                      if state == 0: $t0 = $x      ;; spill
//!                                                      if state == 0 || $site == 0:
//!                                                        call $sleep -> $t1
//!                                                        if state == 1: $site = 0; br $unwind
//!                                                      $t0 + $t1
//!                                                    end
//!                                                    return
//!                                                  end
//!                                                  push frame <- $t0, $site   ;; live locals only
//!                                                  i32.const 0)
//! ```
//!
//! Only functions that can reach a suspension are touched; everything else
//! is emitted unchanged.

#![forbid(unsafe_code)]

pub mod abi;
mod abi_state;
mod analysis;
mod asserts;
mod bodies;
mod callgraph;
mod catches;
mod coalesce;
mod depths;
mod empty_else;
mod encoded;
pub mod error;
mod facts;
mod fast_path;
mod flow;
mod frame;
mod frame_movers;
pub mod fuel;
mod guards;
mod hints;
mod instrument;
mod intrinsics;
mod ir;
mod liveness;
mod name_table;
mod normalize;
mod operand_types;
pub mod options;
mod parked_fuel;
pub mod patterns;
mod placeholder;
pub mod progress;
mod recompute;
pub mod report;
mod runtime;
mod side_tables;
mod site_numbers;
mod suspend;
mod tail_calls;
mod tidy;
mod transform;
mod validate;
mod writes;

pub use error::{Error, Result};
pub use fuel::{Costs, FuelOptions};
pub use options::{FastPath, Options};
pub use patterns::matches;
pub use progress::Progress;
pub use report::{Decision, Explanation, FuelReport, Report, Step};

/// The instrumented module and what the transform did.
#[derive(Debug, Clone)]
pub struct Output {
    /// The instrumented module, in binary form, validated.
    pub wasm: Vec<u8>,
    /// Statistics and per-function decisions.
    pub report: Report,
}

/// Instruments `input` (a binary or text module) for unwind/rewind.
///
/// The output has the Asyncify ABI described in [`abi`] and always
/// validates; anything the transform cannot handle is an [`Error`].
pub fn asyncify(input: &[u8], options: &Options) -> Result<Output> {
    transform::run(input, options, &mut |_| {})
}

/// [`asyncify`], reporting how far it has got to `progress` (see
/// [`Progress`]); for a progress display on big inputs.
pub fn asyncify_with_progress(
    input: &[u8],
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Output> {
    transform::run(input, options, progress)
}

/// Instruments the module at `input` and writes the result to `output`:
/// the three lines a `build.rs` or an xtask needs.
///
/// ```no_run
/// let options = rewind_transform::Options::for_guest();
/// let report = rewind_transform::asyncify_file("guest.wasm", "guest.async.wasm", &options)?;
/// println!("instrumented {} functions", report.functions_instrumented);
/// # Ok::<(), rewind_transform::Error>(())
/// ```
pub fn asyncify_file(
    input: impl AsRef<std::path::Path>,
    output: impl AsRef<std::path::Path>,
    options: &Options,
) -> Result<Report> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| Error::Io(path.display().to_string(), e))
    };
    let out = asyncify(&read(input.as_ref())?, options)?;
    std::fs::write(output.as_ref(), &out.wasm)
        .map_err(|e| Error::Io(output.as_ref().display().to_string(), e))?;
    Ok(out.report)
}

/// Explains why each function whose name matches `pattern` (`*`
/// wildcards; `func[N]` for a function without a name) is or is not
/// instrumented under `options`.
pub fn explain(input: &[u8], options: &Options, pattern: &str) -> Result<Vec<Explanation>> {
    transform::explain(input, options, pattern)
}

/// Meters `input` with fuel (see [`fuel`]) and instruments it so that
/// running out of fuel suspends instead of trapping.
///
/// Unless `options.imports` names more, the out-of-fuel handler is the only
/// suspending entry point: ordinary imports are assumed not to suspend.
pub fn meter(input: &[u8], fuel: &FuelOptions, options: &Options) -> Result<Output> {
    transform::run_metered(input, fuel, options, &mut |_| {})
}

/// [`meter`], reporting how far it has got to `progress`.
pub fn meter_with_progress(
    input: &[u8],
    fuel: &FuelOptions,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Output> {
    transform::run_metered(input, fuel, options, progress)
}
