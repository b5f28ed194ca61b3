//! The guest's Asyncify runtime as the driver uses it: the protocol's
//! state changes, the memory that holds the save buffers, and the pointer
//! width.
//!
//! When the module exports the globals `__asyncify_state` and
//! `__asyncify_data` (`rewind asyncify --export-globals`, Binaryen's
//! `asyncify-export-globals`), the driver reads and sets them directly,
//! which costs a fraction of a guest call; otherwise each state change is
//! a call of one of the five ABI exports. The exports that change the state
//! also check the data structure (`stack_pos <= stack_end`), and through
//! the globals the driver makes that check itself where it can fail: when
//! an unwind stops (the only place a Binaryen-instrumented module finds out
//! that it overflowed its buffer) and when a rewind starts (a buffer the
//! guest wrote over while its call was suspended). The other two cannot
//! fail there: an unwind starts on a header the driver just wrote, and a
//! complete rewind pops exactly what the unwind pushed. A failed check
//! traps like the export would (`unreachable`), after the same state
//! change.
//!
//! None of the methods keeps a view of guest memory: memory can grow during
//! any guest call.

use crate::abi;
use crate::error::{Error, Result, types_to_string};
use wasmi::TrapCode;
use wasmi::{AsContext, AsContextMut, Global, Memory, Mutability, TypedFunc, Val, ValType};

/// How the driver changes the state.
#[derive(Debug, Clone, Copy)]
enum Control {
    /// Through the exported state and data globals.
    Globals { state: Global, data: Global },
    /// Through the ABI exports.
    Exports {
        start_unwind: PtrFunc,
        stop_unwind: TypedFunc<(), ()>,
        start_rewind: PtrFunc,
        stop_rewind: TypedFunc<(), ()>,
        get_state: TypedFunc<(), i32>,
    },
}

/// An ABI export that takes a pointer, at the module's pointer width.
#[derive(Debug, Clone, Copy)]
enum PtrFunc {
    Narrow(TypedFunc<i32, ()>),
    Wide(TypedFunc<i64, ()>),
}

impl PtrFunc {
    fn call(self, ctx: impl AsContextMut, address: u64) -> Result<(), wasmi::Error> {
        match self {
            PtrFunc::Narrow(func) => func.call(ctx, address as u32 as i32),
            PtrFunc::Wide(func) => func.call(ctx, address as i64),
        }
    }
}

/// The Asyncify runtime of one instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Runtime {
    control: Control,
    /// The memory holding the save buffers.
    pub memory: Memory,
    /// Pointers are `i64` (memory64).
    pub memory64: bool,
}

impl Runtime {
    /// Looks up the state globals or the ABI exports, and the buffer memory
    /// of `instance`.
    pub(crate) fn new<T>(
        ctx: &wasmi::Store<T>,
        instance: &wasmi::Instance,
        memory_name: Option<&str>,
        memory64: bool,
    ) -> Result<Self> {
        let memory = match memory_name {
            Some(name) => instance.get_memory(ctx, name),
            None => instance.get_memory(ctx, "memory").or_else(|| {
                instance
                    .exports(ctx)
                    .find_map(|export| export.into_memory())
            }),
        }
        .ok_or_else(|| Error::NoMemory {
            name: memory_name.map(str::to_string),
        })?;
        if memory.ty(ctx).is_64() != memory64 {
            return Err(Error::Config(format!(
                "the save-buffer memory is {}-bit but `asyncify_start_unwind` takes {}-bit pointers",
                if memory64 { 32 } else { 64 },
                if memory64 { 64 } else { 32 },
            )));
        }
        let ptr = if memory64 { ValType::I64 } else { ValType::I32 };
        let global = |name: &str, ty: ValType| {
            instance.get_global(ctx, name).filter(|global| {
                let global_ty = global.ty(ctx);
                global_ty.content() == ty && global_ty.mutability() == Mutability::Var
            })
        };
        let control = match (
            global(abi::STATE_GLOBAL, ValType::I32),
            global(abi::DATA_GLOBAL, ptr),
        ) {
            (Some(state), Some(data)) => Control::Globals { state, data },
            _ => Control::Exports {
                start_unwind: ptr_func(ctx, instance, abi::START_UNWIND, memory64)?,
                stop_unwind: typed(ctx, instance, abi::STOP_UNWIND)?,
                start_rewind: ptr_func(ctx, instance, abi::START_REWIND, memory64)?,
                stop_rewind: typed(ctx, instance, abi::STOP_REWIND)?,
                get_state: typed(ctx, instance, abi::GET_STATE)?,
            },
        };
        Ok(Self {
            control,
            memory,
            memory64,
        })
    }

