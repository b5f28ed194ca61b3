//! One fuel check for several iterations of a small loop.
//!
//! Under an interpreter a loop-head check costs about as much as a short
//! loop body's own instructions, so small loops are unrolled: `plan` picks
//! them and their `K` before metering, the metering pass emits their checks
//! for `K` copies, and `unroll_loops` then lays the metered body out `K`
//! times in a row, only the first copy keeping the check. That check
//! charges the entry runs of all `K` copies at once but fires exactly when
//! the original would, when one entry run does not fit (`counter - K*c <
//! -(K-1)*c`). A copy that leaves the loop early (falls off its end,
//! branches out, returns) first gives back the charges of the copies that
//! did not run, and the handler call stores the counter as if only the
//! first copy had been charged (and charges the others again after it), so
//! the global, which the host and traps observe, holds at every call,
//! return and out-of-fuel stop the same value as without unrolling. The one difference: when the fuel runs out
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
//! A loop without results whose body ends with its back-edge (`br_if $l`)
//! is laid out the other way round (`fall_through`): a copy continues by
//! falling into the next and leaves by a branch, so a turn takes one
//! branch, not one per copy.
//!
//! Only innermost loops without parameters whose body has no calls, no
//! exception handling, no branch out of the loop that carries values and
//! no `br_table` out of the loop are unrolled, and only as many times as
//! keeps the copies under [`COPIED_INSTRS`] instructions.

use std::collections::{HashMap, HashSet};

use walrus::ir::{
    BinaryOp, Block, Br, BrIf, Instr, InstrSeqId, InstrSeqType, LocalGet, LocalSet, UnaryOp, Unop,
};
use walrus::{LocalFunction, LocalId};

use crate::ir::{Code, at, callee, children, copy_code, if_then, nested_seqs, offset};

/// The most instructions (of the body before metering) the extra copies of
/// one loop body may add.
pub const COPIED_INSTRS: usize = 160;

/// A loop the metering pass checked for several copies of its body.
pub(crate) struct Planned {
    /// The loop's body.
    pub seq: InstrSeqId,
    /// Length of the check (condition and `if`) at the head of the body.
    pub check_len: usize,
    /// What one copy's entry run costs.
    pub cost: u64,
    /// How many copies of the body to lay out.
    pub copies: u64,
}

/// How many copies of each small loop body of `func` (before metering) to
/// lay out, at most `factor`; loops that stay as they are are left out.
pub(crate) fn plan(func: &LocalFunction, factor: u32) -> HashMap<InstrSeqId, u64> {
    if factor < 2 {
        return HashMap::new();
    }
    let loops = loop_seqs(func);
    loops
        .iter()
        .filter(|(seq, _)| matches!(func.block(*seq).ty, InstrSeqType::Simple(_)))
        .filter_map(|&(seq, _)| {
            let size = copyable_size(func, seq, &loops)?;
            let copies = u64::from(factor).min(1 + (COPIED_INSTRS / size.max(1)) as u64);
            (copies >= 2).then_some((seq, copies))
        })
        .collect()
}

