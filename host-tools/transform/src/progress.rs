//! How far a transform has got, for progress displays on big inputs.

/// A step of a transform. Reported in order; `Instrumenting` repeatedly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The module is parsed.
    Parsed,
    /// The metering pass is done (`meter` only).
    Metered,
    /// The analysis is done: `functions` will be instrumented.
    Analysed {
        /// Functions selected for instrumentation.
        functions: usize,
    },
    /// `done` of `total` selected functions are instrumented (every 256
    /// functions, and once at the end).
    Instrumenting {
        /// Functions done.
        done: usize,
        /// Functions selected.
        total: usize,
    },
    /// The output is encoded; validation follows.
    Emitted,
}

/// Every how many functions `Instrumenting` is reported.
pub(crate) const EVERY: usize = 256;
