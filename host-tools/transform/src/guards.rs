//! The rewind dispatches the flow rewrite adds (`if state != NORMAL {
//! br_table ... }` at the bottom of each ladder), so that the passes after
//! it (liveness, the fast path, the frame restore) know them without
//! matching instruction shapes: they are entered only while rewinding.

use std::collections::HashMap;

use walrus::ir::{Instr, InstrSeqId};
use walrus::{GlobalId, LocalFunction};

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

    /// The dispatch that entering `body` reaches before any other
    /// instruction (only `block`s opened on the way), as its `then`
    /// sequence. A function's frame can be restored there instead of on
    /// entry: the dispatch's test is the same question (a function is
    /// entered in a state other than normal only by a rewind), and nothing
    /// before it reads a local.
    pub fn entry(
        &self,
        func: &LocalFunction,
        body: InstrSeqId,
        state: GlobalId,
    ) -> Option<InstrSeqId> {
        let mut seq = body;
        loop {
            match func.block(seq).instrs.as_slice() {
                [(Instr::Block(b), _), ..] => seq = b.seq,
                [(Instr::GlobalGet(g), _), (Instr::IfElse(i), _), ..]
                    if g.global == state
                        && self.get(i.consequent).is_some_and(|g| g.condition_len == 1) =>
                {
                    return Some(i.consequent);
                }
                _ => return None,
            }
        }
    }
}
