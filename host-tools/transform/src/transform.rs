//! The pipeline: parse, analyse, instrument each function, add the runtime,
//! emit, validate.

use std::collections::HashSet;
use std::time::Instant;

use walrus::{FunctionId, FunctionKind, Module, ModuleConfig, ValType};

use crate::analysis;
use crate::callgraph::CallGraph;
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::instrument::{Extras, Shared, instrument};
use crate::operand_types::TypeContext;
use crate::tail_calls::TailCalls;
use crate::validate::validate;
use crate::{FuelOptions, Options, Output, Progress, Report, asserts, facts, intrinsics, runtime};

/// Parses a binary or text module.
pub(crate) fn parse(input: &[u8]) -> Result<(Module, usize)> {
    let binary = wat::parse_bytes(input).map_err(|e| Error::Parse(Box::new(e)))?;
    let mut module = ModuleConfig::new()
        .parse(&binary)
        .map_err(|e| Error::Parse(e.into()))?;
    // The map from instructions to their input offsets is kept only for
    // rewriting DWARF, which the output does not carry; for a large module
    // it is a tenth of the memory.
    for (_, func) in module.funcs.iter_local_mut() {
        func.instruction_mapping = Vec::new();
    }
    Ok((module, binary.len()))
}

/// Emits (without the `else` of empty `else` arms) and validates. The
/// module is dropped as soon as it is encoded, so that the clean-up and the
/// validation reuse its memory.
pub(crate) fn emit(mut module: Module, progress: &mut dyn FnMut(Progress)) -> Result<Vec<u8>> {
    let encoded = module.emit_wasm();
    drop(module);
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
    let (mut module, bytes_before) = parse(input)?;
    progress(Progress::Parsed);
    let mut report = instrument_module(&mut module, options, &Hints::default(), progress)?;
    let wasm = emit(module, progress)?;
    report.bytes_before = bytes_before;
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
    let (mut module, bytes_before) = parse(input)?;
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
    let mut report = instrument_module(&mut module, &options, &metered.hints, progress)?;
    let wasm = emit(module, progress)?;
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
    let abi = runtime::install_state(module, options, facts.memory, facts.memory64);
    let mut ctx = TypeContext::new(module);
    let mut report = Report {
        functions_total,
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
    let mut extras = Extras::default();
    let total = targets.len();
    let defined: Vec<FunctionId> = analysis.decisions.keys().copied().collect();
    let mut instrumented = HashSet::new();
    for (done, func) in targets.into_iter().enumerate() {
        if done % crate::progress::EVERY == 0 && done > 0 {
            progress(Progress::Instrumenting { done, total });
        }
        let shared = Shared {
            analysis: &analysis,
            abi: &abi,
            imports: &imports,
            hints,
            fast_path: options.fast_path,
            multivalue: !options.no_multivalue,
            ignore_unwind_from_catch: options.ignore_unwind_from_catch,
            resume_in_catch,
            unwound,
            tail_calls: &tail_calls,
        };
        match instrument(module, func, &shared, &mut ctx, &mut extras)? {
            Some(done) => {
                instrumented.insert(func);
                report.functions_instrumented += 1;
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
    let (module, _) = parse(input)?;
    let (_, intrinsics) = module_facts(&module, options)?;
    let analysis = analysis::analyse(&module, options, &intrinsics)?;
    Ok(analysis
        .decisions
        .iter()
        .filter(|(_, d)| crate::matches(pattern, &d.function))
        .map(|(f, _)| analysis::explain(&module, options, &intrinsics, &analysis, *f))
        .collect())
}
