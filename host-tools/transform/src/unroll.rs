//! One fuel check for several iterations of a small loop.
//!
//! Under an interpreter a loop-head check costs about as much as a short
//! loop body's own instructions, so small loops are unrolled after
//! metering: the body is laid out `K` times in a row and only the first
//! copy keeps the check. That check charges the entry runs of all `K`
//! copies at once but fires exactly when the original would, when one
//! entry run does not fit (`counter - K*c < -(K-1)*c`). A copy that leaves
//! the loop early (falls off its end, branches out, returns) first gives
//! back the charges of the copies that did not run, and the handler call
//! stores the counter as if only the first copy had been charged (and
//! charges the others again after it), so the global, which the host and
//! traps observe, holds at every call, return and out-of-fuel stop the same
//! value as without unrolling. The one difference: when the fuel runs out
//! inside copies 2..K, the stop waits for the next check, like any charge
//! between two checks.
//!
//! ```text
//! loop $l                      block $out
//!   check(c)                     loop $l
//!   BODY                           check(K*c, fires below -(K-1)*c)
//!   br_if $l ...                   block $2
//! end                                block $1
//!                                      BODY (br $l -> br $1; leaving: refund (K-1)*c)
//!                                      refund (K-1)*c; br $out
//!                                    end
//!                                    BODY (br $l -> br $2; leaving: refund (K-2)*c) ...
//!                                  end
//!                                  BODY
//!                                end
//!                              end
//! ```
//!
//! Only innermost loops without parameters whose body has no calls, no
//! exception handling, no branch out of the loop that carries values and
//! no `br_table` out of the loop are unrolled, and only as many times as
//! keeps the copies under [`COPIED_INSTRS`] instructions.

use std::collections::{HashMap, HashSet};

use walrus::ir::{
    BinaryOp, Binop, Block, Br, Const, Instr, InstrSeqId, InstrSeqType, LocalGet, LocalSet, Value,
};
use walrus::{LocalFunction, LocalId};

use crate::ir::{Code, at, children, copy_code, if_then};

/// The most instructions the extra copies of one loop body may add.
pub const COPIED_INSTRS: usize = 160;

/// A loop that can be unrolled: where it is and what its check charges.
struct Candidate {
    /// The loop's body.
    seq: InstrSeqId,
    /// The sequence holding the `loop` instruction, and its position there.
    parent: (InstrSeqId, usize),
    /// Length of the check (condition and `if`) at the head of the body.
    check_len: usize,
    /// What the check charges (the entry run of one iteration).
    cost: u64,
    /// How many copies of the body to lay out.
    copies: u64,
}

/// Unrolls the small loops of the metered `func` `factor` times at most.
/// `counter` is the function's fuel local and `checks` the metering pass's
/// checks (`then` sequence to condition length). Returns how many loops
/// were unrolled.
pub(crate) fn unroll_loops(
    func: &mut LocalFunction,
    counter: LocalId,
    checks: &HashMap<InstrSeqId, usize>,
    factor: u32,
) -> usize {
    if factor < 2 {
        return 0;
    }
    let loops = loop_seqs(func);
    let found: Vec<Candidate> = loops
        .iter()
        .filter_map(|&(seq, parent)| candidate(func, seq, parent, checks, &loops, factor))
        .collect();
    for loop_ in &found {
        unroll(func, counter, loop_);
    }
    found.len()
}

/// Every loop body of `func`, with where its `loop` instruction is, in a
/// fixed order.
fn loop_seqs(func: &LocalFunction) -> Vec<(InstrSeqId, (InstrSeqId, usize))> {
    let mut found = Vec::new();
    let mut pending = vec![func.entry_block()];
    while let Some(seq) = pending.pop() {
        for (i, (instr, _)) in func.block(seq).instrs.iter().enumerate() {
            if let Instr::Loop(l) = instr {
                found.push((l.seq, (seq, i)));
            }
            pending.extend(children(instr));
        }
    }
    found
}

/// The loop `seq` as a candidate for unrolling, if it is one.
fn candidate(
    func: &LocalFunction,
    seq: InstrSeqId,
    parent: (InstrSeqId, usize),
    checks: &HashMap<InstrSeqId, usize>,
    loops: &[(InstrSeqId, (InstrSeqId, usize))],
    factor: u32,
) -> Option<Candidate> {
    if !matches!(func.block(seq).ty, InstrSeqType::Simple(_)) {
        return None;
    }
    let (check_len, cost) = head_check(&func.block(seq).instrs, checks)?;
    let size = copyable_size(func, seq, check_len, loops)?;
    let copies = u64::from(factor).min(1 + (COPIED_INSTRS / size.max(1)) as u64);
    (copies >= 2).then_some(Candidate {
        seq,
        parent,
        check_len,
        cost,
        copies,
    })
}

