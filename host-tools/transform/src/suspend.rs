//! Which instructions of a function can suspend: calls the analysis marked
//! as state-changing, and every block, loop, `if` or `try` that contains
//! one.

use std::collections::HashSet;

use walrus::LocalFunction;
use walrus::ir::{Instr, InstrSeqId};

use crate::analysis::Analysis;
use crate::ir::{Target, callee, children};

/// The suspending instructions of one function.
#[derive(Debug)]
pub(crate) struct Suspends<'a> {
    analysis: &'a Analysis,
    /// Sequences that contain a suspending call, at any depth.
    containing: HashSet<InstrSeqId>,
    /// Whether the function keeps its direct and table tail calls
    /// (`tail_calls.rs`): they are then no call sites of its own.
    keeps_tail_calls: bool,
}

impl<'a> Suspends<'a> {
    /// Scans `func` bottom-up, with an explicit stack: nesting depth costs
    /// heap, not native stack. With `ignore_catch` (Binaryen's
    /// `asyncify-ignore-unwind-from-catch`), calls inside legacy catch
    /// handlers are taken not to suspend: the handlers are not instrumented.
    /// With `keeps_tail_calls`, `return_call` and `return_call_indirect`
    /// are not suspending calls of this function.
    pub fn scan(
        analysis: &'a Analysis,
        func: &LocalFunction,
        ignore_catch: bool,
        keeps_tail_calls: bool,
    ) -> Self {
        let mut this = Suspends {
            analysis,
            containing: HashSet::new(),
            keeps_tail_calls,
        };
        // Sequences in pre-order with their parents; walking the list
        // backwards visits every child before its parent.
        let mut order: Vec<(InstrSeqId, Option<InstrSeqId>)> = vec![(func.entry_block(), None)];
        let mut i = 0;
        while i < order.len() {
            let (seq, _) = order[i];
            for (instr, _) in &func.block(seq).instrs {
                if this.is_call(instr) {
                    this.containing.insert(seq);
                }
                match instr {
                    Instr::Try(t) if ignore_catch => order.push((t.seq, Some(seq))),
                    _ => order.extend(children(instr).map(|c| (c, Some(seq)))),
                }
            }
            i += 1;
        }
        for (seq, parent) in order.into_iter().rev() {
            if let Some(parent) = parent
                && this.containing.contains(&seq)
            {
                this.containing.insert(parent);
            }
        }
        this
    }

    /// Whether `instr` is a call that may change the unwind state.
    pub fn is_call(&self, instr: &Instr) -> bool {
        let a = self.analysis;
        let site = callee(instr);
        if self.keeps_tail_calls
            && site.is_some_and(|s| s.tail && !matches!(s.target, Target::Ref(_)))
        {
            return false;
        }
        match site.map(|site| site.target) {
            Some(Target::Func(f)) => a.changes_state.contains(&f),
            Some(Target::Table(ty, _) | Target::Ref(ty)) => a.suspending_types.contains(&ty),
            None => false,
        }
    }

    /// Whether the sequence contains a suspending call.
    pub fn contains(&self, seq: InstrSeqId) -> bool {
        self.containing.contains(&seq)
    }

    /// Whether `instr` can suspend: a suspending call, or a structured
    /// instruction around one.
    pub fn is_suspending(&self, instr: &Instr) -> bool {
        self.is_call(instr) || children(instr).any(|s| self.contains(s))
    }
}
