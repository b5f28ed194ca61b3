//! Where the call-site number goes. Every unwind check carries its site's
//! number on the branch to the frame-saving exit (`br_if $unwind (k)
//! (state); drop`), and the rewind dispatches read the number back to pick
//! the rung to re-enter. When they read it, the exit receives it as the
//! `$unwind` block's result and stores it in the site local, which the
//! frame saves. A function whose dispatches never need to choose (one
//! suspending call site, the common case for small functions) never reads
//! it: then the checks carry nothing (`br_if $unwind (state)`), and the
//! frame has no number, which saves four bytes of frame and the code that
//! moves them.

use walrus::ir::{Instr, InstrSeqId, InstrSeqType};
use walrus::{LocalFunction, LocalId, ValType};

use crate::ir::sequences_from;

/// Settles the site numbers of the unwind checks (`br_if`s to `unwind`)
/// in the code reachable from `body`: returns whether the rewind reads
/// `site`, and then makes `unwind` a block that yields the number; when
/// nothing reads it, takes the numbers out of the checks instead.
pub(crate) fn settle(
    func: &mut LocalFunction,
    body: InstrSeqId,
    unwind: InstrSeqId,
    site: LocalId,
) -> bool {
    let seqs = sequences_from(func, body);
    let read = seqs.iter().any(|seq| {
        func.block(*seq)
            .instrs
            .iter()
            .any(|(instr, _)| match instr {
                Instr::LocalGet(l) => l.local == site,
                Instr::LocalSet(l) => l.local == site,
                Instr::LocalTee(l) => l.local == site,
                _ => false,
            })
    });
    if read
        || !seqs
            .iter()
            .all(|seq| checks_carry_numbers(func, *seq, unwind))
    {
        func.block_mut(unwind).ty = InstrSeqType::Simple(Some(ValType::I32));
        return true;
    }
    for seq in seqs {
        let instrs = &mut func.block_mut(seq).instrs;
        let mut unneeded = vec![false; instrs.len()];
        for (i, (instr, _)) in instrs.iter().enumerate() {
            if matches!(instr, Instr::BrIf(b) if b.block == unwind) {
                unneeded[i - 2] = true;
                unneeded[i + 1] = true;
            }
        }
        let mut i = 0;
        instrs.retain(|_| {
            i += 1;
            !unneeded[i - 1]
        });
    }
    false
}

/// Whether every unwind check in `seq` has the shape the flow rewrite
/// gives it: `i32.const k; global.get; br_if $unwind; drop`.
fn checks_carry_numbers(func: &LocalFunction, seq: InstrSeqId, unwind: InstrSeqId) -> bool {
    let instrs = &func.block(seq).instrs;
    instrs.iter().enumerate().all(|(i, (instr, _))| {
        !matches!(instr, Instr::BrIf(b) if b.block == unwind)
            || (i >= 2
                && matches!(instrs[i - 2].0, Instr::Const(_))
                && matches!(instrs[i - 1].0, Instr::GlobalGet(_))
                && matches!(instrs.get(i + 1), Some((Instr::Drop(_), _))))
    })
}
