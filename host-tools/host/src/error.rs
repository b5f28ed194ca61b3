//! Everything that can go wrong while loading, linking and driving an
//! instrumented module, as values with context.
//!
//! Two small [`wasmi::errors::HostError`] types live here too: the driver
//! turns a failed host future, a failed buffer placement or a broken
//! protocol into a trap carrying one of them, and recognises it again when
//! the trap comes out of the guest, so the caller gets [`Error::HostFuture`],
//! [`Error::BufferPlacement`] or [`Error::Protocol`] instead of an opaque
//! trap. A failed future's error and its causes are flattened into the one
//! line such a trap carries by `error_chain`.

use std::fmt;

use crate::asserts::{Called, FunctionList};

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error of a host future (or of a synchronous failure of an async
/// import): anything that can be shown to a user. `"message".into()` and
/// `Box::new(io_error)` both work.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What the driver was doing when the guest trapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Running a fresh call of an export.
    Running,
    /// Rewinding into, then running, a suspended call.
    Resuming,
    /// Unwinding the stack after a suspending import started an unwind.
    Unwinding,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Running => "running",
            Phase::Resuming => "resuming",
            Phase::Unwinding => "unwinding",
        })
    }
}

/// An error of `rewind-host`. The `Display` text is one line; the cause,
/// where there is one, is in `source()`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module lacks one of the five Asyncify exports.
    #[error("module was not instrumented (run `rewind asyncify`): it does not export `{missing}`")]
    ModuleNotInstrumented {
        /// The first missing export.
        missing: &'static str,
    },
    /// An Asyncify export exists but has the wrong type.
    #[error(
        "export `{export}` does not have the Asyncify ABI type: expected {expected}, found {found}"
    )]
    AbiMismatch {
        /// The export.
        export: &'static str,
        /// The type the ABI requires.
        expected: String,
        /// The type the module has.
        found: String,
    },
    /// The module does not export a memory to place save buffers in.
    #[error("the module exports no memory{}: save buffers must live in guest memory", .name.as_ref().map(|n| format!(" named `{n}`")).unwrap_or_default())]
    NoMemory {
        /// The memory export asked for in the configuration, if any.
        name: Option<String>,
    },
    /// The configuration is unusable for this module.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// wasmi could not compile the module.
    #[error("failed to compile the module")]
    Compile(#[source] wasmi::Error),
    /// An import could not be defined in the linker.
    #[error("failed to define import `{import}`")]
    Define {
        /// `module.name` of the import.
        import: String,
        /// The linker's error.
        #[source]
        source: Box<wasmi::errors::LinkerError>,
    },
    /// Linking or instantiating failed (missing import, start function trap).
    #[error("failed to instantiate the module")]
    Instantiate(#[source] wasmi::Error),
    /// The export to call does not exist or is not a function.
    #[error("the module exports no function `{0}`")]
    NoSuchExport(String),
    /// The arguments do not match the export's parameters.
    #[error("bad arguments for `{export}`: expected {expected}, got {got}")]
    BadArguments {
        /// The export.
        export: String,
        /// Its parameter types.
        expected: String,
        /// The types given.
        got: String,
    },
    /// The guest trapped.
    #[error("guest trapped while {phase} `{export}`")]
    Trap {
        /// The export that was called.
        export: String,
        /// What the driver was doing.
        phase: Phase,
        /// The trap.
        #[source]
        source: wasmi::Error,
    },
    /// A module built with `--asserts` trapped because a function left
    /// uninstrumented was on the stack during a suspension. Without the
    /// check it would have gone on running while the stack unwound. Adding
    /// `function` to `list` and instrumenting again fixes it.
    #[error(
        "function `{function}` is on the stack during a suspension but was not instrumented (its check failed {called}, during `{export}`)"
    )]
    NotInstrumented {
        /// The export that was called.
        export: String,
        /// The uninstrumented function, by the name the transform uses
        /// (name-section name, or `func[INDEX]`).
        function: String,
        /// What it had done when the check failed.
        called: Called,
        /// The list option that adds it under the options the module was
        /// built with.
        list: FunctionList,
    },
    /// A host future (or the synchronous part of an async import) failed.
    /// The failure became a trap at the import's call site inside the guest.
    #[error("host import `{import}` failed during `{export}`: {message}")]
    HostFuture {
        /// The export that was called.
        export: String,
        /// `module.name` of the import.
        import: String,
        /// The future's error, as text.
        message: String,
    },
    /// An unwind needed more room than the call's save buffer has.
    ///
    /// With modules instrumented by Rewind nothing was written past the
    /// buffer (the state reads [`STATE_OVERFLOWED`](crate::abi::STATE_OVERFLOWED))
    /// and the instance stays usable; with modules instrumented by
    /// Binaryen the overflow is only found after the fact, so the instance
    /// is poisoned.
    #[error(
        "save stack overflow: suspending `{export}` in import `{import}` needs more than the {buffer_size}-byte save buffer (raise `Config::buffer_size`)"
    )]
    SaveStackOverflow {
        /// The export that was called.
        export: String,
        /// `module.name` of the import that suspended.
        import: String,
        /// The configured buffer size, header included.
        buffer_size: u64,
    },
    /// No save buffer could be placed in guest memory.
    #[error("could not place a save buffer in guest memory: {0}")]
    BufferPlacement(String),
    /// A suspended call was resumed while a call started after it is still
    /// suspended, and the instance shares one shadow stack between calls.
    #[error(
        "call #{call} cannot resume before call #{blocking} (started later, still suspended) finishes or is dropped: the calls share the guest's shadow stack (see `ResumeOrder`)"
    )]
    ResumeOrder {
        /// The call that was to be resumed.
        call: u64,
        /// The most recently started call that has not finished.
        blocking: u64,
    },
    /// The suspended call was created by another instance.
    #[error("suspended call #{call} belongs to another instance")]
    ForeignCall {
        /// The call.
        call: u64,
    },
    /// Values given to resume a yielded call do not fit the import's results,
    /// or values were given for a call waiting on a future.
    #[error("cannot resume call #{call} with these values: {reason}")]
    ResumeValues {
        /// The call.
        call: u64,
        /// What is wrong.
        reason: String,
    },
    /// The guest broke the Asyncify protocol (for example an import that
    /// suspended was not instrumented, so the guest kept running while
    /// unwinding).
    #[error("Asyncify protocol violation during `{export}`: {message}")]
    Protocol {
        /// The export that was called.
        export: String,
        /// What happened.
        message: String,
    },
    /// A suspending import started an unwind, but the guest did not unwind
    /// from it: the call of the import, or a function on the stack, was
    /// not instrumented to suspend (the import is missing from the
    /// transform's import list, or a function from a function list). The
    /// guest went on running in the unwinding state until it called
    /// another suspending import or, resumed, rewound into another one,
    /// into it with the save stack not back where the unwind started, or
    /// trapped before its rewind reached it. The instance is poisoned.
    #[error(
        "import `{import}` suspended `{export}`, but the guest did not unwind from it: it went on running and {found} (the call of the import, or a function on the stack, was not instrumented to suspend)"
    )]
    NotSuspendable {
        /// The export that was called.
        export: String,
        /// `module.name` of the import that suspended.
        import: String,
        /// What the guest did instead of unwinding: `called import
        /// `...``, `rewound into import `...``, rewound into it with saved
        /// frames left over (or more restored than saved), or `trapped
        /// while rewinding toward it (...)`.
        found: String,
    },
    /// A fuel budget that cannot be used (zero).
    #[error("invalid fuel budget: {0}")]
    InvalidBudget(String),
    /// The module was not metered by `rewind fuel`: it does not export the
    /// mutable `i64` global `__rewind_fuel`.
    #[error(
        "the module is not metered (run `rewind fuel`): it does not export the mutable i64 global `__rewind_fuel`"
    )]
    NotMetered,
    /// A snapshot could not be taken, read or restored.
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// An earlier failure left the instance in a state it cannot continue
    /// from.
    #[error("the instance is unusable: {0}")]
    Poisoned(String),
}

