//! What the metering pass tells the asyncify stage about a metered module:
//! where its fuel checks are, how long each function's counter load is,
//! and the fuel global and its accessors (which a rewind's parking of the
//! counter concerns, see `parked_fuel.rs`).

use std::collections::HashMap;

use walrus::ir::InstrSeqId;
use walrus::{FunctionId, GlobalId};

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
    /// The fuel global (`__rewind_fuel`), which a rewind parks (see
    /// `parked_fuel.rs`).
    pub fuel: Option<GlobalId>,
    /// The functions that `rewind.get_fuel` and `rewind.set_fuel` became,
    /// which must see through a parked counter.
    pub fuel_accessors: Vec<FunctionId>,
}
