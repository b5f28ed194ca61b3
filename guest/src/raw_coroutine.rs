//! [`RawCoroutine`]: the untyped owner of one control block, which creates
//! it (in caller memory or from the global allocator), resumes it and
//! frees it.

use core::alloc::Layout;
use core::fmt;
use core::ptr::{self, NonNull};

use crate::block::Block;
use crate::config::Config;
use crate::error::Error;
use crate::header::{Entry, Header};
use crate::layout::BlockLayout;
use crate::runtime;
use crate::status::Status;

/// Who owns a block's memory.
enum Storage {
    /// Caller-provided `'static` memory: never given back.
    Static,
    /// From the global allocator, with this layout.
    #[cfg(feature = "alloc")]
    Heap(Layout),
}

/// Drops a payload of type `P` in place.
///
/// # Safety
///
/// `p` must point to a valid `P` that is not used afterwards.
unsafe fn drop_payload<P>(p: *mut u8) {
    // SAFETY: per the contract.
    unsafe { ptr::drop_in_place(p.cast::<P>()) }
}

/// How `resume` ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The coroutine yielded and is suspended.
    Yielded,
    /// The coroutine returned.
    Completed,
}

/// An untyped coroutine: the owner of one control block.
pub(crate) struct RawCoroutine {
    block: Block,
    storage: Storage,
    /// Drops the payload in place.
    drop_payload: unsafe fn(*mut u8),
}

impl RawCoroutine {
    /// Builds a coroutine in caller-provided memory.
    pub(crate) fn in_memory<P>(
        memory: &'static mut [u8],
        save_stack: usize,
        payload: P,
        entry: Entry,
    ) -> Result<Self, Error> {
        let addr = memory.as_ptr().addr();
        let (skip, layout) = BlockLayout::fit(Layout::new::<P>(), save_stack, addr, memory.len())?;
        // SAFETY: `skip + layout.size <= memory.len()` (checked by `fit`):
        // the offset stays inside `memory`, so the pointer is not null.
        let base = unsafe { NonNull::new_unchecked(memory.as_mut_ptr().add(skip)) };
        // SAFETY: as above, and the memory is ours for 'static: the
        // `&'static mut` is consumed; `base` is aligned to `layout.align` by
        // `fit`.
        let block = unsafe { Block::init(base, layout, payload, entry) };
        Ok(RawCoroutine {
            block,
            storage: Storage::Static,
            drop_payload: drop_payload::<P>,
        })
    }

    /// Builds a coroutine in a block from the global allocator.
    #[cfg(feature = "alloc")]
    pub(crate) fn allocate<P>(config: Config, payload: P, entry: Entry) -> Result<Self, Error> {
        let layout = BlockLayout::new(Layout::new::<P>(), config)?;
        let alloc_layout =
            Layout::from_size_align(layout.size, layout.align).map_err(|_| Error::InvalidConfig)?;
        // SAFETY: the layout has a non-zero size (it holds at least a header).
        let raw = unsafe { alloc::alloc::alloc(alloc_layout) };
        let base = NonNull::new(raw).ok_or(Error::OutOfMemory)?;
        // SAFETY: a fresh allocation of `layout.size` bytes, aligned to
        // `layout.align`, owned by this coroutine until it is freed in `drop`.
        let block = unsafe { Block::init(base, layout, payload, entry) };
        Ok(RawCoroutine {
            block,
            storage: Storage::Heap(alloc_layout),
            drop_payload: drop_payload::<P>,
        })
    }

    /// The header.
    pub(crate) fn header(&self) -> &Header {
        self.block.header()
    }

    /// The payload.
    pub(crate) fn payload(&self) -> *mut u8 {
        self.header().payload
    }

    /// Current status.
    pub(crate) fn status(&self) -> Status {
        self.header().status.get()
    }

    /// The sizes of its save stack and shadow stack.
    pub(crate) fn config(&self) -> Config {
        self.block.config()
    }

