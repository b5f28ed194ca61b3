//! The `if`s the flow rewrite adds around original code, by kind, so that
//! the passes after it (liveness, the fast path) know what each one tests
//! without matching instruction shapes.

use std::collections::HashMap;

use walrus::ir::InstrSeqId;

/// What a generated `if` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GuardKind {
    /// `state != NORMAL` at the bottom of a ladder: entered only while
    /// rewinding (its `then` jumps to the rung of the recorded site).
    Rewinding,
    /// `state == UNWINDING` after a suspending call: leaves for the frame
    /// save when the callee unwound.
    Unwind,
}

/// One generated `if`: its kind and how many instructions before it
/// compute its condition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Guard {
    pub kind: GuardKind,
    pub condition_len: usize,
}

/// The generated `if`s of one function, by their `then` sequences.
#[derive(Debug, Default)]
pub(crate) struct Guards(HashMap<InstrSeqId, Guard>);

impl Guards {
    /// Records the `if` whose `then` is `consequent`.
    pub fn record(&mut self, consequent: InstrSeqId, kind: GuardKind, condition_len: usize) {
        self.0.insert(
            consequent,
            Guard {
                kind,
                condition_len,
            },
        );
    }

    /// The guard whose `then` is `consequent`, if the rewrite added it.
    pub fn get(&self, consequent: InstrSeqId) -> Option<Guard> {
        self.0.get(&consequent).copied()
    }

    /// The kind of the guard whose `then` is `consequent`.
    pub fn kind(&self, consequent: InstrSeqId) -> Option<GuardKind> {
        self.get(consequent).map(|g| g.kind)
    }
}
