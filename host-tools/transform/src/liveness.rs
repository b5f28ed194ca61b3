//! Which locals are live after each suspending call.
//!
//! A backward dataflow analysis over the structured instruction tree: a
//! `block` label carries the set live after the block, a `loop` label the
//! set live at the loop head (found by iterating to a fixed point; the
//! label sets only grow, so they are kept across outer iterations), and
//! each arm of an `if` starts from the set live after it. Only the locals
//! the function mentions are tracked, in a dense bit set.

use std::collections::{HashMap, HashSet};

use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId};

use crate::guards::{GuardKind, Guards};
use crate::ir::{diverges, for_each_instr};

/// A set of locals, as bits over the function's dense local numbering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn insert(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn remove(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }
    fn union(&mut self, other: &Bits) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    fn is_subset(&self, other: &Bits) -> bool {
        self.0
            .iter()
            .enumerate()
            .all(|(i, a)| a & !other.0.get(i).copied().unwrap_or(0) == 0)
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}

struct Analysis<'a> {
    func: &'a LocalFunction,
    index: HashMap<LocalId, usize>,
    labels: HashMap<InstrSeqId, Bits>,
    points: &'a HashSet<(InstrSeqId, usize)>,
    guards: &'a Guards,
    found: Bits,
}

/// The union of the locals live right after any of `points` (positions of
/// suspending calls), analysing the code reachable from `body`. Branches to
/// labels not inside `body` count as leaving the function. After a resumed
/// call the state is normal: [`GuardKind::Normal`] guards are taken as
/// always entered, [`GuardKind::Rewinding`] ones as never entered.
pub(crate) fn live_after(
    func: &LocalFunction,
    body: InstrSeqId,
    points: &HashSet<(InstrSeqId, usize)>,
    guards: &Guards,
) -> Vec<LocalId> {
    let mut index = HashMap::new();
    let mut order = Vec::new();
    for_each_instr(func, body, |instr| {
        let local = match instr {
            Instr::LocalGet(l) => l.local,
            Instr::LocalSet(l) => l.local,
            Instr::LocalTee(l) => l.local,
            _ => return,
        };
        index.entry(local).or_insert_with(|| {
            order.push(local);
            order.len() - 1
        });
    });
    let mut a = Analysis {
        func,
        index,
        labels: HashMap::new(),
        points,
        guards,
        found: Bits::default(),
    };
    a.labels.insert(body, Bits::default());
    a.sequence(body, Bits::default());
    a.found.iter().map(|i| order[i]).collect()
}

impl Analysis<'_> {
    fn label(&self, seq: InstrSeqId) -> Bits {
        self.labels.get(&seq).cloned().unwrap_or_default()
    }

    fn sequence(&mut self, seq: InstrSeqId, live_out: Bits) -> Bits {
        let mut live = live_out;
        let func = self.func;
        for (pos, (instr, _)) in func.block(seq).instrs.iter().enumerate().rev() {
            if self.points.contains(&(seq, pos)) {
                self.found.union(&live);
            }
            live = self.transfer(instr, live);
        }
        live
    }

    fn transfer(&mut self, instr: &Instr, mut live: Bits) -> Bits {
        match instr {
            Instr::LocalGet(l) => live.insert(self.index[&l.local]),
            Instr::LocalSet(l) => live.remove(self.index[&l.local]),
            Instr::LocalTee(l) => live.remove(self.index[&l.local]),
            Instr::Br(b) => live = self.label(b.block),
            Instr::BrIf(b) => live.union(&self.label(b.block)),
            Instr::BrOnNull(b) => live.union(&self.label(b.block)),
            Instr::BrOnNonNull(b) => live.union(&self.label(b.block)),
            Instr::BrOnCast(b) => live.union(&self.label(b.block)),
            Instr::BrOnCastFail(b) => live.union(&self.label(b.block)),
            Instr::BrTable(t) => {
                let mut all = self.label(t.default);
                for b in t.blocks.iter() {
                    all.union(&self.label(*b));
                }
                live = all;
            }
            // Branches were handled above; what else never falls through
            // leaves the function.
            other if diverges(other) => live = Bits::default(),
            Instr::Block(b) => {
                self.labels.insert(b.seq, live.clone());
                live = self.sequence(b.seq, live);
            }
            Instr::IfElse(i) if self.guards.kind(i.consequent) == Some(GuardKind::Rewinding) => {}
            Instr::IfElse(i) if self.guards.kind(i.consequent) == Some(GuardKind::Normal) => {
                self.labels.insert(i.consequent, live.clone());
                live = self.sequence(i.consequent, live);
            }
            Instr::IfElse(i) => {
                self.labels.insert(i.consequent, live.clone());
                self.labels.insert(i.alternative, live.clone());
                let mut then = self.sequence(i.consequent, live.clone());
                then.union(&self.sequence(i.alternative, live));
                live = then;
            }
            Instr::Loop(l) => {
                self.labels.entry(l.seq).or_default();
                loop {
                    let head = self.sequence(l.seq, live.clone());
                    let known = self.labels.get_mut(&l.seq).expect("label registered above");
                    if head.is_subset(known) {
                        live = head;
                        break;
                    }
                    known.union(&head);
                }
            }
            _ => {}
        }
        live
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn bit_sets_grow_and_compare() {
        let mut a = Bits::default();
        a.insert(3);
        a.insert(130);
        let mut b = Bits::default();
        b.insert(3);
        assert!(b.is_subset(&a));
        assert!(!a.is_subset(&b));
        b.union(&a);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![3, 130]);
        b.remove(130);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![3]);
    }
}