/// The check the metering pass put at the head of a loop body: its length
/// (condition and `if`) and what it charges.
fn head_check(body: &Code, checks: &HashMap<InstrSeqId, usize>) -> Option<(usize, u64)> {
    let cond_len = body
        .iter()
        .enumerate()
        .find_map(|(i, (instr, _))| match instr {
            Instr::IfElse(c) => checks.get(&c.consequent).filter(|n| **n == i).copied(),
            _ => None,
        })?;
    // `counter - cost; tee; 0; lt_s` or, for a cost of 0, `counter; 0; lt_s`.
    let cost = match body[..cond_len] {
        [
            _,
            (
                Instr::Const(Const {
                    value: Value::I64(c),
                }),
                _,
            ),
            _,
            _,
            _,
            _,
        ] => c as u64,
        _ => 0,
    };
    Some((cond_len + 1, cost))
}

/// How many instructions the loop body `seq` has after its check, nested
/// ones included, if it can be copied: no nested loop, no call, no
/// exception handling, no branch out of the loop carrying values, no
/// `br_table` out of the loop.
fn copyable_size(
    func: &LocalFunction,
    seq: InstrSeqId,
    check_len: usize,
    loops: &[(InstrSeqId, (InstrSeqId, usize))],
) -> Option<usize> {
    let mut inner = HashSet::from([seq]);
    let mut code: Vec<&[(Instr, walrus::InstrLocId)]> = vec![&func.block(seq).instrs[check_len..]];
    let mut i = 0;
    while let Some(instrs) = code.get(i) {
        for (instr, _) in instrs.iter() {
            for child in children(instr) {
                inner.insert(child);
                code.push(&func.block(child).instrs);
            }
        }
        i += 1;
    }
    // A branch out of the loop must carry no values: to a block without
    // results or to an (outer) loop without parameters.
    let plain_exit = |target: &InstrSeqId| {
        let is_loop = loops.iter().any(|(l, _)| l == target);
        match func.block(*target).ty {
            InstrSeqType::Simple(None) => true,
            InstrSeqType::Simple(Some(_)) => is_loop,
            InstrSeqType::MultiValue(_) => false,
        }
    };
    let copyable = |instr: &Instr| match instr {
        Instr::Br(b) => inner.contains(&b.block) || plain_exit(&b.block),
        Instr::BrIf(b) => inner.contains(&b.block) || plain_exit(&b.block),
        Instr::BrTable(t) => t
            .blocks
            .iter()
            .chain([&t.default])
            .all(|b| inner.contains(b)),
        Instr::Loop(_)
        | Instr::Call(_)
        | Instr::CallIndirect(_)
        | Instr::CallRef(_)
        | Instr::ReturnCall(_)
        | Instr::ReturnCallIndirect(_)
        | Instr::ReturnCallRef(_)
        | Instr::Try(_)
        | Instr::TryTable(_)
        | Instr::Throw(_)
        | Instr::ThrowRef(_)
        | Instr::Rethrow(_)
        | Instr::BrOnNull(_)
        | Instr::BrOnNonNull(_)
        | Instr::BrOnCast(_)
        | Instr::BrOnCastFail(_) => false,
        _ => true,
    };
    let all = code.iter().flat_map(|c| c.iter());
    all.clone()
        .all(|(instr, _)| copyable(instr))
        .then(|| all.count())
}

