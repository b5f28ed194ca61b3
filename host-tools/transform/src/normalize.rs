//! Puts a function into the shape the flow rewrite expects.
//!
//! * Code after an unconditional branch, `return` or `unreachable` is
//!   dropped: it can never run, and it would make the operand stack
//!   polymorphic.
//! * A tail call (`return_call*`) to a function that may suspend becomes a
//!   call followed by `return`: the caller's frame has to stay to be
//!   saved, so such a call no longer runs in constant stack space. One
//!   inside a `try` body is made after the body instead, so that its
//!   exceptions still pass the function's handlers by. Tail calls to
//!   functions that cannot suspend stay tail calls.
//! * After the rewrite, every local of a non-nullable reference type
//!   (parameters aside) becomes nullable, and each read of it is followed by
//!   `ref.as_non_null`: the rewrite moves sets and reads into different
//!   blocks, which validation's tracking of non-defaultable locals would
//!   reject, and the frame restore sets them outside the original code.
//! * Blocks, loops and `if`s that contain a suspending call and take
//!   parameters get them through fresh locals instead of the operand stack,
//!   so every sequence that contains a suspension starts with an empty
//!   stack. Branches back to such a loop store their values into those
//!   locals first.

use std::collections::HashSet;

use walrus::ir::{
    Block, Br, Call, CallIndirect, CallRef, Instr, InstrLocId, InstrSeqId, InstrSeqType, Local,
    LocalGet, LocalSet, RefAsNonNull, Return,
};
use walrus::{HeapType, LocalFunction, LocalId, ModuleLocals, ModuleTypes, RefType, ValType};

use crate::error::{Error, Result};
use crate::ir::{
    Target, branch_targets, callee, children, diverges, nullable, sequences, sequences_from,
};
use crate::operand_types::TypeContext;
use crate::suspend::Suspends;

/// Drops unreachable code after unconditional control transfers.
pub(crate) fn trim_dead_code(func: &mut LocalFunction) {
    for seq in sequences(func) {
        let instrs = &mut func.block_mut(seq).instrs;
        if let Some(at) = instrs.iter().position(|(i, _)| diverges(i)) {
            instrs.truncate(at + 1);
        }
    }
}

/// Turns every tail call that may suspend into a call and `return`.
/// Returns how many it turned.
///
/// A tail call inside the body of a `try` or `try_table` leaves its
/// caller's frame, handlers included, before the callee runs: an exception
/// the callee throws passes them by. Made there, the call would be caught
/// by them instead. So such a tail call becomes a branch that carries its
/// operands out to a block wrapped around the whole body, after which the
/// call is made, outside every handler, and its results returned.
pub(crate) fn lower_suspending_tail_calls(
    func: &mut LocalFunction,
    suspends: &Suspends,
    ctx: &mut TypeContext,
    types: &mut ModuleTypes,
) -> usize {
    let protected = inside_try_bodies(func);
    let mut lowered = 0;
    // The calls made after the body, innermost block first.
    let mut escapes: Vec<(InstrSeqId, Instr, InstrLocId)> = Vec::new();
    for seq in sequences(func) {
        let tail_calls: Vec<usize> = func
            .block(seq)
            .instrs
            .iter()
            .enumerate()
            .filter(|(_, (i, _))| callee(i).is_some_and(|c| c.tail) && suspends.is_call(i))
            .map(|(at, _)| at)
            .collect();
        for at in tail_calls.into_iter().rev() {
            let (instr, loc) = func.block(seq).instrs[at].clone();
            let call = plain_call(&instr);
            lowered += 1;
            if protected.contains(&seq) {
                let operands = call_operands(ctx, &instr);
                let ty = ctx.block_type(types, &[], &operands);
                let exit = func.builder_mut().dangling_instr_seq(ty).id();
                func.block_mut(seq).instrs[at] = (Instr::Br(Br { block: exit }), loc);
                escapes.push((exit, call, loc));
            } else {
                let instrs = &mut func.block_mut(seq).instrs;
                instrs[at] = (call, loc);
                instrs.insert(at + 1, (Instr::Return(Return {}), loc));
            }
        }
    }
    // entry: block $exit_n (block $exit_1 (body; return); call_1; return)...; call_n
    let entry = func.entry_block();
    let mut inner = std::mem::take(&mut func.block_mut(entry).instrs);
    for (i, (exit, call, loc)) in escapes.iter().enumerate() {
        if i == 0 {
            inner.push((Instr::Return(Return {}), *loc));
        }
        func.block_mut(*exit).instrs = inner;
        inner = vec![
            (Instr::Block(Block { seq: *exit }), *loc),
            (call.clone(), *loc),
        ];
        if i + 1 < escapes.len() {
            inner.push((Instr::Return(Return {}), *loc));
        }
    }
    func.block_mut(entry).instrs = inner;
    lowered
}

