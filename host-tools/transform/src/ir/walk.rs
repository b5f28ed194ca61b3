//! Walking and rewriting walrus's instruction tree without recursion: the
//! sequences an instruction owns, every sequence of a function, branch
//! retargeting, and deep copies of nested code.

use std::collections::HashMap;

use walrus::LocalFunction;
use walrus::ir::{Instr, InstrLocId, InstrSeqId, LegacyCatch, TryTableCatch};

use super::Code;
use super::calls::callee;

/// The nested sequences an instruction owns, in order (without
/// allocating: this runs for every instruction of every walk).
pub(crate) fn children(instr: &Instr) -> impl DoubleEndedIterator<Item = InstrSeqId> + '_ {
    let (first, second, catches): (_, _, &[LegacyCatch]) = match instr {
        Instr::Block(b) => (Some(b.seq), None, &[]),
        Instr::Loop(l) => (Some(l.seq), None, &[]),
        Instr::IfElse(i) => (Some(i.consequent), Some(i.alternative), &[]),
        Instr::TryTable(t) => (Some(t.seq), None, &[]),
        Instr::Try(t) => (Some(t.seq), None, &t.catches),
        _ => (None, None, &[]),
    };
    let handlers = catches.iter().filter_map(|c| match c {
        LegacyCatch::Catch { handler, .. } | LegacyCatch::CatchAll { handler } => Some(*handler),
        LegacyCatch::Delegate { .. } => None,
    });
    first.into_iter().chain(second).chain(handlers)
}

/// Every sequence of the function reachable from its entry, outer first.
pub(crate) fn sequences(func: &LocalFunction) -> Vec<InstrSeqId> {
    sequences_from(func, func.entry_block())
}

/// `root` and every sequence nested in it, outer first.
pub(crate) fn sequences_from(func: &LocalFunction, root: InstrSeqId) -> Vec<InstrSeqId> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        for (instr, _) in &func.block(out[i]).instrs {
            out.extend(children(instr));
        }
        i += 1;
    }
    out
}

/// Whether `instr` never falls through to the next instruction.
pub(crate) fn diverges(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Unreachable(_)
            | Instr::Return(_)
            | Instr::Br(_)
            | Instr::BrTable(_)
            | Instr::Throw(_)
            | Instr::ThrowRef(_)
            | Instr::Rethrow(_)
    ) || callee(instr).is_some_and(|c| c.tail)
}

/// Calls `f` on every instruction of `func` from sequence `root` down,
/// nested ones included.
pub(crate) fn for_each_instr(func: &LocalFunction, root: InstrSeqId, mut f: impl FnMut(&Instr)) {
    let mut pending = vec![root];
    while let Some(seq) = pending.pop() {
        for (instr, _) in &func.block(seq).instrs {
            f(instr);
            pending.extend(children(instr));
        }
    }
}

/// The labels `instr` branches to.
pub(crate) fn branch_targets(instr: &Instr) -> Vec<InstrSeqId> {
    branch_targets_mut(&mut instr.clone())
        .into_iter()
        .map(|t| *t)
        .collect()
}

/// The labels `instr` branches to, for rewriting.
fn branch_targets_mut(instr: &mut Instr) -> Vec<&mut InstrSeqId> {
    match instr {
        Instr::Br(b) => vec![&mut b.block],
        Instr::BrIf(b) => vec![&mut b.block],
        Instr::BrOnNull(b) => vec![&mut b.block],
        Instr::BrOnNonNull(b) => vec![&mut b.block],
        Instr::BrOnCast(b) => vec![&mut b.block],
        Instr::BrOnCastFail(b) => vec![&mut b.block],
        Instr::BrTable(t) => std::iter::once(&mut t.default)
            .chain(t.blocks.iter_mut())
            .collect(),
        Instr::TryTable(t) => t
            .catches
            .iter_mut()
            .map(|c| match c {
                TryTableCatch::Catch { label, .. }
                | TryTableCatch::CatchRef { label, .. }
                | TryTableCatch::CatchAll { label }
                | TryTableCatch::CatchAllRef { label } => label,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Makes every branch below `root` that targets `from` target `to`.
pub(crate) fn retarget(
    func: &mut LocalFunction,
    root: InstrSeqId,
    from: InstrSeqId,
    to: InstrSeqId,
) {
    let mut pending = vec![root];
    while let Some(seq) = pending.pop() {
        for (instr, _) in func.block_mut(seq).instrs.iter_mut() {
            for target in branch_targets_mut(instr) {
                if *target == from {
                    *target = to;
                }
            }
            pending.extend(children(instr));
        }
    }
}

/// Every sequence nested in `code`, at any depth, outer ones first.
pub(crate) fn nested_seqs(func: &LocalFunction, code: &[(Instr, InstrLocId)]) -> Vec<InstrSeqId> {
    let mut nested: Vec<InstrSeqId> = code.iter().flat_map(|(i, _)| children(i)).collect();
    let mut i = 0;
    while let Some(seq) = nested.get(i) {
        let inner: Vec<InstrSeqId> = func
            .block(*seq)
            .instrs
            .iter()
            .flat_map(|(instr, _)| children(instr))
            .collect();
        nested.extend(inner);
        i += 1;
    }
    nested
}

/// Copies `code` and every sequence nested in it. In the copy, nested
/// instructions own the copies of their sequences and branches (and
/// `try_table` catch labels) go to the copy of their target, or through
/// `map`, which may be seeded to send branches to outer labels elsewhere;
/// other labels stay. On return `map` also holds the copy of every copied
/// sequence. `rethrow` and `delegate` depths are relative and the copy
/// keeps the nesting, so they stay right.
pub(crate) fn copy_code(
    func: &mut LocalFunction,
    code: &[(Instr, InstrLocId)],
    map: &mut HashMap<InstrSeqId, InstrSeqId>,
) -> Code {
    let nested = nested_seqs(func, code);
    for seq in &nested {
        let ty = func.block(*seq).ty;
        let copy = func.builder_mut().dangling_instr_seq(ty).id();
        map.insert(*seq, copy);
    }
    let remapped = |code: &[(Instr, InstrLocId)]| {
        let mut code = code.to_vec();
        let swap = |id: &mut InstrSeqId| {
            if let Some(to) = map.get(id) {
                *id = *to;
            }
        };
        for (instr, _) in code.iter_mut() {
            match instr {
                Instr::Block(b) => swap(&mut b.seq),
                Instr::Loop(l) => swap(&mut l.seq),
                Instr::IfElse(c) => {
                    swap(&mut c.consequent);
                    swap(&mut c.alternative);
                }
                Instr::Try(t) => {
                    swap(&mut t.seq);
                    for c in t.catches.iter_mut() {
                        if let LegacyCatch::Catch { handler, .. }
                        | LegacyCatch::CatchAll { handler } = c
                        {
                            swap(handler);
                        }
                    }
                }
                Instr::TryTable(t) => {
                    swap(&mut t.seq);
                    branch_targets_mut(instr).into_iter().for_each(swap);
                }
                _ => branch_targets_mut(instr).into_iter().for_each(swap),
            }
        }
        code
    };
    for seq in &nested {
        let copied = remapped(&func.block(*seq).instrs);
        func.block_mut(map[seq]).instrs = copied;
    }
    remapped(code)
}
