//! Instrumenting one function: normalise it, rewrite its flow, find the
//! locals to save, and wrap the body between the frame restore and the
//! frame save.

use std::collections::{HashMap, HashSet};

use walrus::ir::{Block, Call, Instr, InstrSeqId, InstrSeqType, LocalSet, Return};
use walrus::{FunctionId, FunctionKind, LocalFunction, LocalId, Module, ValType};

use crate::abi_state::Abi;
use crate::analysis::Analysis;
use crate::catches::{Handlers, lower_suspending_handlers};
use crate::coalesce::coalesce;
use crate::depths::Depths;
use crate::error::Error;
use crate::error::Result;
use crate::fast_path;
use crate::flow::{Flow, FlowContext};
use crate::frame::Frame;
use crate::frame_movers::FrameMovers;
use crate::guards::Guards;
use crate::hints::Hints;
use crate::ir::{Code, at, function_name, i32_const, if_then, nullable, retarget, sequences};
use crate::liveness::Liveness;
use crate::name_table::NameTable;
use crate::normalize::{
    lower_block_params, lower_suspending_tail_calls, make_locals_nullable, trim_dead_code,
};
use crate::operand_types::TypeContext;
use crate::parked_fuel::Fold;
use crate::placeholder::Placeholders;
use crate::side_tables::SideTables;
use crate::site_numbers;
use crate::suspend::Suspends;
use crate::tail_calls::TailCalls;
use crate::tidy::tidy;

/// What the rewrite of every function reads.
pub(crate) struct Shared<'a> {
    pub analysis: &'a Analysis,
    pub abi: &'a Abi,
    /// The imported functions.
    pub imports: &'a HashSet<FunctionId>,
    pub hints: &'a Hints,
    /// `Options::fast_path`.
    pub fast_path: bool,
    /// `!Options::no_multivalue`.
    pub multivalue: bool,
    /// `Options::ignore_unwind_from_catch`.
    pub ignore_unwind_from_catch: bool,
    /// Where resuming inside a catch handler that stayed in its `try`
    /// traps, when the module has one (see `catches.rs`).
    pub resume_in_catch: Option<FunctionId>,
    /// With `Options::record_unwinds`: the import each unwinding frame
    /// reports itself to.
    pub unwound: Option<FunctionId>,
    /// Which functions keep their tail calls, and the frame tags.
    pub tail_calls: &'a TailCalls,
    /// Whether a host can call the function: exported, or addressable
    /// through a table or a reference.
    pub exposed: bool,
}

/// What instrumenting one function did.
pub(crate) struct Instrumented {
    /// Suspending call sites made resumable.
    pub sites: usize,
    /// Locals saved with the frame.
    pub saved: usize,
    /// Locals merged into another's slot.
    pub coalesced: usize,
    /// Tail calls to suspending functions that became call + `return`.
    pub tail_calls_lowered: usize,
    /// Tail calls to suspending functions kept as tail calls.
    pub tail_calls_kept: usize,
    /// Catch handlers moved after their `try`, and left in it.
    pub handlers: Handlers,
    /// Instructions of the instrumented function.
    pub instructions: usize,
    /// Whether its entry fuel check became its rewind test
    /// (`parked_fuel.rs`).
    pub entry_check_folded: bool,
}