    /// Runs the coroutine until it yields or returns (inlined into the
    /// typed `resume`s: one call fewer per switch).
    #[inline]
    pub(crate) fn resume(&mut self) -> Result<Outcome, Error> {
        match self.status() {
            Status::New | Status::Suspended => {}
            Status::Done | Status::Failed => return Err(Error::Finished),
            Status::Running | Status::Suspending | Status::Rewinding => {
                return Err(Error::Running);
            }
        }
        // The resumer's fuel is parked while the runtime switches, and is
        // charged what the coroutine used when it is back (see `fuel`).
        #[cfg(feature = "fuel")]
        let outer = self.header().fuel.park();
        // SAFETY: the block is alive and initialised, and its status is New
        // or Suspended.
        unsafe { runtime::resume_raw(&self.block) };
        #[cfg(feature = "fuel")]
        self.header().fuel.settle(outer);
        match self.status() {
            Status::Suspended => Ok(Outcome::Yielded),
            Status::Done => Ok(Outcome::Completed),
            _ => Err(Error::ShadowStackOverflow),
        }
    }
}

impl Drop for RawCoroutine {
    fn drop(&mut self) {
        match self.status() {
            Status::New | Status::Done => {
                // SAFETY: a new coroutine never ran, a done one returned: no
                // frame refers to the payload any more, and it is valid.
                unsafe { (self.drop_payload)(self.payload()) };
                match self.storage {
                    Storage::Static => {}
                    #[cfg(feature = "alloc")]
                    Storage::Heap(layout) => {
                        let base = self.block.header_ptr().cast::<u8>();
                        // SAFETY: allocated in `allocate` with this layout;
                        // nothing refers to the block any more.
                        unsafe { alloc::alloc::dealloc(base.as_ptr(), layout) }
                    }
                }
            }
            // Suspended (or failed, or somehow running): frames on its
            // shadow stack may hold pinned values, so the block must never be
            // reused. Leak it, with everything in it; no destructor runs.
            _ => {}
        }
    }
}

impl fmt::Debug for RawCoroutine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.config();
        f.debug_struct("RawCoroutine")
            .field("block", &self.block.header_ptr())
            .field("status", &self.status())
            .field("save_stack", &config.save_stack)
            .field("shadow_stack", &config.shadow_stack)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::cell::Cell;
    use std::boxed::Box;
    use std::rc::Rc;
    use std::vec;

    extern "C" fn never(_: *const Header, _: u64, _: f64) -> f64 {
        unreachable!()
    }

    fn leak(len: usize) -> &'static mut [u8] {
        Box::leak(vec![0u8; len].into_boxed_slice())
    }

    struct DropCounter(Rc<Cell<u32>>);
    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn dropping_a_new_or_done_coroutine_drops_the_payload() {
        let drops = Rc::new(Cell::new(0));
        let raw =
            RawCoroutine::in_memory(leak(4096), 256, DropCounter(drops.clone()), never).unwrap();
        drop(raw);
        assert_eq!(drops.get(), 1);

        let raw =
            RawCoroutine::in_memory(leak(4096), 256, DropCounter(drops.clone()), never).unwrap();
        raw.header().status.set(Status::Done);
        drop(raw);
        assert_eq!(drops.get(), 2);
    }

    #[test]
    fn dropping_a_suspended_coroutine_leaks_its_payload() {
        let drops = Rc::new(Cell::new(0));
        for status in [Status::Suspended, Status::Failed, Status::Running] {
            let raw = RawCoroutine::in_memory(leak(4096), 256, DropCounter(drops.clone()), never)
                .unwrap();
            raw.header().status.set(status);
            drop(raw);
        }
        assert_eq!(drops.get(), 0);
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn allocated_blocks_are_aligned_and_freed() {
        let drops = Rc::new(Cell::new(0));
        let raw = RawCoroutine::allocate(Config::new(128, 512), DropCounter(drops.clone()), never)
            .unwrap();
        assert_eq!(raw.block.header_ptr().addr().get() % 16, 0);
        assert_eq!(raw.config(), Config::new(128, 512));
        drop(raw);
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn resume_refuses_finished_and_running_coroutines() {
        let mut raw = RawCoroutine::in_memory(leak(4096), 256, (), never).unwrap();
        raw.header().status.set(Status::Done);
        assert_eq!(raw.resume(), Err(Error::Finished));
        raw.header().status.set(Status::Failed);
        assert_eq!(raw.resume(), Err(Error::Finished));
        raw.header().status.set(Status::Running);
        assert_eq!(raw.resume(), Err(Error::Running));
        raw.header().status.set(Status::Done);
    }
}