/// The call a tail call makes, as a plain call.
fn plain_call(instr: &Instr) -> Instr {
    match instr {
        Instr::ReturnCall(c) => Instr::Call(Call { func: c.func }),
        Instr::ReturnCallIndirect(c) => Instr::CallIndirect(CallIndirect {
            ty: c.ty,
            table: c.table,
        }),
        Instr::ReturnCallRef(c) => Instr::CallRef(CallRef { ty: c.ty }),
        _ => unreachable!("a tail call"),
    }
}

/// The types of the operands a call takes: the callee's parameters, then
/// the table index or the function reference.
fn call_operands(ctx: &TypeContext, instr: &Instr) -> Vec<ValType> {
    let site = callee(instr).expect("a call");
    let mut operands = ctx.call_signature(&site).0.to_vec();
    match site.target {
        Target::Func(_) => {}
        Target::Table(_, table) => operands.push(if ctx.table_types[&table].1 {
            ValType::I64
        } else {
            ValType::I32
        }),
        Target::Ref(ty) => operands.push(ValType::Ref(RefType {
            nullable: true,
            heap_type: HeapType::Concrete(ty),
        })),
    }
    operands
}

/// The sequences an exception thrown from would meet a handler of the
/// function: everything inside the body of a `try` or `try_table`. An
/// explicit stack: nesting depth costs heap, not native stack.
fn inside_try_bodies(func: &LocalFunction) -> HashSet<InstrSeqId> {
    let mut inside = HashSet::new();
    let mut pending = vec![(func.entry_block(), false)];
    while let Some((seq, protected)) = pending.pop() {
        if protected {
            inside.insert(seq);
        }
        for (instr, _) in &func.block(seq).instrs {
            let body = match instr {
                Instr::Try(t) => Some(t.seq),
                Instr::TryTable(t) => Some(t.seq),
                _ => None,
            };
            for child in children(instr) {
                pending.push((child, protected || Some(child) == body));
            }
        }
    }
    inside
}

/// Moves the parameters of suspending blocks, loops and `if`s into locals.
pub(crate) fn lower_block_params(
    func: &mut LocalFunction,
    suspends: &Suspends,
    ctx: &mut TypeContext,
    types: &mut ModuleTypes,
    locals: &mut ModuleLocals,
    name: &str,
) -> Result<()> {
    for seq in sequences(func) {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            // A `try`'s handlers take the caught values, not its parameters.
            let owned: Vec<InstrSeqId> = match &instr {
                Instr::Try(t) => vec![t.seq],
                _ => children(&instr).collect(),
            };
            let Some(&first) = owned.first() else {
                out.push((instr, loc));
                continue;
            };
            let (params, results) = ctx.block_signature(func.block(first).ty);
            if params.is_empty() || !owned.iter().any(|s| suspends.contains(*s)) {
                out.push((instr, loc));
                continue;
            }
            let slots: Vec<LocalId> = params.iter().map(|t| locals.add(*t)).collect();
            let new_ty = ctx.block_type(types, &[], &results);
            // An `if` keeps its condition on top of the parameters.
            let condition = match &instr {
                Instr::IfElse(_) => {
                    let c = locals.add(walrus::ValType::I32);
                    out.push((Instr::LocalSet(LocalSet { local: c }), loc));
                    Some(c)
                }
                _ => None,
            };
            for slot in slots.iter().rev() {
                out.push((Instr::LocalSet(LocalSet { local: *slot }), loc));
            }
            if let Some(c) = condition {
                out.push((Instr::LocalGet(LocalGet { local: c }), loc));
            }
            for s in &owned {
                let body = func.block_mut(*s);
                body.ty = new_ty;
                let prefix = slots.iter().map(|l| {
                    (
                        Instr::LocalGet(LocalGet { local: *l }),
                        InstrLocId::default(),
                    )
                });
                body.instrs.splice(0..0, prefix);
            }
            if let Instr::Loop(l) = &instr {
                redirect_loop_branches(func, l.seq, &slots, locals, name)?;
            }
            out.push((instr, loc));
        }
        func.block_mut(seq).instrs = out;
    }
    Ok(())
}

