//! Instrumenting one function: normalise it, rewrite its flow, find the
//! locals to save, and wrap the body between the frame restore and the
//! frame save.

use std::collections::HashSet;

use walrus::ir::{Block, Instr, InstrSeqType, Return};
use walrus::{FunctionId, FunctionKind, Module, ValType};

use crate::abi_state::Abi;
use crate::analysis::Analysis;
use crate::error::Result;
use crate::fast_path;
use crate::flow::{Flow, FlowContext};
use crate::frame::Frame;
use crate::hints::Hints;
use crate::ir::{Code, at, function_name, retarget};
use crate::liveness::live_after;
use crate::normalize::{
    check_supported, lower_block_params, lower_suspending_tail_calls, trim_dead_code,
};
use crate::operand_types::TypeContext;
use crate::suspend::Suspends;

/// What the rewrite of every function reads.
pub(crate) struct Shared<'a> {
    pub analysis: &'a Analysis,
    pub abi: &'a Abi,
    /// The imported functions.
    pub imports: &'a HashSet<FunctionId>,
    pub hints: &'a Hints,
    /// `Options::fast_path`.
    pub fast_path: bool,
}

/// What instrumenting one function did.
pub(crate) struct Instrumented {
    /// Suspending call sites made resumable.
    pub sites: usize,
    /// Locals saved with the frame.
    pub saved: usize,
    /// Tail calls to suspending functions that became call + `return`.
    pub tail_calls_lowered: usize,
}

/// Instruments one function, or returns `None` when it has no suspending
/// call site (it is left unchanged).
pub(crate) fn instrument(
    module: &mut Module,
    id: FunctionId,
    shared: &Shared,
    ctx: &mut TypeContext,
) -> Result<Option<Instrumented>> {
    let name = &function_name(module, id);
    let Shared {
        analysis,
        abi,
        imports,
        hints,
        fast_path,
    } = *shared;
    let Module {
        funcs,
        locals,
        types,
        ..
    } = module;
    let FunctionKind::Local(func) = &mut funcs.get_mut(id).kind else {
        return Ok(None);
    };
    trim_dead_code(func);
    let suspends = Suspends::scan(analysis, func);
    let entry = func.entry_block();
    if !suspends.contains(entry) {
        return Ok(None);
    }
    let tail_calls_lowered = lower_suspending_tail_calls(func, &suspends);
    check_supported(func, &suspends, name)?;
    lower_block_params(func, &suspends, ctx, types, locals, name)?;

    // The original body moves into `$body`, inside `$unwind`.
    let results = ctx.signature(func.ty()).1.to_vec();
    let body_ty = ctx.block_type(types, &[], &results);
    let body = func.builder_mut().dangling_instr_seq(body_ty).id();
    let unwind = func
        .builder_mut()
        .dangling_instr_seq(InstrSeqType::Simple(None))
        .id();
    let mut instrs = std::mem::take(&mut func.block_mut(entry).instrs);
    // Code that may run on every entry, before the frame is restored.
    let prologue_len = hints
        .prologue
        .get(&id)
        .map_or(0, |n| (*n).min(instrs.len()));
    let prologue: Code = instrs.drain(..prologue_len).collect();
    func.block_mut(body).instrs = instrs;
    retarget(func, body, entry, body);

    let site = locals.add(ValType::I32);
    let cx = FlowContext {
        ctx,
        locals,
        suspends: &suspends,
        state: abi.state,
        site,
        unwind,
        name,
        imports,
        hints,
    };
    let rewritten = Flow::run(cx, func, body)?;
    let positions = rewritten.call_positions.iter().copied().collect();
    let mut saved = live_after(func, body, &positions, &rewritten.guards);
    saved.extend(rewritten.rewind_reads);
    saved.retain(|l| *l != site);
    saved.sort();
    saved.dedup();
    let frame = Frame::new(&saved, site, abi, locals, name)?;

    let mut code = prologue;
    let mut run = vec![at(Instr::Block(Block { seq: body }))];
    if fast_path {
        let mut slow = frame.restore(func, abi);
        slow.append(&mut run);
        run = fast_path::dispatch(func, abi.state, body_ty, body, &rewritten.guards, slow);
    } else {
        code.extend(frame.restore(func, abi));
    }
    run.push(at(Instr::Return(Return {})));
    func.block_mut(unwind).instrs = run;
    code.push(at(Instr::Block(Block { seq: unwind })));
    code.extend(frame.save(func, abi, &results, name)?);
    func.block_mut(entry).instrs = code;
    Ok(Some(Instrumented {
        sites: rewritten.sites as usize,
        saved: frame.saved(),
        tail_calls_lowered,
    }))
}
