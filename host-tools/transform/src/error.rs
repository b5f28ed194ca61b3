//! Everything that can go wrong, as values: bad input, bad options,
//! constructs the transform does not handle. Nothing here panics.

use std::error::Error as StdError;

/// An error from the transform. The `Display` text is one line; the cause,
/// where there is one, is in `source()`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written (`asyncify_file`).
    #[error("cannot read or write `{0}`")]
    Io(String, #[source] std::io::Error),
    /// The input is neither a valid binary nor a valid text module.
    #[error("failed to parse the input module")]
    Parse(#[source] Box<dyn StdError + Send + Sync>),
    /// An option is malformed or contradicts another.
    #[error("invalid options: {0}")]
    Options(String),
    /// The module has no memory to hold the save stack.
    #[error("the module has no memory to hold the save stack")]
    NoMemory,
    /// `--memory` names no memory of the module.
    #[error("no memory named `{0}` (give an export name or a name-section name)")]
    UnknownMemory(String),
    /// The module defines or exports a name the ABI needs.
    #[error("the module already defines `{0}`: is it already instrumented?")]
    AlreadyInstrumented(String),
    /// A construct the transform cannot instrument, in a function that must
    /// be instrumented.
    #[error(
        "in function `{function}`: {construct} is not supported in a function that may suspend"
    )]
    Unsupported {
        /// The function, by name-section name or `func[INDEX]`.
        function: String,
        /// What was found there.
        construct: String,
    },
    /// The module imports a Rewind extension that cannot be provided.
    #[error("{0}")]
    Extension(String),
    /// An instrumented function outgrew a limit engines enforce (the size
    /// of a function body, the number of locals, ...).
    #[error(
        "in function `{function}`: the instrumented code exceeds an engine limit ({detail}); instrument fewer functions (--only-list, --remove-list) or split this one"
    )]
    Limit {
        /// The function, by name-section name or `func[INDEX]`.
        function: String,
        /// The limit, in the validator's words.
        detail: String,
    },
    /// The instrumented module failed validation: a bug in the transform.
    #[error(
        "the instrumented module does not validate in function `{function}` (this is a bug in rewind-transform)"
    )]
    InvalidOutput {
        /// The function the validator stopped in.
        function: String,
        /// What the validator found.
        #[source]
        source: wasmparser::BinaryReaderError,
    },
    /// A function the transform leaves alone could not be copied from the
    /// input: a bug in rewind-transform.
    #[error(
        "cannot copy function `{function}` from the input (this is a bug in rewind-transform): {detail}"
    )]
    Copy {
        /// The function, as `func[INPUT INDEX]`, or `(module)`.
        function: String,
        /// What went wrong.
        detail: String,
    },
}

/// Result alias for the transform.
pub type Result<T, E = Error> = std::result::Result<T, E>;