/// Instruments one function, or returns `None` when it has no suspending
/// call site (it is left unchanged).
pub(crate) fn instrument(
    module: &mut Module,
    id: FunctionId,
    shared: &Shared,
    ctx: &mut TypeContext,
    extras: &mut Extras,
) -> Result<Option<Instrumented>> {
    let name = &function_name(module, id);
    let tail_calls = shared.tail_calls;
    let mut reentry_args = HashMap::new();
    for c in tail_calls.reentries(id) {
        let params = module.types.get(module.funcs.get(c).ty()).params().to_vec();
        let args = extras.placeholders.results(module, &params, name)?;
        reentry_args.insert(c, args);
    }
    let Some(rewritten) = rewrite(module, id, shared, ctx, name)? else {
        if !tail_calls.keeps(id) {
            return Ok(None);
        }
        // Only kept tail calls may suspend: no frame, only the re-entry.
        let Module { funcs, locals, .. } = module;
        let FunctionKind::Local(func) = &mut funcs.get_mut(id).kind else {
            unreachable!("only defined functions keep tail calls");
        };
        let mut code = tail_calls.reentry(func, id, shared.abi, locals, reentry_args);
        let entry = func.entry_block();
        code.append(&mut func.block_mut(entry).instrs);
        func.block_mut(entry).instrs = code;
        return Ok(Some(Instrumented {
            sites: 0,
            saved: 0,
            coalesced: 0,
            tail_calls_lowered: 0,
            tail_calls_kept: tail_calls.kept(id),
            handlers: Handlers::default(),
            instructions: 0,
            entry_check_folded: false,
        }));
    };
    // What the frame code needs from the module: a side table for each
    // reference type saved, the helpers that move its runs, placeholders
    // for the results.
    let mut side = HashMap::new();
    for local in &rewritten.saved {
        if let ValType::Ref(r) = module.locals.get(*local).ty() {
            side.insert(nullable(r), extras.side_tables.get_or_add(module, r));
        }
    }
    let abi = shared.abi;
    let frame = Frame::new(
        &rewritten.saved,
        rewritten.site,
        tail_calls.tag(id),
        abi,
        module,
        &side,
        &mut extras.frame_movers,
        shared.multivalue,
    );
    let placeholders = extras
        .placeholders
        .results(module, &rewritten.results, name)?;
    let report_unwind: Code = match shared.unwound {
        Some(recorder) => vec![
            at(i32_const(extras.unwound_names.id(name.clone()))),
            at(Instr::Call(Call { func: recorder })),
        ],
        None => Vec::new(),
    };

    let Module { funcs, locals, .. } = module;
    let FunctionKind::Local(func) = &mut funcs.get_mut(id).kind else {
        unreachable!("rewritten above");
    };
    let Rewritten {
        prologue,
        body,
        body_ty,
        unwind,
    } = rewritten.layout;
    let mut code = prologue;
    let reenters = !reentry_args.is_empty();
    code.extend(tail_calls.reentry(func, id, abi, locals, reentry_args));
    let mut run = vec![at(Instr::Block(Block { seq: body }))];
    // A rewind entering a function that a host can call parks the fuel
    // counter again, in case the host set the budget after starting it.
    let mut restore: Code = match &abi.parking {
        Some(parking) if shared.exposed => vec![at(parking.park())],
        _ => Vec::new(),
    };
    restore.extend(frame.restore_unguarded(abi));
    let dispatch = rewritten.guards.entry(func, body, abi.state);
    let fold = abi.parking.is_some()
        && !shared.exposed
        && !shared.fast_path
        && !reenters
        && !tail_calls.keeps(id);
    let fold = fold
        .then(|| Fold::find(func, body, dispatch, &shared.hints.checks))
        .flatten();
    let mut entry_check_folded = false;
    if shared.fast_path {
        let mut slow = if_rewinding(func, abi, restore);
        slow.append(&mut run);
        run = fast_path::dispatch(func, abi.state, body_ty, body, &rewritten.guards, slow);
    } else if let Some(fold) = fold {
        // The entry fuel check is the rewind test (see `parked_fuel.rs`).
        fold.apply(func, abi.state, &mut code, restore);
        entry_check_folded = true;
    } else if let Some(dispatch) = dispatch {
        // The body's first dispatch restores the frame before choosing a
        // rung: one state test on entry instead of two.
        restore.append(&mut func.block_mut(dispatch).instrs);
        func.block_mut(dispatch).instrs = restore;
    } else {
        code.extend(if_rewinding(func, abi, restore));
    }
    run.push(at(Instr::Return(Return {})));
    func.block_mut(unwind).instrs = run;
    code.push(at(Instr::Block(Block { seq: unwind })));
    if let Some(site) = rewritten.site {
        // The number the unwind check carried out.
        code.push(at(Instr::LocalSet(LocalSet { local: site })));
    }
    code.extend(report_unwind);
    code.extend(frame.save(abi, placeholders));
    let entry = func.entry_block();
    func.block_mut(entry).instrs = code;
    let mut keep: HashSet<LocalId> = rewritten.saved.iter().copied().collect();
    keep.extend(rewritten.site);
    tidy(func);
    let coalesced = coalesce(func, locals, &rewritten.liveness, body, &keep);
    // The growth slack of the rewritten sequences is about 2% of the
    // transform's peak memory on a large module.
    let mut instructions = 0;
    for seq in sequences(func) {
        let instrs = &mut func.block_mut(seq).instrs;
        instrs.shrink_to_fit();
        instructions += instrs.len();
    }
    Ok(Some(Instrumented {
        sites: rewritten.sites as usize,
        saved: frame.saved(),
        coalesced,
        tail_calls_lowered: rewritten.tail_calls_lowered,
        tail_calls_kept: tail_calls.kept(id),
        handlers: rewritten.handlers,
        instructions,
        entry_check_folded,
    }))
}