/// Lays out the `planned` loops of the metered `func` (`counter` is its
/// fuel local), as described in the module doc.
pub(crate) fn unroll_loops(func: &mut LocalFunction, counter: LocalId, planned: &[Planned]) {
    if planned.is_empty() {
        return;
    }
    let parents: HashMap<InstrSeqId, (InstrSeqId, usize)> = loop_seqs(func).into_iter().collect();
    for loop_ in planned {
        unroll(func, counter, loop_, parents[&loop_.seq]);
    }
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

/// How many instructions the loop body `seq` has, nested ones included,
/// if it can be copied: no nested loop, no call, no exception handling, no
/// branch out of the loop carrying values, no `br_table` out of the loop.
fn copyable_size(
    func: &LocalFunction,
    seq: InstrSeqId,
    loops: &[(InstrSeqId, (InstrSeqId, usize))],
) -> Option<usize> {
    let nested = nested_seqs(func, &func.block(seq).instrs);
    let inner: HashSet<InstrSeqId> = nested.iter().copied().chain([seq]).collect();
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
        _ if callee(instr).is_some() => false,
        Instr::Br(b) => inner.contains(&b.block) || plain_exit(&b.block),
        Instr::BrIf(b) => inner.contains(&b.block) || plain_exit(&b.block),
        Instr::BrTable(t) => t
            .blocks
            .iter()
            .chain([&t.default])
            .all(|b| inner.contains(b)),
        Instr::Loop(_)
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
    let all = std::iter::once(seq)
        .chain(nested)
        .flat_map(|s| func.block(s).instrs.iter());
    all.clone()
        .all(|(instr, _)| copyable(instr))
        .then(|| all.count())
}

/// Lays out `loop_`, whose `loop` instruction is at `parent`, as described
/// in the module doc. Its check already charges for all copies.
fn unroll(
    func: &mut LocalFunction,
    counter: LocalId,
    loop_: &Planned,
    (parent, at_index): (InstrSeqId, usize),
) {
    let Planned {
        seq,
        check_len,
        cost,
        copies,
    } = *loop_;
    let ty = func.block(seq).ty;
    let out = func.builder_mut().dangling_instr_seq(ty).id();
    func.block_mut(out).instrs = vec![at(Instr::Loop(walrus::ir::Loop { seq }))];
    func.block_mut(parent).instrs[at_index].0 = Instr::Block(Block { seq: out });

    let mut head = std::mem::take(&mut func.block_mut(seq).instrs);
    let last: Code = head.split_off(check_len);
    let ends_with_back_edge = matches!(last.last(), Some((Instr::BrIf(b), _)) if b.block == seq);
    if ty == InstrSeqType::Simple(None) && ends_with_back_edge {
        fall_through(func, counter, loop_, out, head, last);
        return;
    }
    // Copies 1 .. copies-1, each in a block that the next one follows.
    let mut outer: Option<InstrSeqId> = None;
    for copy in (1..copies).rev() {
        let next = func
            .builder_mut()
            .dangling_instr_seq(InstrSeqType::Simple(None))
            .id();
        let amount = cost * (copies - copy);
        let mut code = copy_body(func, counter, seq, &last, next, amount);
        code.extend(refund(counter, amount));
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

/// The layout of a loop without results whose body ends with its
/// back-edge (`br_if $l cond`, a compiled `do`/`while`), inside `out`:
/// each copy but the last ends by leaving when the condition fails
/// (`br_if $x (i32.eqz cond)`) and otherwise falls into the next, so a
/// turn of the loop takes one branch instead of one per copy. Each exit
/// block `$x` is followed by its copy's refund.
///
/// ```text
/// block $out
///   block $x2
///     block $x1
///       loop $l
///         check(K*c, fires below -(K-1)*c)
///         block { BODY (br $l -> br to the next copy); br_if $x1 (i32.eqz cond) }
///         block { BODY ...; br_if $x2 (i32.eqz cond) }
///         BODY; br_if $l cond
///       end
///       br $out
///     end
///     refund 2c; br $out
///   end
///   refund c
/// end
/// ```
fn fall_through(
    func: &mut LocalFunction,
    counter: LocalId,
    loop_: &Planned,
    out: InstrSeqId,
    mut head: Code,
    last: Code,
) {
    let Planned {
        seq, cost, copies, ..
    } = *loop_;
    let mut around: Code = vec![at(Instr::Loop(walrus::ir::Loop { seq }))];
    for copy in 1..copies {
        let [next, exit] = [(); 2].map(|_| {
            func.builder_mut()
                .dangling_instr_seq(InstrSeqType::Simple(None))
                .id()
        });
        let amount = cost * (copies - copy);
        let mut code = copy_body(func, counter, seq, &last, next, amount);
        // The back-edge, now to `next`: leave when it would not be taken.
        code.pop();
        code.push(at(Instr::Unop(Unop {
            op: UnaryOp::I32Eqz,
        })));
        code.push(at(Instr::BrIf(BrIf { block: exit })));
        func.block_mut(next).instrs = code;
        head.push(at(Instr::Block(Block { seq: next })));
        around.push(at(Instr::Br(Br { block: out })));
        func.block_mut(exit).instrs = around;
        around = vec![at(Instr::Block(Block { seq: exit }))];
        around.extend(refund(counter, amount));
    }
    func.block_mut(out).instrs = around;
    head.extend(last);
    func.block_mut(seq).instrs = head;
}

/// A copy of the loop body `body` (of the loop `seq`) whose branches to the
/// loop go to the end of `next` instead, each way out of the loop first
/// giving back `amount` (the copies that do not run).
fn copy_body(
    func: &mut LocalFunction,
    counter: LocalId,
    seq: InstrSeqId,
    body: &Code,
    next: InstrSeqId,
    amount: u64,
) -> Code {
    let mut map = HashMap::from([(seq, next)]);
    let code = copy_code(func, body, &mut map);
    let inside: HashSet<InstrSeqId> = map.values().copied().collect();
    let refund = Refund {
        counter,
        amount,
        inside: &inside,
    };
    for copied in map.values().filter(|s| **s != next) {
        let code = std::mem::take(&mut func.block_mut(*copied).instrs);
        func.block_mut(*copied).instrs = refund.on_exits(func, code);
    }
    refund.on_exits(func, code)
}

/// `counter += amount` (nothing for 0).
fn refund(counter: LocalId, amount: u64) -> Code {
    if amount == 0 {
        return Vec::new();
    }
    let mut code = vec![at(Instr::LocalGet(LocalGet { local: counter }))];
    code.extend(offset(amount, BinaryOp::I64Add));
    code.push(at(Instr::LocalSet(LocalSet { local: counter })));
    code
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
        refund(self.counter, self.amount)
    }
}