/// Inside `loop_seq`, makes every branch back to the loop store the values
/// it carries into `slots` (the loop no longer takes parameters).
fn redirect_loop_branches(
    func: &mut LocalFunction,
    loop_seq: InstrSeqId,
    slots: &[LocalId],
    locals: &mut ModuleLocals,
    name: &str,
) -> Result<()> {
    let mut pending = vec![loop_seq];
    while let Some(seq) = pending.pop() {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            pending.extend(children(&instr));
            let set_slots = |out: &mut Vec<_>| {
                for slot in slots.iter().rev() {
                    out.push((Instr::LocalSet(LocalSet { local: *slot }), loc));
                }
            };
            match &instr {
                Instr::Br(b) if b.block == loop_seq => set_slots(&mut out),
                Instr::BrIf(b) if b.block == loop_seq => {
                    // [values, cond]: store the values for the loop header and
                    // push them back for the fall-through path.
                    let cond = locals.add(walrus::ValType::I32);
                    out.push((Instr::LocalSet(LocalSet { local: cond }), loc));
                    set_slots(&mut out);
                    for slot in slots {
                        out.push((Instr::LocalGet(LocalGet { local: *slot }), loc));
                    }
                    out.push((Instr::LocalGet(LocalGet { local: cond }), loc));
                }
                // These carry the loop's values with no place to store
                // them on the way.
                other if branch_targets(other).contains(&loop_seq) => {
                    let what = match other {
                        Instr::BrTable(_) => "`br_table`",
                        Instr::TryTable(_) => "a `try_table` catch",
                        _ => "a `br_on_*` branch",
                    };
                    return Err(Error::Unsupported {
                        function: name.to_string(),
                        construct: format!(
                            "{what} to a loop with parameters that contains a suspending call"
                        ),
                    });
                }
                _ => {}
            }
            out.push((instr, loc));
        }
        func.block_mut(seq).instrs = out;
    }
    Ok(())
}

impl TypeContext {
    /// The block type for `params -> results`, registering new multi-value
    /// types so later typing sees them.
    pub fn block_type(
        &mut self,
        types: &mut ModuleTypes,
        params: &[walrus::ValType],
        results: &[walrus::ValType],
    ) -> InstrSeqType {
        let ty = InstrSeqType::new(types, params, results);
        if let InstrSeqType::MultiValue(id) = ty {
            self.types_params
                .entry(id)
                .or_insert_with(|| (params.to_vec(), results.to_vec()));
        }
        ty
    }
}

/// Makes every non-parameter local used under `root` whose type is a
/// non-nullable reference nullable, and follows every `local.get` and
/// `local.tee` of it there with `ref.as_non_null`, so that readers see the
/// type they saw before.
pub(crate) fn make_locals_nullable(
    func: &mut LocalFunction,
    root: InstrSeqId,
    locals: &mut ModuleLocals,
) {
    let params: HashSet<LocalId> = func.args.iter().copied().collect();
    let mut retyped = HashSet::new();
    let seqs = sequences_from(func, root);
    for &seq in &seqs {
        for (instr, _) in &func.block(seq).instrs {
            let local = match instr {
                Instr::LocalGet(l) => l.local,
                Instr::LocalSet(l) => l.local,
                Instr::LocalTee(l) => l.local,
                _ => continue,
            };
            if let ValType::Ref(r) = locals.get(local).ty()
                && !r.nullable
                && !params.contains(&local)
                && retyped.insert(local)
            {
                let name = locals.get(local).name.clone();
                *locals.get_mut(local) = Local::new(local, ValType::Ref(nullable(r)));
                locals.get_mut(local).name = name;
            }
        }
    }
    if retyped.is_empty() {
        return;
    }
    for seq in seqs {
        let instrs = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out = Vec::with_capacity(instrs.len());
        for (instr, loc) in instrs {
            let read = match &instr {
                Instr::LocalGet(l) => retyped.contains(&l.local),
                Instr::LocalTee(l) => retyped.contains(&l.local),
                _ => false,
            };
            out.push((instr, loc));
            if read {
                out.push((Instr::RefAsNonNull(RefAsNonNull {}), loc));
            }
        }
        func.block_mut(seq).instrs = out;
    }
}
