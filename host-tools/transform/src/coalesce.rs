//! Local coalescing: after an instrumented function is complete, locals of
//! the same number type that are never live at the same time share one
//! slot. The flow rewrite adds a spill local for every operand kept across
//! a suspending call, and most of them live for a few instructions; an
//! interpreter zeroes every local on each call, so their number costs time
//! as well as bytes.
//!
//! Which locals take part: those of the rewritten body that the frame does
//! not carry (not saved, not the call-site number), not parameters, of a
//! number type, and not mentioned outside the body (by the frame code, or
//! by the body's copy under `--fast-path`, which the analysis does not
//! see). Their values never matter while rewinding: the frame restores
//! everything a rewind reads (spilled `if` conditions included), and the
//! only other reads on the way to a call site are that call's own
//! operands, which a rewinding callee ignores. So interference comes from
//! the liveness of normal-state execution that already chose the saved
//! locals ([`Liveness::interference`]); the clean-up after it only turns
//! `local.set`/`local.get` pairs into `local.tee` and drops unread ones,
//! which never adds a write.
//!
//! Slots are given greedily in order of first appearance; a merged local
//! takes the number of the first local of its slot. Functions with more
//! than [`MAX_CANDIDATES`] candidates are left alone (the interference rows
//! grow with the square of their number).

use std::collections::{HashMap, HashSet};

use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId, ModuleLocals, ValType};

use crate::ir::{sequences, sequences_from};
use crate::liveness::Liveness;

/// The most candidate locals a function may have to be coalesced.
pub(crate) const MAX_CANDIDATES: usize = 4096;

/// Merges the non-interfering candidates of `func`, whose rewritten body
/// `body` was analysed into `liveness` (see the module doc); `keep` are the
/// locals the frame carries. Returns how many locals were merged away.
pub(crate) fn coalesce(
    func: &mut LocalFunction,
    locals: &ModuleLocals,
    liveness: &Liveness,
    body: InstrSeqId,
    keep: &HashSet<LocalId>,
) -> usize {
    let seqs = sequences(func);
    let inside: HashSet<InstrSeqId> = sequences_from(func, body).into_iter().collect();
    let mut outside = HashSet::new();
    for seq in seqs.iter().filter(|s| !inside.contains(s)) {
        for (instr, _) in &func.block(*seq).instrs {
            if let Some(local) = accessed(instr) {
                outside.insert(local);
            }
        }
    }
    let params: HashSet<LocalId> = func.args.iter().copied().collect();
    let candidates: Vec<LocalId> = liveness
        .locals()
        .filter(|l| {
            matches!(
                locals.get(*l).ty(),
                ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 | ValType::V128
            ) && !params.contains(l)
                && !keep.contains(l)
                && !outside.contains(l)
        })
        .collect();
    if candidates.len() < 2 || candidates.len() > MAX_CANDIDATES {
        return 0;
    }
    let rows = liveness.interference(&candidates);
    // The first candidate of each slot, and the candidates in it.
    let mut firsts: Vec<usize> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut renamed = HashMap::new();
    for i in 0..candidates.len() {
        let ty = locals.get(candidates[i]).ty();
        let free = (0..firsts.len()).find(|&s| {
            locals.get(candidates[firsts[s]]).ty() == ty
                && members[s].iter().all(|m| rows[i].binary_search(m).is_err())
        });
        match free {
            Some(s) => {
                members[s].push(i);
                renamed.insert(candidates[i], candidates[firsts[s]]);
            }
            None => {
                firsts.push(i);
                members.push(vec![i]);
            }
        }
    }
    if renamed.is_empty() {
        return 0;
    }
    for seq in inside {
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

/// The local `instr` reads or writes, if any.
fn accessed(instr: &Instr) -> Option<LocalId> {
    match instr {
        Instr::LocalGet(l) => Some(l.local),
        Instr::LocalSet(l) => Some(l.local),
        Instr::LocalTee(l) => Some(l.local),
        _ => None,
    }
}
