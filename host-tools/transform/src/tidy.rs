//! Tidies what the rewrite leaves in an instrumented function once its
//! frame code is in place: a value spilled to a local and read back at once
//! (`local.set $x` then `local.get $x`, where the results of a piece are
//! the next code's operands) becomes `local.tee $x`, and the `local.tee`
//! goes too when nothing in the function reads `$x` (the frame code
//! included, so a local saved with the frame stays). An `if` that only
//! branches out (`if { br $l }`, the shape of a dispatch with a single
//! target) becomes `br_if $l`.

use std::collections::HashSet;

use walrus::LocalFunction;
use walrus::ir::{BrIf, IfElse, Instr, InstrSeqType, LocalTee};

use crate::ir::sequences;

/// Tidies `func` in place.
pub(crate) fn tidy(func: &mut LocalFunction) {
    let seqs = sequences(func);
    let mut read = HashSet::new();
    for &seq in &seqs {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        let mut rest = instrs.into_iter().peekable();
        while let Some((instr, loc)) = rest.next() {
            match (&instr, rest.peek()) {
                (Instr::LocalSet(set), Some((Instr::LocalGet(get), _)))
                    if set.local == get.local =>
                {
                    rest.next();
                    out.push((Instr::LocalTee(LocalTee { local: set.local }), loc));
                }
                (Instr::IfElse(branch), _) if let Some(target) = only_branch(func, branch) => {
                    out.push((Instr::BrIf(BrIf { block: target }), loc));
                }
                (Instr::LocalGet(get), _) => {
                    read.insert(get.local);
                    out.push((instr, loc));
                }
                _ => out.push((instr, loc)),
            }
        }
        func.block_mut(seq).instrs = out;
    }
    for &seq in &seqs {
        func.block_mut(seq)
            .instrs
            .retain(|(instr, _)| !matches!(instr, Instr::LocalTee(t) if !read.contains(&t.local)));
    }
}

/// The label `branch` jumps to when it is `if { br $l }` with nothing else:
/// no operands in or out, an empty `else`, `$l` outside the `if`.
fn only_branch(func: &LocalFunction, branch: &IfElse) -> Option<walrus::ir::InstrSeqId> {
    let then = func.block(branch.consequent);
    if then.ty != InstrSeqType::Simple(None) || !func.block(branch.alternative).instrs.is_empty() {
        return None;
    }
    match then.instrs.as_slice() {
        [(Instr::Br(br), _)] if br.block != branch.consequent => Some(br.block),
        _ => None,
    }
}