    /// A guest pointer as a value of the module's pointer type.
    pub(crate) fn ptr(&self, address: u64) -> Val {
        if self.memory64 {
            Val::I64(address as i64)
        } else {
            Val::I32(address as u32 as i32)
        }
    }

    /// A guest pointer from a value of the module's pointer type.
    pub(crate) fn address(&self, value: &Val) -> Option<u64> {
        if self.memory64 {
            value.i64().map(|v| v as u64)
        } else {
            value.i32().map(|v| u64::from(v as u32))
        }
    }

    /// `asyncify_get_state()`.
    pub(crate) fn state(&self, ctx: impl AsContextMut) -> Result<i32, wasmi::Error> {
        match self.control {
            Control::Globals { state, .. } => Ok(state.get(ctx).i32().unwrap_or(-1)),
            Control::Exports { get_state, .. } => get_state.call(ctx, ()),
        }
    }

    /// `asyncify_start_unwind(buffer)`.
    pub(crate) fn start_unwind(
        &self,
        ctx: impl AsContextMut,
        buffer: u64,
    ) -> Result<(), wasmi::Error> {
        match self.control {
            Control::Globals { state, data } => {
                self.switch(ctx, state, data, abi::STATE_UNWINDING, buffer)
            }
            Control::Exports { start_unwind, .. } => start_unwind.call(ctx, buffer),
        }
    }

    /// `asyncify_stop_unwind()`, after an unwind into `buffer` (the
    /// address the data global holds: the driver set it).
    pub(crate) fn stop_unwind(
        &self,
        mut ctx: impl AsContextMut,
        buffer: u64,
    ) -> Result<(), wasmi::Error> {
        match self.control {
            Control::Globals { state, .. } => {
                set(&mut ctx, state, Val::I32(abi::STATE_NORMAL))?;
                self.check(ctx, buffer)
            }
            Control::Exports { stop_unwind, .. } => stop_unwind.call(ctx, ()),
        }
    }

    /// `asyncify_start_rewind(buffer)`.
    pub(crate) fn start_rewind(
        &self,
        mut ctx: impl AsContextMut,
        buffer: u64,
    ) -> Result<(), wasmi::Error> {
        match self.control {
            Control::Globals { state, data } => {
                self.switch(&mut ctx, state, data, abi::STATE_REWINDING, buffer)?;
                self.check(ctx, buffer)
            }
            Control::Exports { start_rewind, .. } => start_rewind.call(ctx, buffer),
        }
    }

    /// `asyncify_stop_rewind()`.
    pub(crate) fn stop_rewind(&self, ctx: impl AsContextMut) -> Result<(), wasmi::Error> {
        match self.control {
            Control::Globals { state, .. } => set(ctx, state, Val::I32(abi::STATE_NORMAL)),
            Control::Exports { stop_rewind, .. } => stop_rewind.call(ctx, ()),
        }
    }

    /// Sets the data pointer, then the state.
    fn switch(
        &self,
        mut ctx: impl AsContextMut,
        state: Global,
        data: Global,
        to: i32,
        buffer: u64,
    ) -> Result<(), wasmi::Error> {
        set(&mut ctx, data, self.ptr(buffer))?;
        set(ctx, state, Val::I32(to))
    }

    /// The check of the ABI functions: `stack_pos <= stack_end` in the
    /// header at `buffer` (where the data global points), else an
    /// `unreachable` trap.
    fn check(&self, ctx: impl AsContext, buffer: u64) -> Result<(), wasmi::Error> {
        let (pos, end) = self
            .header(ctx, buffer)
            .ok_or(TrapCode::MemoryOutOfBounds)?;
        if pos > end {
            return Err(TrapCode::UnreachableCodeReached.into());
        }
        Ok(())
    }

