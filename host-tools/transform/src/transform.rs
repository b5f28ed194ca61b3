//! The pipeline: parse, analyse, instrument each function, add the runtime,
//! emit, validate.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use walrus::{ExportItem, FunctionId, FunctionKind, Module, ModuleConfig, ValType};

use crate::analysis;
use crate::bodies::{Bodies, Ids};
use crate::callgraph::CallGraph;
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::instrument::{Extras, Shared, instrument};
use crate::operand_types::TypeContext;
use crate::tail_calls::TailCalls;
use crate::validate::validate;
use crate::{
    FastPath, FuelOptions, FuelReport, Options, Output, Progress, Report, asserts, facts,
    intrinsics, runtime,
};

/// Parses a binary or text module: the module, its binary, and which item
/// each index of the binary became.
pub(crate) fn parse(input: &[u8]) -> Result<(Module, Cow<'_, [u8]>, Ids)> {
    let binary = wat::parse_bytes(input).map_err(|e| Error::Parse(Box::new(e)))?;
    let recorded = Arc::new(Mutex::new(Ids::default()));
    let sink = Arc::clone(&recorded);
    let mut module = ModuleConfig::new()
        .on_parse(move |_, ids| {
            *sink.lock().unwrap_or_else(|p| p.into_inner()) = Ids::of_input(ids);
            Ok(())
        })
        .parse(&binary)
        .map_err(|e| Error::Parse(e.into()))?;
    let ids = std::mem::take(&mut *recorded.lock().unwrap_or_else(|p| p.into_inner()));
    // The map from instructions to their input offsets is kept only for
    // rewriting DWARF, which the output does not carry; for a large module
    // it is a tenth of the memory.
    for (_, func) in module.funcs.iter_local_mut() {
        func.instruction_mapping = Vec::new();
    }
    Ok((module, binary, ids))
}

