//! The generated runtime: the two ABI globals, the five exported API
//! functions, the overflow trap, and the in-module resolution of the
//! `asyncify.*` and `rewind.*` imports.

use std::collections::HashMap;

use walrus::ir::{
    BinaryOp, Binop, Const, GlobalGet, GlobalSet, Instr, Load, LoadKind, LocalGet, MemArg, Store,
    StoreKind, Unreachable, Value,
};
use walrus::{
    ConstExpr, ExportItem, FunctionBuilder, FunctionId, GlobalId, InstrSeqBuilder, LocalId,
    MemoryId, Module, ValType,
};

use crate::abi;
use crate::error::{Error, Result};
use crate::intrinsics::Intrinsic;
use crate::options::Options;

/// Where the ABI state lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Abi {
    pub state: GlobalId,
    pub data: GlobalId,
    pub memory: MemoryId,
    pub memory64: bool,
    /// Traps after marking the state as overflowed.
    pub overflow: FunctionId,
}

impl Abi {
    pub fn ptr(&self) -> ValType {
        if self.memory64 {
            ValType::I64
        } else {
            ValType::I32
        }
    }

    pub fn ptr_const(&self, v: u64) -> Instr {
        Instr::Const(Const {
            value: if self.memory64 {
                Value::I64(v as i64)
            } else {
                Value::I32(v as i32)
            },
        })
    }

    pub fn ptr_op(&self, op32: BinaryOp, op64: BinaryOp) -> Instr {
        Instr::Binop(Binop {
            op: if self.memory64 { op64 } else { op32 },
        })
    }

    pub fn load_ptr(&self, offset: u64) -> Instr {
        let (kind, align) = if self.memory64 {
            (LoadKind::I64 { atomic: false }, 8)
        } else {
            (LoadKind::I32 { atomic: false }, 4)
        };
        Instr::Load(Load {
            memory: self.memory,
            kind,
            arg: MemArg { align, offset },
        })
    }

    pub fn store_ptr(&self, offset: u64) -> Instr {
        let (kind, align) = if self.memory64 {
            (StoreKind::I64 { atomic: false }, 8)
        } else {
            (StoreKind::I32 { atomic: false }, 4)
        };
        Instr::Store(Store {
            memory: self.memory,
            kind,
            arg: MemArg { align, offset },
        })
    }
}

/// The memory that holds the save stack, and whether it is 64-bit.
pub(crate) fn save_memory(module: &Module, options: &Options) -> Result<(MemoryId, bool)> {
    let memory = match &options.memory {
        None => module.memories.iter().next().ok_or(Error::NoMemory)?,
        Some(name) => {
            let exported = module.exports.iter().find_map(|e| match e.item {
                ExportItem::Memory(m) if &e.name == name => Some(m),
                _ => None,
            });
            let id = exported
                .or_else(|| {
                    module
                        .memories
                        .iter()
                        .find(|m| m.name.as_deref() == Some(name.as_str()))
                        .map(|m| m.id())
                })
                .ok_or_else(|| Error::UnknownMemory(name.clone()))?;
            module.memories.get(id)
        }
    };
    Ok((memory.id(), memory.memory64))
}

/// The shadow-stack-pointer global: the one given by index, or the one
/// named `__stack_pointer`.
pub(crate) fn stack_pointer(module: &Module, options: &Options) -> Result<Option<GlobalId>> {
    match options.stack_pointer_global {
        Some(index) => module
            .globals
            .iter()
            .find(|g| g.id().index() == index as usize)
            .map(|g| Some(g.id()))
            .ok_or_else(|| {
                Error::Options(format!(
                    "--stack-pointer-global {index}: the module has no global with that index"
                ))
            }),
        None => Ok(module
            .globals
            .iter()
            .find(|g| g.name.as_deref() == Some(abi::STACK_POINTER_GLOBAL))
            .map(|g| g.id())),
    }
}

/// Refuses modules that already carry the ABI.
pub(crate) fn check_not_instrumented(module: &Module) -> Result<()> {
    for export in module.exports.iter() {
        if [
            abi::START_UNWIND,
            abi::STOP_UNWIND,
            abi::START_REWIND,
            abi::STOP_REWIND,
            abi::GET_STATE,
            abi::STATE_GLOBAL,
            abi::DATA_GLOBAL,
        ]
        .contains(&export.name.as_str())
        {
            return Err(Error::AlreadyInstrumented(export.name.clone()));
        }
    }
    for global in module.globals.iter() {
        if let Some(name) = &global.name
            && (name == abi::STATE_GLOBAL || name == abi::DATA_GLOBAL)
        {
            return Err(Error::AlreadyInstrumented(name.clone()));
        }
    }
    Ok(())
}

/// Adds the globals and the overflow trap.
pub(crate) fn install_state(
    module: &mut Module,
    options: &Options,
    memory: MemoryId,
    memory64: bool,
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
        }
        Intrinsic::StopUnwind | Intrinsic::StopRewind => set_state(body, abi::STATE_NORMAL),
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
