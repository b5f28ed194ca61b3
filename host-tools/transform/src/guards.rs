//! The rewind dispatches the flow rewrite adds (`if state != NORMAL {
//! br_table ... }` at the bottom of each ladder), so that the passes after
//! it (liveness, the fast path) know them without matching instruction
//! shapes: they are entered only while rewinding.

use std::collections::HashMap;

use walrus::ir::InstrSeqId;

/// One rewind dispatch: how many instructions before its `if` compute its
/// condition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guard {
    pub condition_len: usize,
}

/// The rewind dispatches of one function, by their `then` sequences.
#[derive(Debug, Default)]
pub(crate) struct Guards(HashMap<InstrSeqId, Guard>);

impl Guards {
    /// Records the dispatch whose `then` is `consequent`.
    pub fn record(&mut self, consequent: InstrSeqId, condition_len: usize) {
        self.0.insert(consequent, Guard { condition_len });
    }

    /// The dispatch whose `then` is `consequent`, if the rewrite added it.
    pub fn get(&self, consequent: InstrSeqId) -> Option<Guard> {
        self.0.get(&consequent).copied()
    }
}
