//! A second copy of an instrumented body for calls that start in normal
//! state (`Options::fast_path`).
//!
//! The instrumented body serves both normal execution and rewinding, so in
//! normal state it still pays for the rewind guards: a state read and a
//! branch at every guard and site guard. With a fast path the function
//! tests the state once on entry and runs, in normal state, a copy of the
//! body in which every state read is known to give `NORMAL` except the
//! unwind checks after suspending calls:
//!
//! ```text
//! block $unwind                           block $unwind
//!   if state == REWINDING { restore }       if state == NORMAL
//!   block $body ... end                       block $body' ... end   ;; guards folded
//!   return                                  else
//! end                                         if state == REWINDING { restore }
//! save frame                                  block $body ... end
//!                                           end
//!                                           return
//!                                         end
//!                                         save frame
//! ```
//!
//! Why the folding is right: the copy is entered in normal state, and only
//! a call can change the state. A call that may suspend is followed by its
//! unwind check, which is kept and leaves for `$unwind` when the callee
//! unwound; otherwise the callee returned normally (a rewind always ends
//! in normal state before the rewound call returns). Any other call cannot
//! change the state (that is what the analysis decided). Both copies use
//! the same locals and share the frame code, so an unwind from either
//! saves the same frame, and a rewind always takes the original body.
//!
//! A guard `state == NORMAL; if { A }` becomes `block { A }`, a site guard's
//! `state; if { skip }` disappears, and any other state read becomes the
//! constant `NORMAL`. The price is code size: the body is there twice.

use std::collections::{HashMap, HashSet};

use walrus::ir::{
    Block, Const, GlobalGet, IfElse, Instr, InstrSeqId, InstrSeqType, UnaryOp, Unop, Value,
};
use walrus::{GlobalId, LocalFunction};

use crate::abi;
use crate::ir::{Code, at, copy_code, i32_const};

/// `if state == NORMAL { fast copy of body } else { slow }`, where `slow`
/// is the original code (the frame restore and the `body` block), of type
/// `ty` (the function's results).
pub(crate) fn dispatch(
    func: &mut LocalFunction,
    state: GlobalId,
    ty: InstrSeqType,
    body: InstrSeqId,
    slow: Code,
) -> Code {
    let mut map = HashMap::new();
    let fast = copy_code(func, &[at(Instr::Block(Block { seq: body }))], &mut map);
    let empty: HashSet<InstrSeqId> = map
        .values()
        .copied()
        .filter(|s| func.block(*s).instrs.is_empty())
        .collect();
    let fast = fold(fast, state, &empty);
    for copy in map.into_values() {
        let code = std::mem::take(&mut func.block_mut(copy).instrs);
        func.block_mut(copy).instrs = fold(code, state, &empty);
    }
    let consequent = func.builder_mut().dangling_instr_seq(ty).id();
    let alternative = func.builder_mut().dangling_instr_seq(ty).id();
    func.block_mut(consequent).instrs = fast;
    func.block_mut(alternative).instrs = slow;
    vec![
        at(Instr::GlobalGet(GlobalGet { global: state })),
        at(Instr::Unop(Unop {
            op: UnaryOp::I32Eqz,
        })),
        at(Instr::IfElse(IfElse {
            consequent,
            alternative,
        })),
    ]
}

/// `code` with its state reads folded for normal state (see the module
/// doc); unwind checks (`state; i32.const UNWINDING; i32.eq`) stay. An
/// arm that is left alone and `empty` leaves nothing behind.
fn fold(code: Code, state: GlobalId, empty: &HashSet<InstrSeqId>) -> Code {
    let mut out: Code = Vec::with_capacity(code.len());
    let mut rest = code.into_iter().peekable();
    while let Some((instr, loc)) = rest.next() {
        if !matches!(&instr, Instr::GlobalGet(g) if g.global == state) {
            out.push((instr, loc));
            continue;
        }
        // The arm that always runs, as a block (nothing if it is empty).
        let arm =
            |seq: InstrSeqId| (!empty.contains(&seq)).then_some((Instr::Block(Block { seq }), loc));
        match rest.peek().map(|(i, _)| i) {
            // A site guard's skip: never taken in normal state.
            Some(Instr::IfElse(branch)) => {
                out.extend(arm(branch.alternative));
                rest.next();
            }
            Some(Instr::Unop(Unop {
                op: UnaryOp::I32Eqz,
            })) => {
                rest.next();
                match rest.peek().map(|(i, _)| i) {
                    // A normal-state guard: always taken.
                    Some(Instr::IfElse(branch)) => {
                        out.extend(arm(branch.consequent));
                        rest.next();
                    }
                    _ => out.push((i32_const(1), loc)),
                }
            }
            Some(Instr::Const(Const {
                value: Value::I32(abi::STATE_UNWINDING),
            })) => out.push((instr, loc)),
            _ => out.push((i32_const(abi::STATE_NORMAL), loc)),
        }
    }
    out
}
