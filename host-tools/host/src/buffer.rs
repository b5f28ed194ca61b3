//! Save buffers: where the save stack of a suspended call lives.
//!
//! A buffer is `{ stack_pos, stack_end }` followed by the save stack, inside
//! guest memory. It is placed once, from a guest allocator export or from
//! pages the driver grows the memory by, and then reused: a call keeps its
//! buffer for every suspension until it finishes, and the buffer then goes
//! back to the instance's pool for the next call. Nothing is allocated per
//! suspension; [`BufferPool::placed`] counts placements.
//!
//! Guest memory is never read or written through a slice kept across a
//! guest call: every access looks the memory up afresh
//! ([`Runtime::header`], [`Runtime::set_header`]), because any guest call
//! (including the allocator) may grow it.

use crate::abi;
use crate::config::{ALLOCATOR_EXPORTS, Config, Placement};
use crate::data::Shared;
use crate::error::{Error, Result};
use crate::runtime::Runtime;
use std::sync::Mutex;
use wasmi::{AsContext, AsContextMut, ExternType, Func};

/// One save buffer: its address in guest memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SaveBuffer {
    pub ptr: u64,
}

impl SaveBuffer {
    /// Bytes of saved frames not yet restored: how far `stack_pos` is past
    /// the header (negative: more was restored than saved). A rewind that
    /// reached the import that suspended has restored every frame, so this
    /// is zero there.
    pub(crate) fn unrestored(self, ctx: impl AsContext, runtime: &Runtime) -> Result<i64, String> {
        let (pos, _) = runtime
            .header(ctx, self.ptr)
            .ok_or_else(|| format!("the header at {:#x} is out of bounds", self.ptr))?;
        let header = abi::header_size(runtime.memory64);
        Ok(pos.wrapping_sub(self.ptr + header) as i64)
    }
}

/// The buffers of one instance that no call holds, and how many were ever
/// placed.
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    free: Vec<SaveBuffer>,
    placed: usize,
}

impl BufferPool {
    /// A free buffer, if there is one.
    pub(crate) fn take_free(&mut self) -> Option<SaveBuffer> {
        self.free.pop()
    }

    /// Returns a buffer to the pool.
    pub(crate) fn give_back(&mut self, buffer: SaveBuffer) {
        self.free.push(buffer);
    }

    /// Records a newly placed buffer.
    fn record_placed(&mut self) {
        self.placed += 1;
    }

    /// How many buffers were ever placed in guest memory.
    pub(crate) fn placed(&self) -> usize {
        self.placed
    }

    /// The free buffers, for a snapshot.
    pub(crate) fn free(&self) -> &[SaveBuffer] {
        &self.free
    }

    /// A pool as a snapshot saved it.
    pub(crate) fn restored(free: Vec<SaveBuffer>, placed: usize) -> Self {
        Self { free, placed }
    }
}

/// How new buffers are placed in guest memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placer {
    /// Bytes per buffer, header included.
    pub size: u64,
    how: How,
}

#[derive(Debug, Clone, Copy)]
enum How {
    /// Call a guest allocator export `(size) -> ptr`.
    Allocator(Func),
    /// Grow the memory by whole pages.
    Grow,
}

