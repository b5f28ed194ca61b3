//! Local coalescing: after an instrumented function is complete, locals of
//! the same number type that are never live at the same time share one
//! slot. The flow rewrite adds a spill local for every operand kept across
//! a suspending call, and most of them live for a few instructions; an
//! interpreter zeroes every local on each call, so their number costs time
//! as well as bytes.
//!
//! Which locals take part: those the frame does not carry (not saved, not
//! the call-site number), not parameters, of a number type. Their values
//! never matter while rewinding: the frame restores everything a rewind
//! reads (spilled `if` conditions included), and the only other reads on
//! the way to a call site are that call's own operands, which a rewinding
//! callee ignores. So interference is computed over normal-state execution
//! alone, with the rewind dispatches taken as never entered
//! ([`interference`]).
//!
//! Slots are given greedily in order of first appearance; a merged local
//! takes the number of the first local of its slot. Functions with more
//! than [`MAX_CANDIDATES`] candidates are left alone (the interference rows
//! grow with the square of their number).

use std::collections::{HashMap, HashSet};

use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId, ModuleLocals, ValType};

use crate::guards::Guards;
use crate::ir::{for_each_instr, sequences};
use crate::liveness::interference;

/// The most candidate locals a function may have to be coalesced.
pub(crate) const MAX_CANDIDATES: usize = 4096;

/// Merges the non-interfering candidates of `func` (see the module doc);
/// `keep` are the locals that must keep their own slots (the frame's).
/// Returns how many locals were merged away.
pub(crate) fn coalesce(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    guards: &Guards,
    keep: &HashSet<LocalId>,
) -> usize {
    let entry = func.entry_block();
    let params: HashSet<LocalId> = func.args.iter().copied().collect();
    let guarded = guarded_locals(func, guards);
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for_each_instr(func, entry, |instr| {
        let local = match instr {
            Instr::LocalGet(l) => l.local,
            Instr::LocalSet(l) => l.local,
            Instr::LocalTee(l) => l.local,
            _ => return,
        };
        let number = matches!(
            locals.get(local).ty(),
            ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 | ValType::V128
        );
        if number
            && !params.contains(&local)
            && !keep.contains(&local)
            && !guarded.contains(&local)
            && seen.insert(local)
        {
            candidates.push(local);
        }
    });
    if candidates.len() < 2 || candidates.len() > MAX_CANDIDATES {
        return 0;
    }
    let rows = interference(func, entry, guards, &candidates);
    // slot[i]: the candidate whose slot candidate i takes.
    let mut slots: Vec<usize> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut slot_of = vec![0; candidates.len()];
    for i in 0..candidates.len() {
        let ty = locals.get(candidates[i]).ty();
        let free = (0..slots.len()).find(|&s| {
            locals.get(candidates[slots[s]]).ty() == ty
                && members[s].iter().all(|m| rows[i].binary_search(m).is_err())
        });
        match free {
            Some(s) => {
                members[s].push(i);
                slot_of[i] = s;
            }
            None => {
                slot_of[i] = slots.len();
                slots.push(i);
                members.push(vec![i]);
            }
        }
    }
    let renamed: HashMap<LocalId, LocalId> = (0..candidates.len())
        .filter(|&i| slots[slot_of[i]] != i)
        .map(|i| (candidates[i], candidates[slots[slot_of[i]]]))
        .collect();
    if renamed.is_empty() {
        return 0;
    }
    for seq in sequences(func) {
        for (instr, _) in &mut func.block_mut(seq).instrs {
            let local = match instr {
                Instr::LocalGet(l) => &mut l.local,
                Instr::LocalSet(l) => &mut l.local,
                Instr::LocalTee(l) => &mut l.local,
                _ => continue,
            };
            if let Some(to) = renamed.get(local) {
                *local = *to;
            }
        }
    }
    renamed.len()
}

/// The locals the rewind dispatches themselves read (the call-site
/// number): the interference analysis does not see inside them.
fn guarded_locals(func: &LocalFunction, guards: &Guards) -> HashSet<LocalId> {
    let mut out = HashSet::new();
    let mut consequents: Vec<InstrSeqId> = Vec::new();
    for seq in sequences(func) {
        for (instr, _) in &func.block(seq).instrs {
            if let Instr::IfElse(i) = instr
                && guards.get(i.consequent).is_some()
            {
                consequents.push(i.consequent);
            }
        }
    }
    for seq in consequents {
        for_each_instr(func, seq, |instr| match instr {
            Instr::LocalGet(l) => {
                out.insert(l.local);
            }
            Instr::LocalSet(l) => {
                out.insert(l.local);
            }
            Instr::LocalTee(l) => {
                out.insert(l.local);
            }
            _ => {}
        });
    }
    out
}
