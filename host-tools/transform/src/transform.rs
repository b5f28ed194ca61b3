//! The pipeline: parse, analyse, instrument each function, add the runtime,
//! emit, validate.

use std::collections::HashSet;
use std::time::Instant;

use walrus::ir::{Block, Instr, InstrSeqType, Return};
use walrus::{FunctionId, FunctionKind, Module, ModuleConfig, ValType};
use wasmparser::{Validator, WasmFeatures};

use crate::analysis::{self, Analysis};
use crate::error::{Error, Result};
use crate::fast_path;
use crate::flow::Flow;
use crate::frame::Frame;
use crate::fuel::Hints;
use crate::ir::{Code, at, function_name, retarget};
use crate::liveness::live_after;
use crate::normalize::{check_supported, lower_block_params, trim_dead_code};
use crate::runtime::{self, Abi};
use crate::stack::TypeContext;
use crate::suspend::Suspends;
use crate::{FuelOptions, Options, Output, Report, intrinsics};

/// Parses a binary or text module.
pub(crate) fn parse(input: &[u8]) -> Result<(Module, usize)> {
    let binary = wat::parse_bytes(input).map_err(|e| Error::Parse(Box::new(e)))?;
    let module = ModuleConfig::new()
        .parse(&binary)
        .map_err(|e| Error::Parse(e.into()))?;
    Ok((module, binary.len()))
}

/// Emits and validates.
pub(crate) fn emit(module: &mut Module) -> Result<Vec<u8>> {
    let wasm = module.emit_wasm();
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(&wasm)
        .map_err(Error::InvalidOutput)?;
    Ok(wasm)
}

pub(crate) fn run(input: &[u8], options: &Options) -> Result<Output> {
    let started = Instant::now();
    let (mut module, bytes_before) = parse(input)?;
    let mut report = instrument_module(&mut module, options, &Hints::default())?;
    let wasm = emit(&mut module)?;
    report.bytes_before = bytes_before;
    report.bytes_after = wasm.len();
    report.elapsed = started.elapsed();
    Ok(Output { wasm, report })
}

pub(crate) fn run_metered(input: &[u8], fuel: &FuelOptions, options: &Options) -> Result<Output> {
    let started = Instant::now();
    let (mut module, bytes_before) = parse(input)?;
    let metered = crate::fuel::meter(&mut module, fuel)?;
    let mut options = options.clone();
    if options.ignore_imports && metered.handler_is_import {
        return Err(Error::Options(
            "--ignore-imports would stop the out-of-fuel import from suspending".into(),
        ));
    }
    let mut imports = options.imports.take().unwrap_or_default();
    if metered.handler_is_import {
        let (m, n) = crate::fuel::OUT_OF_FUEL_IMPORT;
        imports.push(format!("{m}.{n}"));
    }
    options.imports = Some(imports);
    let mut report = instrument_module(&mut module, &options, &metered.hints)?;
    let wasm = emit(&mut module)?;
    report.fuel = Some(metered.report);
    report.bytes_before = bytes_before;
    report.bytes_after = wasm.len();
    report.elapsed = started.elapsed();
    Ok(Output { wasm, report })
}

/// Instruments a parsed module in place. `hints` come from the metering
/// pass (empty otherwise). Sizes and time are left to the caller.
pub(crate) fn instrument_module(
    module: &mut Module,
    options: &Options,
    hints: &Hints,
) -> Result<Report> {
    runtime::check_not_instrumented(module)?;
    let (memory, memory64) = runtime::save_memory(module, options)?;
    let stack_pointer = runtime::stack_pointer(module, options)?;
    let ptr = if memory64 { ValType::I64 } else { ValType::I32 };
    let sp_ty = stack_pointer.map(|g| (module.globals.get(g).ty, module.globals.get(g).mutable));
    let intrinsics = intrinsics::find(module, ptr, sp_ty)?;
    let mut analysis = analysis::analyse(module, options, &intrinsics)?;

    let abi = runtime::install_state(module, options, memory, memory64);
    let mut ctx = TypeContext::new(module);
    let mut report = Report {
        functions_total: module
            .funcs
            .iter()
            .filter(|f| matches!(f.kind, FunctionKind::Local(_)))
            .count()
            - 1, // the overflow trap just added
        ..Report::default()
    };
    let targets: Vec<FunctionId> = analysis.instrument.iter().copied().collect();
    let imports: HashSet<FunctionId> = module
        .funcs
        .iter()
        .filter(|f| matches!(f.kind, FunctionKind::Import(_)))
        .map(|f| f.id())
        .collect();
    for func in targets {
        let name = function_name(module, func);
        let shared = Shared {
            analysis: &analysis,
            abi: &abi,
            imports: &imports,
            hints,
            fast_path: options.fast_path,
        };
        match instrument(module, func, &shared, &mut ctx, &name)? {
            Some((sites, saved)) => {
                report.functions_instrumented += 1;
                report.call_sites += sites;
                report.locals_saved += saved;
            }
            None => {
                if let Some(d) = analysis.decisions.iter_mut().find(|d| d.function == name) {
                    d.instrumented = false;
                    d.reason
                        .push_str(", but has no suspending call site: left unchanged");
                }
            }
        }
    }
    runtime::install_api(module, &abi, &intrinsics, stack_pointer)?;
    report.warnings = std::mem::take(&mut analysis.warnings);
    report.decisions = std::mem::take(&mut analysis.decisions);
    Ok(report)
}

/// What the rewrite of every function reads.
struct Shared<'a> {
    analysis: &'a Analysis,
    abi: &'a Abi,
    /// The imported functions.
    imports: &'a HashSet<FunctionId>,
    hints: &'a Hints,
    /// `Options::fast_path`.
    fast_path: bool,
}

/// Instruments one function. Returns the number of call sites and saved
/// locals, or `None` when the function has no suspending call site.
fn instrument(
    module: &mut Module,
    id: FunctionId,
    shared: &Shared,
    ctx: &mut TypeContext,
    name: &str,
) -> Result<Option<(usize, usize)>> {
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
    let mut flow = Flow {
        ctx,
        locals,
        suspends: &suspends,
        state: abi.state,
        site,
        unwind,
        name,
        sites: 0,
        call_positions: Vec::new(),
        rewind_reads: Vec::new(),
        guards: Default::default(),
        imports,
        hints,
    };
    flow.rewrite(func, body)?;
    let sites = flow.sites as usize;
    let positions = flow.call_positions.iter().copied().collect();
    let rewind_reads = std::mem::take(&mut flow.rewind_reads);
    let guards = std::mem::take(&mut flow.guards);

    let mut saved = live_after(func, body, &positions, &guards);
    saved.extend(rewind_reads);
    saved.retain(|l| *l != site);
    saved.sort();
    saved.dedup();
    let frame = Frame::new(&saved, site, abi, locals, name)?;

    let mut code = prologue;
    let mut run = vec![at(Instr::Block(Block { seq: body }))];
    if fast_path {
        let mut slow = frame.restore(func, abi);
        slow.append(&mut run);
        run = fast_path::dispatch(func, abi.state, body_ty, body, slow);
    } else {
        code.extend(frame.restore(func, abi));
    }
    run.push(at(Instr::Return(Return {})));
    func.block_mut(unwind).instrs = run;
    code.push(at(Instr::Block(Block { seq: unwind })));
    code.extend(frame.save(func, abi, &results, name)?);
    func.block_mut(entry).instrs = code;
    Ok(Some((sites, frame.saved())))
}
