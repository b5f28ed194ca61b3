//! What the metering pass tells the asyncify stage about a metered module:
//! where its fuel checks are and how long each function's counter load is.

use std::collections::HashMap;

use walrus::FunctionId;
use walrus::ir::InstrSeqId;

/// What the asyncify stage needs to know about a metered module.
#[derive(Debug, Default)]
pub(crate) struct Hints {
    /// The `then` sequence of each check's `if`, with the number of
    /// instructions of its condition, which directly precede the `if` (see
    /// `flow.rs`).
    pub checks: HashMap<InstrSeqId, usize>,
    /// Functions whose body starts by loading the counter, with the length
    /// of that code: it may run before the frame is restored, which
    /// overwrites the counter with its saved value (see `transform.rs`).
    pub prologue: HashMap<FunctionId, usize>,
}
