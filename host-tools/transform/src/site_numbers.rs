//! Call-site numbers nothing reads. The flow rewrite records the site
//! number before every unwind check (`site = k; br_if $unwind (state)`),
//! and the rewind dispatches read it to pick the rung to re-enter. A
//! function whose dispatches never need to choose (one suspending call
//! site, the common case for small functions) never reads it: then the
//! writes go, and the frame does not carry the number, which saves a store
//! per call in normal state, four bytes of frame and the code that moves
//! them.

use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId};

use crate::ir::sequences_from;

/// Removes the `i32.const k; local.set site` pairs from the code reachable
/// from `body` when that is all the code does with `site`; returns whether
/// it did (`false`: something reads the number, nothing changed).
pub(crate) fn drop_unread(func: &mut LocalFunction, body: InstrSeqId, site: LocalId) -> bool {
    let seqs = sequences_from(func, body);
    let mut writes = Vec::new();
    for &seq in &seqs {
        let instrs = &func.block(seq).instrs;
        for (i, (instr, _)) in instrs.iter().enumerate() {
            let recorded = match instr {
                Instr::LocalSet(s) if s.local == site => {
                    i > 0 && matches!(instrs[i - 1].0, Instr::Const(_))
                }
                Instr::LocalGet(g) if g.local == site => false,
                Instr::LocalTee(t) if t.local == site => false,
                _ => continue,
            };
            if !recorded {
                return false;
            }
            writes.push(seq);
        }
    }
    writes.dedup();
    for seq in writes {
        let instrs = &mut func.block_mut(seq).instrs;
        let mut i = 0;
        while i < instrs.len() {
            if matches!(&instrs[i].0, Instr::LocalSet(s) if s.local == site) {
                instrs.drain(i - 1..=i);
                i -= 1;
            } else {
                i += 1;
            }
        }
    }
    true
}