    /// `{ stack_pos, stack_end }` of the save buffer at `buffer`, or `None`
    /// if the header is out of bounds. Fixed-size little-endian fields of
    /// the pointer's width, read from memory as it is now.
    pub(crate) fn header(&self, ctx: impl AsContext, buffer: u64) -> Option<(u64, u64)> {
        let start = usize::try_from(buffer).ok()?;
        let data = self.memory.data(&ctx).get(start..)?;
        if self.memory64 {
            let header = data.first_chunk::<16>()?;
            let (pos, end) = (header.first_chunk::<8>()?, header.last_chunk::<8>()?);
            Some((u64::from_le_bytes(*pos), u64::from_le_bytes(*end)))
        } else {
            let header = data.first_chunk::<8>()?;
            let (pos, end) = (header.first_chunk::<4>()?, header.last_chunk::<4>()?);
            Some((
                u64::from(u32::from_le_bytes(*pos)),
                u64::from(u32::from_le_bytes(*end)),
            ))
        }
    }

    /// Writes `{ stack_pos, stack_end }` into the save buffer at `buffer`;
    /// `None` if the header is out of bounds.
    pub(crate) fn set_header(
        &self,
        mut ctx: impl AsContextMut,
        buffer: u64,
        pos: u64,
        end: u64,
    ) -> Option<()> {
        let start = usize::try_from(buffer).ok()?;
        let data = self.memory.data_mut(&mut ctx).get_mut(start..)?;
        if self.memory64 {
            let header = data.first_chunk_mut::<16>()?;
            *header.first_chunk_mut::<8>()? = pos.to_le_bytes();
            *header.last_chunk_mut::<8>()? = end.to_le_bytes();
        } else {
            let header = data.first_chunk_mut::<8>()?;
            *header.first_chunk_mut::<4>()? = (pos as u32).to_le_bytes();
            *header.last_chunk_mut::<4>()? = (end as u32).to_le_bytes();
        }
        Some(())
    }

    /// Brings the instance back to the normal state after a trap left it
    /// unwinding, rewinding or overflowed. Returns whether that worked.
    pub(crate) fn reset(&self, mut ctx: impl AsContextMut) -> bool {
        let Ok(state) = self.state(&mut ctx) else {
            return false;
        };
        let reset = match state {
            abi::STATE_NORMAL => return true,
            abi::STATE_REWINDING => self.stop_rewind(&mut ctx),
            _ => {
                let buffer = match self.control {
                    Control::Globals { data, .. } => self.address(&data.get(&ctx)).unwrap_or(0),
                    Control::Exports { .. } => 0,
                };
                self.stop_unwind(&mut ctx, buffer)
            }
        };
        reset.is_ok() && matches!(self.state(&mut ctx), Ok(abi::STATE_NORMAL))
    }
}

/// Sets a global the driver found mutable and of the right type.
fn set(ctx: impl AsContextMut, global: Global, value: Val) -> Result<(), wasmi::Error> {
    global
        .set(ctx, value)
        .map_err(|e| wasmi::Error::new(format!("setting an Asyncify global failed: {e}")))
}

/// The export `name`, typed. [`Module`](crate::Module) checked the types.
fn typed<T, P: wasmi::WasmParams, R: wasmi::WasmResults>(
    ctx: &wasmi::Store<T>,
    instance: &wasmi::Instance,
    name: &'static str,
) -> Result<TypedFunc<P, R>> {
    let func = instance
        .get_func(ctx, name)
        .ok_or(Error::ModuleNotInstrumented { missing: name })?;
    func.typed(ctx).map_err(|_| {
        let ty = func.ty(ctx);
        Error::AbiMismatch {
            export: name,
            expected: "the ABI type".to_string(),
            found: format!(
                "{} -> {}",
                types_to_string(ty.params().iter().copied()),
                types_to_string(ty.results().iter().copied())
            ),
        }
    })
}

/// The pointer-taking export `name`, typed.
fn ptr_func<T>(
    ctx: &wasmi::Store<T>,
    instance: &wasmi::Instance,
    name: &'static str,
    memory64: bool,
) -> Result<PtrFunc> {
    Ok(if memory64 {
        PtrFunc::Wide(typed(ctx, instance, name)?)
    } else {
        PtrFunc::Narrow(typed(ctx, instance, name)?)
    })
}
