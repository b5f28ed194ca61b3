//! The counter's store at a metered function's exit, moved onto the paths
//! that need it.
//!
//! The metering stores the counter back to the global once after the body
//! and reloads it after every call. On a path whose last counter event is
//! such a reload (no charge since the last call), the store writes back
//! the value the global already holds, and the reload exists only for it:
//! in a recursive function's arm that ends with its calls, both run on
//! every call for nothing. So the store moves from after the body into the
//! ends through which control falls out of it: `block`s and both arms of
//! an `if` last in their sequence, down to plain code. There a path that
//! reloaded since its last charge loses the reload and stores nothing;
//! any other path (a charge, a nested structure, a branch or the start of
//! the sequence first) gets the store. A sequence that a branch leaves
//! for the exit, a loop, or a `try` keeps the store after it.

use std::collections::HashSet;

use walrus::ir::{Instr, InstrLocId};
use walrus::{GlobalId, LocalFunction, LocalId};

use crate::ir::{Code, branch_targets, callee, children, diverges, for_each_instr};

/// Moves the store after the body (`store`, the last instructions of the
/// entry sequence, right after the body's `block`) into the body's
/// fall-through ends (see the module doc).
pub(super) fn sink(func: &mut LocalFunction, counter: LocalId, fuel: GlobalId, store: &Code) {
    let entry = func.entry_block();
    let instrs = &func.block(entry).instrs;
    let Some(at) = instrs.len().checked_sub(store.len() + 1) else {
        return;
    };
    let Some((Instr::Block(body), _)) = instrs.get(at) else {
        return;
    };
    let body = body.seq;
    let mut targets = HashSet::new();
    for_each_instr(func, body, |instr| targets.extend(branch_targets(instr)));
    if targets.contains(&body) {
        return;
    }
    func.block_mut(entry).instrs.truncate(at + 1);
    let mut ends = vec![body];
    while let Some(seq) = ends.pop() {
        let last = func.block(seq).instrs.last().map(|(i, _)| i);
        match last {
            Some(Instr::Block(b)) if !targets.contains(&b.seq) => ends.push(b.seq),
            Some(Instr::IfElse(i))
                if !targets.contains(&i.consequent) && !targets.contains(&i.alternative) =>
            {
                ends.extend([i.consequent, i.alternative]);
            }
            Some(instr) if diverges(instr) => {}
            _ => {
                let instrs = &mut func.block_mut(seq).instrs;
                match clean_since(instrs, counter, fuel) {
                    Some(reload) => {
                        instrs.drain(reload..reload + 2);
                    }
                    None => instrs.extend(store.iter().cloned()),
                }
            }
        }
    }
}

/// Where the reload `global.get $fuel; local.set counter` is when it is
/// the last thing in `instrs` to touch the counter and nothing after it
/// branches, calls or nests.
fn clean_since(instrs: &[(Instr, InstrLocId)], counter: LocalId, fuel: GlobalId) -> Option<usize> {
    let mut i = instrs.len();
    while i > 0 {
        i -= 1;
        let instr = &instrs[i].0;
        if let (Instr::LocalSet(set), Some((Instr::GlobalGet(get), _))) =
            (instr, i.checked_sub(1).map(|j| &instrs[j]))
            && set.local == counter
            && get.global == fuel
        {
            return Some(i - 1);
        }
        let touches = match instr {
            Instr::LocalGet(l) => l.local == counter,
            Instr::LocalSet(l) => l.local == counter,
            Instr::LocalTee(l) => l.local == counter,
            Instr::GlobalGet(g) => g.global == fuel,
            Instr::GlobalSet(g) => g.global == fuel,
            _ => false,
        };
        if touches
            || callee(instr).is_some()
            || children(instr).next().is_some()
            || !branch_targets(instr).is_empty()
        {
            return None;
        }
    }
    None
}
