//! Which instructions of a function can suspend: calls the analysis marked
//! as state-changing, and every block, loop or `if` that contains one.

use std::collections::HashSet;

use walrus::LocalFunction;
use walrus::ir::{Instr, InstrSeqId};

use crate::analysis::Analysis;
use crate::ir::children;

/// The suspending instructions of one function.
#[derive(Debug)]
pub(crate) struct Suspends<'a> {
    analysis: &'a Analysis,
    /// Sequences that contain a suspending call, at any depth.
    containing: HashSet<InstrSeqId>,
}

impl<'a> Suspends<'a> {
    /// Scans `func` bottom-up.
    pub fn scan(analysis: &'a Analysis, func: &LocalFunction) -> Self {
        let mut this = Suspends {
            analysis,
            containing: HashSet::new(),
        };
        this.visit(func, func.entry_block());
        this
    }

    fn visit(&mut self, func: &LocalFunction, seq: InstrSeqId) -> bool {
        let mut any = false;
        for (instr, _) in &func.block(seq).instrs {
            let mut here = self.is_call(instr);
            for child in children(instr) {
                here |= self.visit(func, child);
            }
            any |= here;
        }
        if any {
            self.containing.insert(seq);
        }
        any
    }

    /// Whether `instr` is a call that may change the unwind state.
    pub fn is_call(&self, instr: &Instr) -> bool {
        let a = self.analysis;
        match instr {
            Instr::Call(c) => a.changes_state.contains(&c.func),
            Instr::ReturnCall(c) => a.changes_state.contains(&c.func),
            Instr::CallIndirect(c) => a.suspending_types.contains(&c.ty),
            Instr::ReturnCallIndirect(c) => a.suspending_types.contains(&c.ty),
            Instr::CallRef(c) => a.suspending_types.contains(&c.ty),
            Instr::ReturnCallRef(c) => a.suspending_types.contains(&c.ty),
            _ => false,
        }
    }

    /// Whether the sequence contains a suspending call.
    pub fn contains(&self, seq: InstrSeqId) -> bool {
        self.containing.contains(&seq)
    }

    /// Whether `instr` can suspend: a suspending call, or a structured
    /// instruction around one.
    pub fn is_suspending(&self, instr: &Instr) -> bool {
        self.is_call(instr) || children(instr).into_iter().any(|s| self.contains(s))
    }
}