/// `if state == REWINDING { code }`, or nothing for no code.
fn if_rewinding(func: &mut LocalFunction, abi: &Abi, code: Code) -> Code {
    if code.is_empty() {
        return code;
    }
    if_then(func, abi.rewinding(), code)
}

/// Module-level additions that instrumented functions share.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub side_tables: SideTables,
    pub frame_movers: FrameMovers,
    pub placeholders: Placeholders,
    /// The ids passed to the unwind recorder.
    pub unwound_names: NameTable,
}

/// Where the rewritten body sits, before the frame code goes around it.
struct Rewritten {
    /// Code that runs on every entry, before the frame is restored.
    prologue: Code,
    /// The original body, rewritten, and its type.
    body: InstrSeqId,
    body_ty: InstrSeqType,
    /// The block a branch to which starts saving the frame.
    unwind: InstrSeqId,
}

/// One function after its flow rewrite and liveness.
struct Prepared {
    layout: Rewritten,
    /// The locals to save, site number excluded.
    saved: Vec<LocalId>,
    /// The call-site number, when the rewind dispatches read it.
    site: Option<LocalId>,
    sites: u32,
    guards: Guards,
    /// The rewritten body's liveness, for the coalescing at the end.
    liveness: Liveness,
    results: Vec<ValType>,
    tail_calls_lowered: usize,
    handlers: Handlers,
}

/// Normalises the function, rewrites its flow and finds the locals to
/// save; `None` when it has no suspending call site.
fn rewrite(
    module: &mut Module,
    id: FunctionId,
    shared: &Shared,
    ctx: &mut TypeContext,
    name: &str,
) -> Result<Option<Prepared>> {
    let Shared {
        analysis,
        abi,
        imports,
        hints,
        ignore_unwind_from_catch,
        resume_in_catch,
        tail_calls,
        ..
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
    let keeps = tail_calls.keeps(id);
    let mut suspends = Suspends::scan(analysis, func, ignore_unwind_from_catch, keeps);
    let entry = func.entry_block();
    if !suspends.contains(entry) {
        return Ok(None);
    }
    let tail_calls_lowered = lower_suspending_tail_calls(func, &suspends, ctx, types);
    if tail_calls_lowered > 0 {
        // A tail call moved out of a `try` is a call of the outer sequences.
        suspends = Suspends::scan(analysis, func, ignore_unwind_from_catch, keeps);
    }
    let mut depths = Depths::absolutize(func, entry);
    lower_block_params(func, &suspends, ctx, types, locals, name)?;
    let handlers = lower_suspending_handlers(func, &suspends, depths.as_ref(), ctx, types, locals);
    if handlers.lowered > 0 {
        suspends = Suspends::scan(analysis, func, ignore_unwind_from_catch, keeps);
    }

    // The original body moves into `$body`, inside `$unwind`.
    let results = ctx.signature(func.ty()).1.to_vec();
    let body_ty = ctx.block_type(types, &[], &results);
    let body = func.builder_mut().dangling_instr_seq(body_ty).id();
    let unwind = func
        .builder_mut()
        .dangling_instr_seq(InstrSeqType::Simple(None))
        .id();
    let mut instrs = std::mem::take(&mut func.block_mut(entry).instrs);
    let prologue_len = hints
        .prologue
        .get(&id)
        .map_or(0, |n| (*n).min(instrs.len()));
    let prologue: Code = instrs.drain(..prologue_len).collect();
    func.block_mut(body).instrs = instrs;
    retarget(func, body, entry, body);
    if let Some(depths) = &mut depths {
        depths.retarget(entry, body);
    }

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
        resume_in_catch,
    };
    let flow = Flow::run(cx, func, body)?;
    if let Some(depths) = &depths
        && !depths.relativize(func, body)
    {
        return Err(Error::Unsupported {
            function: name.to_string(),
            construct: "a `rethrow` or `delegate` whose target the rewrite moved (a bug)".into(),
        });
    }
    // Before the frame code exists: its reads of the locals it saves must
    // not assert they are set (a local may still be null when an unwind
    // leaves before its first assignment).
    make_locals_nullable(func, body, locals);
    let site = site_numbers::settle(func, body, unwind, site).then_some(site);
    let liveness = Liveness::analyse(func, body, unwind, &flow.guards);
    let mut saved = liveness.live_after();
    saved.extend(flow.rewind_reads);
    saved.retain(|l| Some(*l) != site);
    saved.sort();
    saved.dedup();
    Ok(Some(Prepared {
        layout: Rewritten {
            prologue,
            body,
            body_ty,
            unwind,
        },
        saved,
        site,
        sites: flow.sites,
        guards: flow.guards,
        liveness,
        results,
        tail_calls_lowered,
        handlers,
    }))
}
