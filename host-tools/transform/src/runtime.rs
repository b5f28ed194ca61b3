//! The generated runtime: the two ABI globals, the overflow trap, the five
//! exported API functions, and the in-module resolution of the
//! `asyncify.*` and `rewind.*` imports. (The helpers that move frames are
//! `frame_movers.rs`.)

use std::collections::HashMap;

use walrus::ir::{BinaryOp, GlobalGet, GlobalSet, Instr, LocalGet, Unreachable, Value};
use walrus::{
    ConstExpr, FunctionBuilder, FunctionId, GlobalId, InstrSeqBuilder, LocalId, MemoryId, Module,
    ValType,
};

use crate::abi;
use crate::abi_state::Abi;
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::intrinsics::Intrinsic;
use crate::options::Options;
use crate::parked_fuel::Parking;

/// Adds the globals and the overflow trap, and in a metered module (see
/// `hints`) the parking of its counter (`parked_fuel.rs`).
pub(crate) fn install_state(
    module: &mut Module,
    options: &Options,
    memory: MemoryId,
    memory64: bool,
    hints: &Hints,
) -> Abi {
    let ptr = if memory64 { ValType::I64 } else { ValType::I32 };
    let mut global = |name: &str, ty: ValType, zero: Value| -> GlobalId {
        let id = if options.import_globals {
            module
                .add_import_global(abi::GLOBALS_IMPORT_MODULE, name, ty, true, false)
                .0
        } else {
            module
                .globals
                .add_local(ty, true, false, ConstExpr::Value(zero))
        };
        module.globals.get_mut(id).name = Some(name.to_string());
        if options.export_globals {
            module.exports.add(name, id);
        }
        id
    };
    let state = global(abi::STATE_GLOBAL, ValType::I32, Value::I32(0));
    let data = global(
        abi::DATA_GLOBAL,
        ptr,
        if memory64 {
            Value::I64(0)
        } else {
            Value::I32(0)
        },
    );
    let mut builder = FunctionBuilder::new(&mut module.types, &[], &[]);
    builder.name(abi::OVERFLOW_FUNCTION.to_string());
    builder
        .func_body()
        .i32_const(abi::STATE_OVERFLOWED)
        .instr(GlobalSet { global: state })
        .instr(Unreachable {});
    let overflow = builder.finish(vec![], &mut module.funcs);
    Abi {
        state,
        data,
        memory,
        memory64,
        overflow,
        parking: Parking::install(module, options, hints),
    }
}

/// Adds the exported API functions and resolves the intrinsic imports.
pub(crate) fn install_api(
    module: &mut Module,
    abi: &Abi,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
    stack_pointer: Option<GlobalId>,
) -> Result<()> {
    let api = [
        (abi::START_UNWIND, Intrinsic::StartUnwind),
        (abi::STOP_UNWIND, Intrinsic::StopUnwind),
        (abi::START_REWIND, Intrinsic::StartRewind),
        (abi::STOP_REWIND, Intrinsic::StopRewind),
        (abi::GET_STATE, Intrinsic::GetState),
    ];
    for (name, intrinsic) in api {
        let params: Vec<ValType> = match intrinsic {
            Intrinsic::StartUnwind | Intrinsic::StartRewind => vec![abi.ptr()],
            _ => vec![],
        };
        let results: Vec<ValType> = match intrinsic {
            Intrinsic::GetState => vec![ValType::I32],
            _ => vec![],
        };
        let args: Vec<LocalId> = params.iter().map(|t| module.locals.add(*t)).collect();
        let mut builder = FunctionBuilder::new(&mut module.types, &params, &results);
        builder.name(name.to_string());
        emit(
            intrinsic,
            &mut builder.func_body(),
            &args,
            abi,
            stack_pointer,
        );
        let id = builder.finish(args, &mut module.funcs);
        module.exports.add(name, id);
    }
    let mut resolved: Vec<(FunctionId, Intrinsic)> =
        intrinsics.iter().map(|(f, i)| (*f, *i)).collect();
    resolved.sort_by_key(|(f, _)| *f);
    for (func, intrinsic) in resolved {
        module
            .replace_imported_func(func, |(body, args)| {
                emit(intrinsic, body, args, abi, stack_pointer)
            })
            .map_err(|e| Error::Extension(format!("cannot resolve intrinsic import: {e}")))?;
    }
    Ok(())
}