/// Trap payload: a host future failed. Turned into [`Error::HostFuture`].
#[derive(Debug)]
pub(crate) struct ImportFailed {
    pub import: String,
    pub message: String,
}

impl fmt::Display for ImportFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host import `{}` failed: {}", self.import, self.message)
    }
}

impl wasmi::errors::HostError for ImportFailed {}

/// Trap payload: the driver itself could not go on (buffer placement,
/// protocol violation, an import that suspended where the module cannot).
/// Turned into the matching [`Error`].
#[derive(Debug)]
pub(crate) enum DriverTrap {
    Placement(String),
    Protocol(String),
    /// The guest did not unwind from `import`; what it did instead.
    NotSuspendable {
        import: String,
        found: String,
    },
}

impl fmt::Display for DriverTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriverTrap::Placement(m) => write!(f, "could not place a save buffer: {m}"),
            DriverTrap::Protocol(m) => write!(f, "Asyncify protocol violation: {m}"),
            DriverTrap::NotSuspendable { import, found } => write!(
                f,
                "Asyncify protocol violation: the guest did not unwind from import `{import}` and {found}"
            ),
        }
    }
}

impl wasmi::errors::HostError for DriverTrap {}

/// Formats value types as `[i32, f64]`.
pub(crate) fn types_to_string(types: impl IntoIterator<Item = wasmi::ValType>) -> String {
    let items: Vec<String> = types
        .into_iter()
        .map(|t| format!("{t:?}").to_lowercase())
        .collect();
    format!("[{}]", items.join(", "))
}

/// An error and its causes on one line: `error: cause: cause`.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