/// Lays out `loop_` as described in the module doc.
fn unroll(func: &mut LocalFunction, counter: LocalId, loop_: &Candidate) {
    let Candidate {
        seq,
        parent: (parent, at_index),
        check_len,
        cost,
        copies,
    } = *loop_;
    let ty = func.block(seq).ty;
    let out = func.builder_mut().dangling_instr_seq(ty).id();
    func.block_mut(out).instrs = vec![at(Instr::Loop(walrus::ir::Loop { seq }))];
    func.block_mut(parent).instrs[at_index].0 = Instr::Block(Block { seq: out });

    let mut body = std::mem::take(&mut func.block_mut(seq).instrs);
    let last: Code = body.split_off(check_len);
    let mut head = body;
    if cost > 0 {
        head[1].0 = i64_const(cost * copies);
        head[4].0 = i64_const((cost * (copies - 1)).wrapping_neg());
        let Some((Instr::IfElse(check), _)) = head.last() else {
            unreachable!("a check ends with its `if`")
        };
        adjust_handler_call(func, check.consequent, cost * (copies - 1));
    }
    // Copies 1 .. copies-1, each in a block that the next one follows.
    let mut outer: Option<InstrSeqId> = None;
    for copy in (1..copies).rev() {
        let next = func
            .builder_mut()
            .dangling_instr_seq(InstrSeqType::Simple(None))
            .id();
        let mut map = HashMap::from([(seq, next)]);
        let code = copy_code(func, &last, &mut map);
        let inside: HashSet<InstrSeqId> = map.values().copied().collect();
        let refund = Refund {
            counter,
            amount: cost * (copies - copy),
            inside: &inside,
        };
        for copied in map.values().filter(|s| **s != next) {
            let code = std::mem::take(&mut func.block_mut(*copied).instrs);
            func.block_mut(*copied).instrs = refund.on_exits(func, code);
        }
        let mut code = refund.on_exits(func, code);
        code.extend(refund.code());
        code.push(at(Instr::Br(Br { block: out })));
        func.block_mut(next).instrs = code;
        match outer {
            Some(o) => func
                .block_mut(o)
                .instrs
                .insert(0, at(Instr::Block(Block { seq: next }))),
            None => head.push(at(Instr::Block(Block { seq: next }))),
        }
        outer = Some(next);
    }
    head.extend(last);
    func.block_mut(seq).instrs = head;
}

/// Makes the check's `then` (`store; call $handler; reload`) store the
/// counter as if only one copy had been charged and charge the others
/// again after the reload.
fn adjust_handler_call(func: &mut LocalFunction, then: InstrSeqId, ahead: u64) {
    let code = &mut func.block_mut(then).instrs;
    debug_assert!(matches!(
        code[..],
        [
            (Instr::LocalGet(_), _),
            (Instr::GlobalSet(_), _),
            (Instr::Call(_), _),
            (Instr::GlobalGet(_), _),
            (Instr::LocalSet(_), _)
        ]
    ));
    code.insert(4, at(i64_const(ahead)));
    code.insert(
        5,
        at(Instr::Binop(Binop {
            op: BinaryOp::I64Sub,
        })),
    );
    code.insert(1, at(i64_const(ahead)));
    code.insert(
        2,
        at(Instr::Binop(Binop {
            op: BinaryOp::I64Add,
        })),
    );
}

/// The charges a copy of the loop body gives back when it leaves the loop.
struct Refund<'a> {
    counter: LocalId,
    amount: u64,
    /// The copy's sequences and the block after it: branches elsewhere
    /// leave the loop.
    inside: &'a HashSet<InstrSeqId>,
}

impl Refund<'_> {
    /// `code` with the refund before every branch out of the loop and
    /// every `return` (before the counter store the metering put ahead of
    /// it). A `br_if` out becomes `if { refund; br }`.
    fn on_exits(&self, func: &mut LocalFunction, code: Code) -> Code {
        if self.amount == 0 {
            return code;
        }
        let mut out: Code = Vec::with_capacity(code.len() + 4);
        for (instr, loc) in code {
            match &instr {
                Instr::Br(b) if !self.inside.contains(&b.block) => out.extend(self.code()),
                Instr::BrIf(b) if !self.inside.contains(&b.block) => {
                    let mut leave = self.code();
                    leave.push(at(Instr::Br(Br { block: b.block })));
                    out.extend(if_then(func, Vec::new(), leave));
                    continue;
                }
                Instr::Return(_) => {
                    let store_at = out.len() - 2;
                    out.splice(store_at..store_at, self.code());
                }
                _ => {}
            }
            out.push((instr, loc));
        }
        out
    }

    /// `counter += amount` (nothing for 0).
    fn code(&self) -> Code {
        if self.amount == 0 {
            return Vec::new();
        }
        vec![
            at(Instr::LocalGet(LocalGet {
                local: self.counter,
            })),
            at(i64_const(self.amount)),
            at(Instr::Binop(Binop {
                op: BinaryOp::I64Add,
            })),
            at(Instr::LocalSet(LocalSet {
                local: self.counter,
            })),
        ]
    }
}

fn i64_const(v: u64) -> Instr {
    Instr::Const(Const {
        value: Value::I64(v as i64),
    })
}
