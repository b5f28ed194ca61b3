//! Legacy `catch` handlers that may suspend, moved out of their `try`.
//!
//! A rewind cannot re-enter a catch handler: only a thrown exception enters
//! one. So a handler that contains a suspending call runs after its `try`
//! instead, with the caught values in locals, where it is ordinary code:
//!
//! ```text
//! try (result R)                 block $done (result R)
//!   BODY                           block $c (result T)
//! catch $tag                         try (result R)
//!   HANDLER                            BODY
//! end                                catch $tag
//!                                      br $c          ;; T on the stack
//!                                    end
//!                                    br $done
//!                                  end
//!                                  local.set $t ...   ;; T into locals
//!                                  block $h (result R)
//!                                    local.get $t ... HANDLER
//!                                  end
//!                                end
//! ```
//!
//! A branch to the handler's own label still leaves it with `R`, which
//! `$done` passes on; an exception thrown by the handler still goes to
//! the handlers around the `try`, as before. `catch_all` works the same
//! way with no values.
//!
//! A handler that rethrows its own exception (a `rethrow`, or a `delegate`,
//! aimed at it) needs the `catch` around it and stays where it is. A
//! suspension inside it unwinds normally, but resuming it cannot re-enter
//! the handler: the rewind traps in `__rewind_resume_in_catch_with_rethrow`
//! (see `flow.rs`), named so that a host's stack trace says why.

use walrus::ir::{Block, Br, Instr, InstrLocId, InstrSeqId, LegacyCatch, LocalGet, LocalSet, Try};
use walrus::{LocalFunction, LocalId, ModuleLocals, ModuleTypes, ValType};

use crate::depths::Depths;
use crate::ir::{at, sequences};
use crate::operand_types::TypeContext;
use crate::suspend::Suspends;

/// What lowering the handlers of one function did.
#[derive(Debug, Default)]
pub(crate) struct Handlers {
    /// Handlers moved out of their `try`.
    pub lowered: usize,
    /// Handlers that may suspend but rethrow their exception: they stay,
    /// and resuming inside them traps.
    pub kept: Vec<InstrSeqId>,
}

/// Moves every catch handler that may suspend, and does not rethrow its
/// own exception, out of its `try` (see the module doc). `depths` knows
/// the targets of the function's `rethrow`s and `delegate`s, if it has any.
pub(crate) fn lower_suspending_handlers(
    func: &mut LocalFunction,
    suspends: &Suspends,
    depths: Option<&Depths>,
    ctx: &mut TypeContext,
    types: &mut ModuleTypes,
    locals: &mut ModuleLocals,
) -> Handlers {
    let mut handlers = Handlers::default();
    for seq in sequences(func) {
        let positions: Vec<usize> = func
            .block(seq)
            .instrs
            .iter()
            .enumerate()
            .filter(|(_, (i, _))| matches!(i, Instr::Try(_)))
            .map(|(at, _)| at)
            .collect();
        for at in positions {
            let Instr::Try(t) = &func.block(seq).instrs[at].0 else {
                unreachable!("a try");
            };
            let catches = t.catches.clone();
            let mut lowerable = Vec::new();
            for c in &catches {
                let (tag, handler) = match c {
                    LegacyCatch::Catch { tag, handler } => (Some(*tag), *handler),
                    LegacyCatch::CatchAll { handler } => (None, *handler),
                    LegacyCatch::Delegate { .. } => continue,
                };
                if !suspends.contains(handler) {
                    continue;
                }
                let rethrows = depths.is_some_and(|d| d.targeted_under(func, handler, handler));
                if rethrows {
                    handlers.kept.push(handler);
                } else {
                    lowerable.push((tag, handler));
                }
            }
            if lowerable.is_empty() {
                continue;
            }
            handlers.lowered += lowerable.len();
            let loc = func.block(seq).instrs[at].1;
            let block = lower(func, seq, at, loc, &lowerable, ctx, types, locals);
            func.block_mut(seq).instrs[at] = (block, loc);
        }
    }
    handlers
}

/// Rebuilds the `try` at `seq[at]` with `lowerable` handlers moved out;
/// returns the `block $done` that replaces it.
#[allow(clippy::too_many_arguments)]
fn lower(
    func: &mut LocalFunction,
    seq: InstrSeqId,
    at_index: usize,
    loc: InstrLocId,
    lowerable: &[(Option<walrus::TagId>, InstrSeqId)],
    ctx: &mut TypeContext,
    types: &mut ModuleTypes,
    locals: &mut ModuleLocals,
) -> Instr {
    let Instr::Try(t) = &func.block(seq).instrs[at_index].0 else {
        unreachable!("a try");
    };
    let (body, mut catches) = (t.seq, t.catches.clone());
    let (_, results) = ctx.block_signature(func.block(body).ty);
    let done_ty = ctx.block_type(types, &[], &results);
    let done = func.builder_mut().dangling_instr_seq(done_ty).id();

    // Each lowered handler gets a block `$c` its new catch branches to.
    let mut outs = Vec::new();
    for (tag, handler) in lowerable {
        let caught: Vec<ValType> = match tag {
            Some(tag) => ctx.signature(ctx.tag_types[tag]).0.to_vec(),
            None => Vec::new(),
        };
        let c_ty = ctx.block_type(types, &[], &caught);
        let c = func.builder_mut().dangling_instr_seq(c_ty).id();
        let branch_ty = ctx.block_type(types, &caught, &results);
        let branch = func.builder_mut().dangling_instr_seq(branch_ty).id();
        func.block_mut(branch).instrs = vec![at(Instr::Br(Br { block: c }))];
        for catch in catches.iter_mut() {
            match catch {
                LegacyCatch::Catch { handler: h, .. } | LegacyCatch::CatchAll { handler: h }
                    if *h == *handler =>
                {
                    *h = branch
                }
                _ => {}
            }
        }
        // The handler becomes a block that reads the caught values from
        // locals.
        let slots: Vec<LocalId> = caught.iter().map(|ty| locals.add(*ty)).collect();
        let handler_ty = ctx.block_type(types, &[], &results);
        let reads = slots
            .iter()
            .map(|l| (Instr::LocalGet(LocalGet { local: *l }), loc));
        let h = func.block_mut(*handler);
        h.ty = handler_ty;
        h.instrs.splice(0..0, reads);
        outs.push((c, slots, *handler));
    }

    // From the inside out: the `try`, then each `$c` block and its handler.
    let mut inner = vec![
        (Instr::Try(Try { seq: body, catches }), loc),
        (Instr::Br(Br { block: done }), loc),
    ];
    let last = outs.len() - 1;
    for (k, (c, slots, handler)) in outs.into_iter().enumerate() {
        func.block_mut(c).instrs = inner;
        inner = vec![(Instr::Block(Block { seq: c }), loc)];
        inner.extend(
            slots
                .iter()
                .rev()
                .map(|l| (Instr::LocalSet(LocalSet { local: *l }), loc)),
        );
        inner.push((Instr::Block(Block { seq: handler }), loc));
        if k != last {
            inner.push((Instr::Br(Br { block: done }), loc));
        }
    }
    func.block_mut(done).instrs = inner;
    Instr::Block(Block { seq: done })
}
