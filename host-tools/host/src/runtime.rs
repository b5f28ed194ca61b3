//! The guest's Asyncify runtime as callable handles: the five ABI exports,
//! the memory that holds the save buffers, and the pointer width.
//!
//! Every method is one guest call. None of them keeps a view of guest
//! memory: memory can grow during any guest call.

use crate::abi;
use crate::error::{Error, Result};
use wasmi::{AsContextMut, Func, Memory, Val};

/// Handles to the Asyncify exports of one instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Runtime {
    start_unwind: Func,
    stop_unwind: Func,
    start_rewind: Func,
    stop_rewind: Func,
    get_state: Func,
    /// The memory holding the save buffers.
    pub memory: Memory,
    /// Pointers are `i64` (memory64).
    pub memory64: bool,
}

impl Runtime {
    /// Looks up the ABI exports and the buffer memory of `instance`.
    pub(crate) fn new<T>(
        ctx: &wasmi::Store<T>,
        instance: &wasmi::Instance,
        memory_name: Option<&str>,
        memory64: bool,
    ) -> Result<Self> {
        let func = |name: &'static str| {
            instance
                .get_func(ctx, name)
                .ok_or(Error::ModuleNotInstrumented { missing: name })
        };
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
        Ok(Self {
            start_unwind: func(abi::START_UNWIND)?,
            stop_unwind: func(abi::STOP_UNWIND)?,
            start_rewind: func(abi::START_REWIND)?,
            stop_rewind: func(abi::STOP_REWIND)?,
            get_state: func(abi::GET_STATE)?,
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
        let mut out = [Val::I32(0)];
        self.get_state.call(ctx, &[], &mut out)?;
        Ok(out[0].i32().unwrap_or(-1))
    }

    /// `asyncify_start_unwind(buffer)`.
    pub(crate) fn start_unwind(
        &self,
        ctx: impl AsContextMut,
        buffer: u64,
    ) -> Result<(), wasmi::Error> {
        self.start_unwind.call(ctx, &[self.ptr(buffer)], &mut [])
    }

    /// `asyncify_stop_unwind()`.
    pub(crate) fn stop_unwind(&self, ctx: impl AsContextMut) -> Result<(), wasmi::Error> {
        self.stop_unwind.call(ctx, &[], &mut [])
    }

    /// `asyncify_start_rewind(buffer)`.
    pub(crate) fn start_rewind(
        &self,
        ctx: impl AsContextMut,
        buffer: u64,
    ) -> Result<(), wasmi::Error> {
        self.start_rewind.call(ctx, &[self.ptr(buffer)], &mut [])
    }

    /// `asyncify_stop_rewind()`.
    pub(crate) fn stop_rewind(&self, ctx: impl AsContextMut) -> Result<(), wasmi::Error> {
        self.stop_rewind.call(ctx, &[], &mut [])
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
            _ => self.stop_unwind(&mut ctx),
        };
        reset.is_ok() && matches!(self.state(&mut ctx), Ok(abi::STATE_NORMAL))
    }
}
