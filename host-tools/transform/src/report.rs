//! What the transform did, for `--stats` and `--verbose`.

use std::time::Duration;

/// Statistics and per-function decisions of one run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Functions defined in the module (imports excluded).
    pub functions_total: usize,
    /// Functions that received unwind/rewind instrumentation.
    pub functions_instrumented: usize,
    /// Functions left alone whose bodies were copied from the input
    /// (renumbered) rather than re-encoded; none for `rewind fuel`.
    pub functions_copied: usize,
    /// Instrumented functions encoded early to free their instruction
    /// trees (`Options::flush_after`).
    pub functions_flushed: usize,
    /// Instrumented functions given a fast path (`Options::fast_path`).
    pub functions_fast_path: usize,
    /// Suspending call sites made resumable.
    pub call_sites: usize,
    /// Locals saved across suspensions, summed over instrumented functions.
    pub locals_saved: usize,
    /// Locals of instrumented functions merged into another local's slot
    /// because they are never live at the same time (`coalesce.rs`).
    pub locals_coalesced: usize,
    /// Tail calls (`return_call*`) to functions that may suspend, turned
    /// into a call and `return`: each keeps its caller's frame on the stack
    /// while the callee runs, so a tail-recursive loop through one now
    /// grows the native stack (and the save stack when it suspends).
    /// Only where they cannot be kept (see `tail_calls_kept`).
    pub tail_calls_lowered: usize,
    /// Tail calls to functions that may suspend kept as tail calls: the
    /// native stack stays as deep as in the original.
    pub tail_calls_kept: usize,
    /// Legacy catch handlers that may suspend, moved after their `try` so
    /// that a rewind can re-enter them.
    pub catch_handlers_lowered: usize,
    /// Legacy catch handlers that may suspend but rethrow their own
    /// exception, left in their `try`: a suspension inside one unwinds, but
    /// resuming it traps in `__rewind_resume_in_catch_with_rethrow`.
    pub catch_handlers_unresumable: usize,
    /// With `Options::asserts`: checks added to uninstrumented functions.
    pub assert_checks: usize,
    /// Size of the input binary.
    pub bytes_before: usize,
    /// Size of the output binary.
    pub bytes_after: usize,
    /// Wall time of the transform.
    pub elapsed: Duration,
    /// Non-fatal findings (list entries that match nothing, ...).
    pub warnings: Vec<String>,
    /// Why each defined function is or is not instrumented, in index order.
    pub decisions: Vec<Decision>,
    /// What fuel metering did, when it ran.
    pub fuel: Option<FuelReport>,
}

/// The analysis verdict for one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Name-section name, or `func[INDEX]`.
    pub function: String,
    /// Whether it was instrumented.
    pub instrumented: bool,
    /// A short human reason, e.g. "calls `env.sleep`".
    pub reason: String,
}

/// What the metering pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuelReport {
    /// Functions that received charges.
    pub functions_metered: usize,
    /// Fuel checks inserted (function entries and loop headers).
    pub checks: usize,
    /// Charge points inserted.
    pub charges: usize,
    /// Small loops laid out several times, one check for several
    /// iterations.
    pub loops_unrolled: usize,
    /// Entry checks that also serve as their function's rewind test (the
    /// counter is parked while a rewind runs), saving a state test per
    /// call.
    pub entry_checks_folded: usize,
}

/// Why one function is or is not instrumented (`rewind explain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Name-section name, or `func[INDEX]`.
    pub function: String,
    /// Whether the analysis selects it.
    pub instrumented: bool,
    /// The rule that decided, as in `--verbose`.
    pub rule: String,
    /// For a function reached by propagation: a shortest chain of calls
    /// from it to where the suspension starts, the last step naming the
    /// root and why it changes the state. Empty otherwise.
    pub path: Vec<Step>,
}

/// One step of an [`Explanation`]'s chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The function (or, last, the import) at this step.
    pub function: String,
    /// How it leads to the next step (for the last: why it changes the
    /// state).
    pub how: String,
}
