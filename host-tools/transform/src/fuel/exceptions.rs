//! Keeping the counter exact when an exception crosses a function.
//!
//! Inside a function the counter lives in a local that is stored to the
//! global before every call and reloaded after it returns. A call that
//! throws does not return: its charges are in the global, and the local is
//! stale. So the local is reloaded wherever an exception lands:
//!
//! * at the start of every legacy `catch`/`catch_all` handler;
//! * for a `try_table`, in a landing pad per catch clause: the clause
//!   branches to a new block, which reloads the counter and branches on to
//!   the clause's label with the same values, so that ordinary branches to
//!   that label (whose local is current, maybe ahead of the global) do not
//!   reload.
//!
//! ```text
//! try_table (catch $e $h) BODY end     block $after (result R)
//!                                        block $pad (result T)
//!                                          try_table (catch $e $pad) BODY end
//!                                          br $after
//!                                        end
//!                                        counter = global
//!                                        br $h
//!                                      end
//! ```
//!
//! (`throw` itself stores the counter first, so a handler in the same
//! function reloads what the thrower charged.) The pads run after metering:
//! they are never charged.

use std::collections::HashSet;

use walrus::ir::{Block, Br, Instr, InstrSeqId, InstrSeqType, LegacyCatch, TryTableCatch};
use walrus::{LocalFunction, ModuleTypes, ValType};

use crate::ir::{Code, at, sequences};

/// Reloads the counter (`reload`) wherever an exception lands in `func`.
pub(super) fn reload_where_exceptions_land(
    func: &mut LocalFunction,
    types: &mut ModuleTypes,
    reload: &Code,
) {
    let loops: HashSet<InstrSeqId> = sequences(func)
        .into_iter()
        .flat_map(|s| func.block(s).instrs.iter())
        .filter_map(|(i, _)| match i {
            Instr::Loop(l) => Some(l.seq),
            _ => None,
        })
        .collect();
    for seq in sequences(func) {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            match instr {
                Instr::Try(t) => {
                    for c in &t.catches {
                        if let LegacyCatch::Catch { handler, .. }
                        | LegacyCatch::CatchAll { handler } = c
                        {
                            func.block_mut(*handler)
                                .instrs
                                .splice(0..0, reload.iter().cloned());
                        }
                    }
                    out.push((Instr::Try(t), loc));
                }
                Instr::TryTable(t) if !t.catches.is_empty() => {
                    out.push((landing_pads(func, types, &loops, t, reload), loc));
                }
                other => out.push((other, loc)),
            }
        }
        func.block_mut(seq).instrs = out;
    }
}

/// The `try_table` `t` with a landing pad per catch clause (see the module
/// doc), as the block that replaces it.
fn landing_pads(
    func: &mut LocalFunction,
    types: &mut ModuleTypes,
    loops: &HashSet<InstrSeqId>,
    mut t: walrus::ir::TryTable,
    reload: &Code,
) -> Instr {
    let results = seq_types(types, func.block(t.seq).ty).1;
    let after_ty = InstrSeqType::new(types, &[], &results);
    let after = func.builder_mut().dangling_instr_seq(after_ty).id();
    let mut pads = Vec::new();
    for c in t.catches.iter_mut() {
        let label = match c {
            TryTableCatch::Catch { label, .. }
            | TryTableCatch::CatchRef { label, .. }
            | TryTableCatch::CatchAll { label }
            | TryTableCatch::CatchAllRef { label } => label,
        };
        let (params, results) = seq_types(types, func.block(*label).ty);
        let carried = if loops.contains(label) {
            params
        } else {
            results
        };
        let pad_ty = InstrSeqType::new(types, &[], &carried);
        let pad = func.builder_mut().dangling_instr_seq(pad_ty).id();
        pads.push((pad, *label));
        *label = pad;
    }
    let mut inner = vec![at(Instr::TryTable(t)), at(Instr::Br(Br { block: after }))];
    for (pad, target) in pads {
        func.block_mut(pad).instrs = inner;
        inner = vec![at(Instr::Block(Block { seq: pad }))];
        inner.extend(reload.iter().cloned());
        inner.push(at(Instr::Br(Br { block: target })));
    }
    func.block_mut(after).instrs = inner;
    Instr::Block(Block { seq: after })
}

/// Parameters and results of a block type.
fn seq_types(types: &ModuleTypes, ty: InstrSeqType) -> (Vec<ValType>, Vec<ValType>) {
    match ty {
        InstrSeqType::Simple(None) => (Vec::new(), Vec::new()),
        InstrSeqType::Simple(Some(t)) => (Vec::new(), vec![t]),
        InstrSeqType::MultiValue(id) => {
            let t = types.get(id);
            (t.params().to_vec(), t.results().to_vec())
        }
    }
}