impl Placer {
    /// Resolves `config` against an instance.
    pub(crate) fn new<T>(
        store: &wasmi::Store<T>,
        instance: &wasmi::Instance,
        config: &Config,
        runtime: &Runtime,
    ) -> Result<Self> {
        let header = abi::header_size(runtime.memory64);
        if config.buffer_size <= header {
            return Err(Error::Config(format!(
                "buffer_size {} leaves no room for a save stack after the {header}-byte header",
                config.buffer_size
            )));
        }
        if !runtime.memory64 && config.buffer_size > u64::from(u32::MAX) {
            return Err(Error::Config(format!(
                "buffer_size {} does not fit a 32-bit memory",
                config.buffer_size
            )));
        }
        let allocator = |name: &str| -> Option<Func> {
            let func = instance.get_func(store, name)?;
            let ty = func.ty(store);
            let ptr = runtime.ptr(0).ty();
            (ty.params() == [ptr] && ty.results() == [ptr]).then_some(func)
        };
        let how = match &config.placement {
            Placement::Auto => ALLOCATOR_EXPORTS
                .iter()
                .find_map(|name| allocator(name))
                .map_or(How::Grow, How::Allocator),
            Placement::GrowMemory => How::Grow,
            Placement::Allocator(name) => match allocator(name) {
                Some(func) => How::Allocator(func),
                None => {
                    let what = match instance.get_export(store, name).map(|e| e.ty(store)) {
                        None => "is not exported".to_string(),
                        Some(ExternType::Func(ty)) => format!("has type {ty:?}"),
                        Some(_) => "is not a function".to_string(),
                    };
                    return Err(Error::Config(format!(
                        "allocator `{name}` {what}; expected (ptr) -> ptr"
                    )));
                }
            },
        };
        Ok(Self {
            size: config.buffer_size,
            how,
        })
    }

    /// A buffer for a call: a free one from `shared`'s pool, or else a new
    /// one placed in guest memory and counted. The pool is not locked while
    /// placing, which may run guest code (the allocator) and grow the
    /// memory.
    pub(crate) fn take_or_place(
        &self,
        ctx: impl AsContextMut,
        runtime: &Runtime,
        shared: &Mutex<Shared>,
    ) -> Result<SaveBuffer, String> {
        let free = Shared::lock(shared).pool.take_free();
        if let Some(buffer) = free {
            return Ok(buffer);
        }
        let buffer = self.place(ctx, runtime)?;
        Shared::lock(shared).pool.record_placed();
        Ok(buffer)
    }

    /// Places one new buffer in guest memory.
    fn place(&self, mut ctx: impl AsContextMut, runtime: &Runtime) -> Result<SaveBuffer, String> {
        let ptr = match self.how {
            How::Allocator(func) => {
                let mut out = [runtime.ptr(0)];
                func.call(&mut ctx, &[runtime.ptr(self.size)], &mut out)
                    .map_err(|e| format!("the guest allocator trapped: {e}"))?;
                let ptr = runtime.address(&out[0]).unwrap_or(0);
                if ptr == 0 {
                    return Err(format!(
                        "the guest allocator returned null for {} bytes",
                        self.size
                    ));
                }
                ptr
            }
            How::Grow => {
                // wasmi does not expose the page size (custom-page-sizes);
                // derive it from the current size, 64 KiB for an empty memory.
                let pages_now = runtime.memory.size(&ctx);
                let page = match pages_now {
                    0 => 65536,
                    n => runtime.memory.data_size(&ctx) as u64 / n,
                };
                let pages = self.size.div_ceil(page);
                let old = runtime
                    .memory
                    .grow(&mut ctx, pages)
                    .map_err(|e| format!("growing the memory by {pages} page(s) failed: {e}"))?;
                old * page
            }
        };
        let end = ptr.checked_add(self.size);
        let len = runtime.memory.data_size(&ctx) as u64;
        if end.is_none_or(|end| end > len) {
            return Err(format!(
                "buffer at {ptr:#x} of {} bytes lies outside the {len}-byte memory",
                self.size
            ));
        }
        Ok(SaveBuffer { ptr })
    }

    /// Makes `buffer` ready for an unwind: `stack_pos` just after the header,
    /// `stack_end` at the buffer's end.
    pub(crate) fn arm(
        &self,
        ctx: impl AsContextMut,
        runtime: &Runtime,
        buffer: SaveBuffer,
    ) -> Result<(), String> {
        let header = abi::header_size(runtime.memory64);
        let (pos, end) = (buffer.ptr + header, buffer.ptr + self.size);
        runtime
            .set_header(ctx, buffer.ptr, pos, end)
            .ok_or_else(|| format!("the header at {:#x} is out of bounds", buffer.ptr))
    }
}