/// Emits (with the input bodies of the functions left alone, without the
/// `else` of empty `else` arms) and validates. The module is dropped as
/// soon as it is encoded, so that the clean-up and the validation reuse its
/// memory.
pub(crate) fn emit(
    mut module: Module,
    mut bodies: Option<Bodies>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<u8>> {
    if let Some(bodies) = &mut bodies {
        bodies.capture(&mut module);
    }
    let mut encoded = module.emit_wasm();
    drop(module);
    if let Some(bodies) = &bodies {
        encoded = bodies.splice(encoded)?;
    }
    drop(bodies);
    let wasm = crate::empty_else::strip(encoded);
    progress(Progress::Emitted);
    validate(&wasm)?;
    Ok(wasm)
}

pub(crate) fn run(
    input: &[u8],
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Output> {
    let started = Instant::now();
    let (mut module, binary, ids) = parse(input)?;
    progress(Progress::Parsed);
    let mut bodies = Bodies::new(&binary, ids);
    let mut report = instrument_module(
        &mut module,
        options,
        &Hints::default(),
        None,
        Some(&mut bodies),
        progress,
    )?;
    let wasm = emit(module, Some(bodies), progress)?;
    report.bytes_before = binary.len();
    report.bytes_after = wasm.len();
    report.elapsed = started.elapsed();
    Ok(Output { wasm, report })
}

pub(crate) fn run_metered(
    input: &[u8],
    fuel: &FuelOptions,
    options: &Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Output> {
    let started = Instant::now();
    // Metering changes every function: nothing is copied from the input.
    let (mut module, binary, _) = parse(input)?;
    let bytes_before = binary.len();
    drop(binary);
    progress(Progress::Parsed);
    let metered = crate::fuel::meter(&mut module, fuel)?;
    progress(Progress::Metered);
    let mut options = options.clone();
    if options.ignore_imports && metered.handler_is_import {
        return Err(Error::Options(
            "--ignore-imports would stop the out-of-fuel import from suspending".into(),
        ));
    }
    let mut imports = options.imports.take().unwrap_or_default();
    if metered.handler_is_import {
        let (m, n) = crate::abi::OUT_OF_FUEL_IMPORT;
        imports.push(format!("{m}.{n}"));
    }
    options.imports = Some(imports);
    let mut report = instrument_module(
        &mut module,
        &options,
        &metered.hints,
        Some(metered.report),
        None,
        progress,
    )?;
    let wasm = emit(module, None, progress)?;
    report.bytes_before = bytes_before;
    report.bytes_after = wasm.len();
    report.elapsed = started.elapsed();
    Ok(Output { wasm, report })
}

/// Instruments a parsed module in place. `hints` and `fuel` come from the
/// metering pass (empty and `None` otherwise). With `bodies`, the functions no step changes
/// are emptied and later copied from the input, and instrumented functions
/// are encoded early whenever `Options::flush_after` instructions of them
/// have grown. Sizes and time are left to
/// the caller.
pub(crate) fn instrument_module(
    module: &mut Module,
    options: &Options,
    hints: &Hints,
    fuel: Option<FuelReport>,
    bodies: Option<&mut Bodies>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    facts::check_not_instrumented(module)?;
    let (facts, intrinsics) = module_facts(module, options)?;
    let mut analysis = analysis::analyse(module, options, &intrinsics)?;

    let functions_total = module
        .funcs
        .iter()
        .filter(|f| matches!(f.kind, FunctionKind::Local(_)))
        .count();
    let abi = runtime::install_state(module, options, facts.memory, facts.memory64, hints);
    let mut ctx = TypeContext::new(module);
    let mut report = Report {
        functions_total,
        fuel,
        ..Report::default()
    };
    let targets: Vec<FunctionId> = analysis.instrument.iter().copied().collect();
    progress(Progress::Analysed {
        functions: targets.len(),
    });
    let imports: HashSet<FunctionId> = module
        .funcs
        .iter()
        .filter(|f| matches!(f.kind, FunctionKind::Import(_)))
        .map(|f| f.id())
        .collect();
    let resume_in_catch =
        has_rethrow(module).then(|| runtime::install_resume_in_catch_trap(module));
    let unwound = options.record_unwinds.then(|| {
        let (m, n) = crate::abi::UNWOUND_IMPORT;
        let ty = module.types.add(&[ValType::I32], &[]);
        module.add_import_func(m, n, ty).0
    });
    let tail_calls = TailCalls::plan(module, &analysis, CallGraph::table_exposed(module));
    // `--asserts` adds checks to functions that are not instrumented, and
    // the inlining of intrinsic calls changes their callers.
    let mut bodies = bodies.filter(|_| !options.asserts);
    if let Some(bodies) = &mut bodies {
        let left_alone: Vec<FunctionId> = module
            .funcs
            .iter_local()
            .filter(|(id, f)| !analysis.instrument.contains(id) && !calls_any(f, &intrinsics))
            .map(|(id, _)| id)
            .collect();
        report.functions_copied = bodies.keep_input(module, left_alone.into_iter());
    }
    let flush_after = options.flush_after.unwrap_or(crate::options::FLUSH_AFTER);
    // Instrumented functions not flushed yet, and their instructions.
    let mut grown = (Vec::new(), 0);
    let mut extras = Extras::default();
    let total = targets.len();
    let defined: Vec<FunctionId> = analysis.decisions.keys().copied().collect();
    let fast = fast_path_functions(module, options.fast_path);
    let exported: HashSet<FunctionId> = module
        .exports
        .iter()
        .filter_map(|e| match e.item {
            ExportItem::Function(f) => Some(f),
            _ => None,
        })
        .collect();
    let mut instrumented = HashSet::new();
    for (done_count, func) in targets.into_iter().enumerate() {
        if done_count % crate::progress::EVERY == 0 && done_count > 0 {
            progress(Progress::Instrumenting {
                done: done_count,
                total,
            });
        }
        let shared = Shared {
            analysis: &analysis,
            abi: &abi,
            imports: &imports,
            hints,
            fast_path: fast(func),
            multivalue: !options.no_multivalue,
            ignore_unwind_from_catch: options.ignore_unwind_from_catch,
            resume_in_catch,
            unwound,
            tail_calls: &tail_calls,
            exposed: analysis.addressable.contains(&func) || exported.contains(&func),
        };
        match instrument(module, func, &shared, &mut ctx, &mut extras)? {
            Some(done) => {
                if let Some(bodies) = &mut bodies {
                    let (pending, instructions) = &mut grown;
                    if !calls_any(local(module, func), &intrinsics) {
                        pending.push(func);
                        *instructions += done.instructions;
                    }
                    if *instructions >= flush_after && done_count + 1 < total {
                        bodies.flush(module, pending)?;
                        report.functions_flushed += pending.len();
                        grown = (Vec::new(), 0);
                    }
                }
                instrumented.insert(func);
                report.functions_instrumented += 1;
                if done.entry_check_folded
                    && let Some(fuel) = &mut report.fuel
                {
                    fuel.entry_checks_folded += 1;
                    analysis.note(func, "entry fuel check doubles as the rewind test");
                }
                if fast(func) {
                    report.functions_fast_path += 1;
                    let why = match options.fast_path {
                        FastPath::Recursive => "fast path: on a call cycle",
                        FastPath::All | FastPath::Off => "fast path",
                    };
                    analysis.note(func, why);
                }
                report.call_sites += done.sites;
                report.locals_saved += done.saved;
                report.locals_coalesced += done.coalesced;
                report.tail_calls_lowered += done.tail_calls_lowered;
                report.tail_calls_kept += done.tail_calls_kept;
                report.catch_handlers_lowered += done.handlers.lowered;
                report.catch_handlers_unresumable += done.handlers.kept.len();
                if done.handlers.lowered > 0 {
                    analysis.note(
                        func,
                        &format!(
                            "{} catch handler(s) that may suspend run after their try",
                            done.handlers.lowered
                        ),
                    );
                }
                if !done.handlers.kept.is_empty() {
                    analysis.note(
                        func,
                        &format!(
                            "{} catch handler(s) that may suspend rethrow their exception and stay in their try: resuming inside one traps in `{}`",
                            done.handlers.kept.len(),
                            crate::abi::RESUME_IN_CATCH_FUNCTION
                        ),
                    );
                }
                if done.tail_calls_kept > 0 {
                    analysis.note(
                        func,
                        &format!(
                            "{} tail call(s) to suspending functions stay tail calls (a rewind re-enters the callee by the tag in its frame)",
                            done.tail_calls_kept
                        ),
                    );
                }
                if done.tail_calls_lowered > 0 {
                    analysis.note(
                        func,
                        &format!(
                            "{} tail call(s) to suspending functions became call + return",
                            done.tail_calls_lowered
                        ),
                    );
                }
            }
            None => analysis.left_unchanged(func),
        }
    }
    progress(Progress::Instrumenting { done: total, total });
    if unwound.is_some() {
        let header = [crate::abi::UNWOUND_SECTION_HEADER.to_string()];
        std::mem::take(&mut extras.unwound_names).write(
            module,
            crate::abi::UNWOUND_SECTION,
            &header,
        );
    }
    if options.asserts {
        report.assert_checks = asserts::install(
            module,
            &analysis,
            &defined,
            &instrumented,
            &intrinsics,
            abi.state,
            options.only_list.is_some(),
        );
    }
    runtime::install_api(module, &abi, &intrinsics, facts.stack_pointer)?;
    runtime::inline_intrinsic_calls(module, &abi, &intrinsics, facts.stack_pointer);
    report.warnings = std::mem::take(&mut analysis.warnings);
    report.decisions = std::mem::take(&mut analysis.decisions)
        .into_values()
        .collect();
    Ok(report)
}

/// Which functions get a fast path under `which`.
fn fast_path_functions(module: &Module, which: FastPath) -> impl Fn(FunctionId) -> bool + use<> {
    let cyclic = match which {
        FastPath::Recursive => CallGraph::new(module).cyclic(),
        FastPath::Off | FastPath::All => HashSet::new(),
    };
    move |func| match which {
        FastPath::Off => false,
        FastPath::Recursive => cyclic.contains(&func),
        FastPath::All => true,
    }
}

/// Where the save stack and the shadow-stack pointer are.
struct Facts {
    memory: walrus::MemoryId,
    memory64: bool,
    stack_pointer: Option<walrus::GlobalId>,
}

/// The module facts and the intrinsic imports (checked against them).
fn module_facts(
    module: &Module,
    options: &Options,
) -> Result<(
    Facts,
    std::collections::HashMap<FunctionId, intrinsics::Intrinsic>,
)> {
    let (memory, memory64) = facts::save_memory(module, options)?;
    let stack_pointer = facts::stack_pointer(module, options)?;
    let ptr = if memory64 { ValType::I64 } else { ValType::I32 };
    let sp_ty = stack_pointer.map(|g| (module.globals.get(g).ty, module.globals.get(g).mutable));
    let intrinsics = intrinsics::find(module, ptr, sp_ty)?;
    let facts = Facts {
        memory,
        memory64,
        stack_pointer,
    };
    Ok((facts, intrinsics))
}

/// Defined function `id`.
fn local(module: &Module, id: FunctionId) -> &walrus::LocalFunction {
    match &module.funcs.get(id).kind {
        FunctionKind::Local(f) => f,
        _ => unreachable!("only defined functions are instrumented"),
    }
}

/// Whether `func` calls one of `callees` directly.
fn calls_any<T>(
    func: &walrus::LocalFunction,
    callees: &std::collections::HashMap<FunctionId, T>,
) -> bool {
    let mut found = false;
    crate::ir::for_each_instr(func, func.entry_block(), |i| {
        found |= crate::ir::callee(i).is_some_and(|c| match c.target {
            crate::ir::Target::Func(f) => callees.contains_key(&f),
            _ => false,
        });
    });
    found
}

/// Whether any function rethrows or delegates: only then can a catch
/// handler have to stay in its `try` (see `catches.rs`).
fn has_rethrow(module: &Module) -> bool {
    module.funcs.iter().any(|f| match &f.kind {
        FunctionKind::Local(local) => {
            let mut found = false;
            crate::ir::for_each_instr(local, local.entry_block(), |i| {
                found |= match i {
                    walrus::ir::Instr::Rethrow(_) => true,
                    walrus::ir::Instr::Try(t) => t
                        .catches
                        .iter()
                        .any(|c| matches!(c, walrus::ir::LegacyCatch::Delegate { .. })),
                    _ => false,
                };
            });
            found
        }
        _ => false,
    })
}

pub(crate) fn explain(
    input: &[u8],
    options: &Options,
    pattern: &str,
) -> Result<Vec<crate::Explanation>> {
    let (module, _, _) = parse(input)?;
    let (_, intrinsics) = module_facts(&module, options)?;
    let analysis = analysis::analyse(&module, options, &intrinsics)?;
    Ok(analysis
        .decisions
        .iter()
        .filter(|(_, d)| crate::matches(pattern, &d.function))
        .map(|(f, _)| analysis::explain(&module, options, &intrinsics, &analysis, *f))
        .collect())
}