/// Replaces every direct call of a resolved intrinsic by the intrinsic's
/// code (its arguments moved into fresh locals first). The guest runtime's
/// stack switch calls several of them per switch, each a few instructions,
/// so the calls cost more than the work. The resolved functions stay for
/// anything else that refers to them (a table, an export). Returns how
/// many calls were replaced.
pub(crate) fn inline_intrinsic_calls(
    module: &mut Module,
    abi: &Abi,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
    stack_pointer: Option<GlobalId>,
) -> usize {
    let inlinable = |f: &FunctionId| {
        intrinsics.get(f).copied().filter(|i| {
            stack_pointer.is_some()
                || !matches!(i, Intrinsic::GetStackPointer | Intrinsic::SetStackPointer)
        })
    };
    let mut replaced = 0;
    let Module { funcs, locals, .. } = module;
    for (_, func) in funcs.iter_local_mut() {
        for seq in crate::ir::sequences(func) {
            let calls =
                func.block(seq).instrs.iter().any(
                    |(instr, _)| matches!(instr, Instr::Call(c) if inlinable(&c.func).is_some()),
                );
            if !calls {
                continue;
            }
            let old = std::mem::take(&mut func.block_mut(seq).instrs);
            let mut code = Vec::with_capacity(old.len() + 8);
            for (instr, loc) in old {
                let Some(intrinsic) = (match &instr {
                    Instr::Call(c) => inlinable(&c.func),
                    _ => None,
                }) else {
                    code.push((instr, loc));
                    continue;
                };
                let args: Vec<LocalId> = intrinsic
                    .signature(abi.ptr())
                    .0
                    .into_iter()
                    .map(|ty| locals.add(ty))
                    .collect();
                let inline = func.builder_mut().dangling_instr_seq(None).id();
                let mut body = func.builder_mut().instr_seq(inline);
                for arg in args.iter().rev() {
                    body.local_set(*arg);
                }
                emit(intrinsic, &mut body, &args, abi, stack_pointer);
                code.append(&mut func.block_mut(inline).instrs);
                replaced += 1;
            }
            func.block_mut(seq).instrs = code;
        }
    }
    replaced
}

/// The body of one runtime function. Functions that change the state check
/// that the data structure is sane (`stack_pos <= stack_end`), as
/// Binaryen's runtime does.
fn emit(
    intrinsic: Intrinsic,
    body: &mut InstrSeqBuilder,
    args: &[LocalId],
    abi: &Abi,
    stack_pointer: Option<GlobalId>,
) {
    let set_state = |body: &mut InstrSeqBuilder, state: i32| {
        body.i32_const(state).instr(GlobalSet { global: abi.state });
    };
    let set_data = |body: &mut InstrSeqBuilder| {
        body.instr(LocalGet { local: args[0] })
            .instr(GlobalSet { global: abi.data });
    };
    match intrinsic {
        Intrinsic::StartUnwind => {
            set_state(body, abi::STATE_UNWINDING);
            set_data(body);
        }
        Intrinsic::StartRewind => {
            set_state(body, abi::STATE_REWINDING);
            set_data(body);
            if let Some(parking) = &abi.parking {
                body.instr(parking.park());
            }
        }
        Intrinsic::StopUnwind => set_state(body, abi::STATE_NORMAL),
        Intrinsic::StopRewind => {
            set_state(body, abi::STATE_NORMAL);
            if let Some(parking) = &abi.parking {
                parking.unpark(body);
            }
        }
        Intrinsic::GetState => {
            body.instr(GlobalGet { global: abi.state });
            return;
        }
        Intrinsic::GetStackPointer => {
            if let Some(sp) = stack_pointer {
                body.instr(GlobalGet { global: sp });
            }
            return;
        }
        Intrinsic::SetStackPointer => {
            if let Some(sp) = stack_pointer {
                body.instr(LocalGet { local: args[0] })
                    .instr(GlobalSet { global: sp });
            }
            return;
        }
    }
    // if (data->stack_pos > data->stack_end) unreachable
    let end = abi::stack_end_offset(abi.memory64);
    body.instr(GlobalGet { global: abi.data })
        .instr(abi.load_ptr(0))
        .instr(GlobalGet { global: abi.data })
        .instr(abi.load_ptr(end))
        .instr(abi.ptr_op(BinaryOp::I32GtU, BinaryOp::I64GtU))
        .if_else(
            None,
            |then| {
                then.unreachable();
            },
            |_| {},
        );
}

/// Adds the function a rewind traps in when it would have to re-enter a
/// catch handler that stayed in its `try` (see `catches.rs`): its name in
/// a stack trace says why, the caller's says where.
pub(crate) fn install_resume_in_catch_trap(module: &mut Module) -> FunctionId {
    let mut builder = FunctionBuilder::new(&mut module.types, &[], &[]);
    builder.name(abi::RESUME_IN_CATCH_FUNCTION.to_string());
    builder.func_body().instr(Unreachable {});
    builder.finish(vec![], &mut module.funcs)
}
