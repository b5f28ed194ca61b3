//! The control block of a coroutine: its layout, its header, the canaries
//! that detect shadow-stack overflow, and who owns its memory.
//!
//! ```text
//! base (aligned to 16)
//! | Header            | stack_pos, stack_end (the Asyncify data structure), state, ...
//! | payload           | the typed slots (input, yielded value, result) and the entry closure
//! | header canary     | 16 bytes: intact unless an overflow ran through the whole save stack
//! | save stack        | Asyncify frames while the coroutine is suspended; unused while it runs
//! | stack canary      | 16 bytes: the first thing a shadow-stack overflow clobbers
//! | shadow stack  ^   | the coroutine's own C stack; grows down from the top
//! top (aligned to 16) = base + size
//! ```
//!
//! A shadow-stack overflow runs downward: through the stack canary into the
//! save stack, which holds nothing while the coroutine runs, and only then
//! into the header. The canaries are checked at every switch (yield and
//! completion), so an overflow that stayed inside the save stack is
//! reported as an error, and one that reached the header stops the program
//! before the corrupted header is used.
//!
//! Nothing in the block depends on the size of linear memory: every field is
//! an address inside the block, and linear memory never moves when it
//! grows, so a suspended coroutine survives `memory.grow`.

use core::alloc::Layout;
use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;
use crate::runtime;

/// Alignment of the control block and of the shadow stack's top (the C ABI
/// of wasm32 keeps `__stack_pointer` 16-byte aligned).
pub(crate) const BLOCK_ALIGN: usize = 16;
/// Length of each canary.
pub(crate) const CANARY_LEN: usize = 16;
/// The canary pattern.
pub(crate) const CANARY: [u8; CANARY_LEN] = *b"rewind-guest\xC0\xDE\xF0\x0D";

/// Sizes of a coroutine's two stacks.
///
/// * `save_stack`: bytes for the frames Asyncify saves when the coroutine
///   yields: for each function on the coroutine's call stack, its live
///   locals plus a call-site index (typically 10 to 100 bytes per frame).
///   Too small a save stack is a trap the host can identify (see
///   [`Error`]).
/// * `shadow_stack`: the coroutine's own C stack (`__stack_pointer`), for
///   the locals Rust keeps in memory. Overflow is detected at the next
///   switch (see [`Error::ShadowStackOverflow`]).
///
/// Both are rounded up to multiples of 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Bytes of save stack.
    pub save_stack: usize,
    /// Bytes of shadow stack.
    pub shadow_stack: usize,
}

impl Config {
    /// 4 KiB of save stack, 16 KiB of shadow stack.
    pub const DEFAULT: Config = Config {
        save_stack: 4 * 1024,
        shadow_stack: 16 * 1024,
    };
    /// The smallest save stack accepted.
    pub const MIN_SAVE_STACK: usize = 64;
    /// The smallest shadow stack accepted.
    pub const MIN_SHADOW_STACK: usize = 256;

    /// A configuration with the given sizes.
    pub const fn new(save_stack: usize, shadow_stack: usize) -> Self {
        Config {
            save_stack,
            shadow_stack,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// Where a coroutine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Status {
    /// Created, never resumed.
    New,
    /// Running (on its own shadow stack).
    Running,
    /// Unwinding after a yield; set just before `start_unwind`.
    Suspending,
    /// Suspended; its frames are in the save stack.
    Suspended,
    /// Being rewound; set just before `start_rewind`.
    Rewinding,
    /// Returned from its entry function.
    Done,
    /// Overflowed its shadow stack; never runs again.
    Failed,
}

/// A [`Status`] stored as a byte: reading it from a header damaged by an
/// overflow yields some status, never undefined behaviour.
pub(crate) struct StatusCell(Cell<u8>);

impl StatusCell {
    fn new(status: Status) -> Self {
        StatusCell(Cell::new(status as u8))
    }

    /// The status (an unknown byte reads as `Failed`).
    pub(crate) fn get(&self) -> Status {
        const ALL: [Status; 7] = [
            Status::New,
            Status::Running,
            Status::Suspending,
            Status::Suspended,
            Status::Rewinding,
            Status::Done,
            Status::Failed,
        ];
        ALL.get(usize::from(self.0.get()))
            .copied()
            .unwrap_or(Status::Failed)
    }

    /// Sets the status.
    pub(crate) fn set(&self, status: Status) {
        self.0.set(status as u8);
    }
}

/// The function `resume` calls to start a coroutine: it takes the closure
/// out of the payload, runs it, and stores its result.
///
/// Called with the coroutine's header, [`ENTRY_TAG`] and `0.0`; returns
/// `0.0`. The extra parameters only give it an unusual wasm type,
/// `(i32, i64, f64) -> f64`: the transform's indirect-call narrowing treats
/// every `call_indirect` of this type as one that may suspend, and the
/// plain `(i32) -> ()` would have made every `drop_in_place` called through
/// a vtable (and everything calling those) instrumented too.
pub(crate) type Entry = unsafe extern "C" fn(*const Header, u64, f64) -> f64;

/// The second argument of every [`Entry`] call.
pub(crate) const ENTRY_TAG: u64 = 0x7265_7769_6e64_2167;

/// The fixed part of a control block. All mutable fields are `Cell`s: the
/// header is shared between the handle and the running coroutine.
#[repr(C)]
pub(crate) struct Header {
    /// Asyncify's `stack_pos`. With `stack_end`, the data structure whose
    /// address is passed to `start_unwind`/`start_rewind`: must come first.
    pub stack_pos: Cell<usize>,
    /// Asyncify's `stack_end`.
    pub stack_end: Cell<usize>,
    /// Life cycle.
    pub status: StatusCell,
    /// Non-zero when a yield found the shadow stack overflowed (a byte, not
    /// a `bool`, for the same reason as `StatusCell`).
    pub overflowed: Cell<u8>,
    /// First byte of the save stack.
    pub save_start: usize,
    /// One past the save stack.
    pub save_end: usize,
    /// Lowest byte of the shadow stack (just above the stack canary).
    pub stack_lo: usize,
    /// Initial `__stack_pointer` of the coroutine (one past the block).
    pub stack_top: usize,
    /// Address of the header canary.
    pub header_canary: usize,
    /// Address of the stack canary.
    pub stack_canary: usize,
    /// `__stack_pointer` when the coroutine last unwound.
    pub saved_sp: Cell<usize>,
    /// Largest save-stack use seen.
    pub save_used: Cell<usize>,
    /// The coroutine that resumed this one (`null`: the main context).
    pub parent: Cell<*const Header>,
    /// Entry function.
    pub entry: Entry,
    /// The payload (typed slots and closure).
    pub payload: *mut u8,
    /// Drops the payload in place.
    pub drop_payload: unsafe fn(*mut u8),
    /// Its fuel budget and what it used (see `fuel`).
    #[cfg(feature = "fuel")]
    pub fuel: crate::fuel_account::Account,
}

/// The result of checking a coroutine's stacks at a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StackCheck {
    /// Both canaries intact, stack pointer in range.
    Ok,
    /// The stack canary is broken or the stack pointer is below the shadow
    /// stack, but the header canary is intact: the damage is confined to
    /// the block's own (idle) save stack.
    Overflow,
    /// The header canary is broken, or the stack pointer is above the
    /// block: the header cannot be trusted.
    Corrupted,
}

impl Header {
    /// Checks the canaries and that `sp` lies in the shadow stack.
    pub(crate) fn check_stack(&self, sp: usize) -> StackCheck {
        if !self.is_consistent() {
            return StackCheck::Corrupted;
        }
        // SAFETY: both canary addresses lie inside this header's block
        // (checked just above), which is alive as long as the header is.
        let (header_ok, stack_ok) = unsafe {
            (
                canary_intact(self.header_canary),
                canary_intact(self.stack_canary),
            )
        };
        if !header_ok || sp > self.stack_top {
            StackCheck::Corrupted
        } else if !stack_ok || sp < self.stack_lo {
            StackCheck::Overflow
        } else {
            StackCheck::Ok
        }
    }

    /// Whether the addresses in the header still describe its own block,
    /// so that reading the canaries through them stays inside it. (An
    /// overflow reaches the header only through the header canary, but a
    /// single large write may have jumped over it.)
    fn is_consistent(&self) -> bool {
        let base = self as *const Header as usize;
        base < self.header_canary
            && self.header_canary + CANARY_LEN == self.save_start
            && self.save_start <= self.save_end
            && self.stack_canary == self.save_end
            && self.stack_lo == self.stack_canary + CANARY_LEN
            && self.stack_lo < self.stack_top
    }

    /// Resets the Asyncify data structure to an empty save stack.
    pub(crate) fn reset_save_stack(&self) {
        self.stack_pos.set(self.save_start);
        self.stack_end.set(self.save_end);
    }

    /// Address of the Asyncify data structure.
    pub(crate) fn data_ptr(&self) -> *mut u8 {
        self as *const Header as *mut u8
    }
}

/// Whether the 16 bytes at `addr` still hold the canary.
///
/// # Safety
///
/// `addr..addr + CANARY_LEN` must be readable.
unsafe fn canary_intact(addr: usize) -> bool {
    let p = addr as *const [u8; CANARY_LEN];
    // SAFETY: readable per the contract; volatile because the bytes may have
    // been written through pointers the compiler does not know about (an
    // overflowing shadow stack).
    unsafe { ptr::read_volatile(p) == CANARY }
}

fn align_up(x: usize, align: usize) -> Option<usize> {
    Some(x.checked_add(align - 1)? & !(align - 1))
}

/// Offsets (from the block's base) of each part of a control block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockLayout {
    /// Alignment of the base.
    pub align: usize,
    /// Offset of the payload.
    pub payload: usize,
    /// Offset of the header canary.
    pub header_canary: usize,
    /// Offset of the save stack.
    pub save_start: usize,
    /// Offset one past the save stack.
    pub save_end: usize,
    /// Offset of the stack canary.
    pub stack_canary: usize,
    /// Offset of the lowest shadow-stack byte.
    pub stack_lo: usize,
    /// Offset of the shadow stack's top: the block's size.
    pub size: usize,
}

impl BlockLayout {
    /// Everything up to the shadow stack, which gets size 0.
    fn prefix(payload: Layout, save_stack: usize) -> Result<Self, Error> {
        if save_stack < Config::MIN_SAVE_STACK {
            return Err(Error::InvalidConfig);
        }
        let align = BLOCK_ALIGN
            .max(core::mem::align_of::<Header>())
            .max(payload.align());
        let payload_off = align_up(core::mem::size_of::<Header>(), payload.align())
            .ok_or(Error::InvalidConfig)?;
        let header_canary = payload_off
            .checked_add(payload.size())
            .and_then(|x| align_up(x, BLOCK_ALIGN))
            .ok_or(Error::InvalidConfig)?;
        let save_start = header_canary + CANARY_LEN;
        let save_end = align_up(save_stack, BLOCK_ALIGN)
            .and_then(|s| save_start.checked_add(s))
            .ok_or(Error::InvalidConfig)?;
        let stack_canary = save_end;
        let stack_lo = stack_canary + CANARY_LEN;
        Ok(BlockLayout {
            align,
            payload: payload_off,
            header_canary,
            save_start,
            save_end,
            stack_canary,
            stack_lo,
            size: stack_lo,
        })
    }

    /// The layout of a block with both stack sizes given.
    #[cfg(any(feature = "alloc", test))]
    pub(crate) fn new(payload: Layout, config: Config) -> Result<Self, Error> {
        if config.shadow_stack < Config::MIN_SHADOW_STACK {
            return Err(Error::InvalidConfig);
        }
        let mut l = Self::prefix(payload, config.save_stack)?;
        l.size = align_up(config.shadow_stack, BLOCK_ALIGN)
            .and_then(|s| l.stack_lo.checked_add(s))
            .filter(|&s| s <= isize::MAX as usize)
            .ok_or(Error::InvalidConfig)?;
        Ok(l)
    }

    /// Fits a block into `len` bytes at address `addr`: the shadow stack
    /// takes whatever the rest leaves. Returns the base's offset from
    /// `addr` and the layout.
    pub(crate) fn fit(
        payload: Layout,
        save_stack: usize,
        addr: usize,
        len: usize,
    ) -> Result<(usize, Self), Error> {
        let mut l = Self::prefix(payload, save_stack)?;
        let too_small = Error::MemoryTooSmall {
            needed: l.align - 1 + l.stack_lo + Config::MIN_SHADOW_STACK,
            available: len,
        };
        let base = align_up(addr, l.align).ok_or(too_small)?;
        let skip = base - addr;
        let usable = len.checked_sub(skip).ok_or(too_small)?;
        let end = usable & !(BLOCK_ALIGN - 1);
        if end < l.stack_lo + Config::MIN_SHADOW_STACK {
            return Err(too_small);
        }
        l.size = end;
        Ok((skip, l))
    }

    /// Bytes of shadow stack.
    #[cfg(test)]
    pub(crate) fn shadow_stack(&self) -> usize {
        self.size - self.stack_lo
    }
}

/// Who owns a block's memory.
enum Storage {
    /// Caller-provided `'static` memory: never given back.
    Static,
    /// From the global allocator.
    #[cfg(feature = "alloc")]
    Heap { ptr: NonNull<u8>, layout: Layout },
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
    header: NonNull<Header>,
    storage: Storage,
}

impl RawCoroutine {
    /// Builds a coroutine in caller-provided memory.
    pub(crate) fn in_memory<P>(
        memory: &'static mut [u8],
        save_stack: usize,
        payload: P,
        entry: Entry,
    ) -> Result<Self, Error> {
        let addr = memory.as_mut_ptr() as usize;
        let (skip, layout) = BlockLayout::fit(Layout::new::<P>(), save_stack, addr, memory.len())?;
        // SAFETY: `skip + layout.size <= memory.len()` (checked by `fit`), and
        // the memory is ours for 'static: the `&'static mut` is consumed.
        let base = unsafe { memory.as_mut_ptr().add(skip) };
        // SAFETY: as above; `base` is aligned to `layout.align` by `fit`.
        let header = unsafe { init_block(base, &layout, payload, entry) };
        Ok(RawCoroutine {
            header,
            storage: Storage::Static,
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
        let ptr = NonNull::new(raw).ok_or(Error::OutOfMemory)?;
        // SAFETY: a fresh allocation of `layout.size` bytes, aligned to
        // `layout.align`, owned by this coroutine until it is freed in `drop`.
        let header = unsafe { init_block(ptr.as_ptr(), &layout, payload, entry) };
        Ok(RawCoroutine {
            header,
            storage: Storage::Heap {
                ptr,
                layout: alloc_layout,
            },
        })
    }

    /// The header.
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the block lives as long as `self`.
        unsafe { self.header.as_ref() }
    }

    /// The payload.
    pub(crate) fn payload(&self) -> *mut u8 {
        self.header().payload
    }

    /// Current status.
    pub(crate) fn status(&self) -> Status {
        self.header().status.get()
    }

    /// Runs the coroutine until it yields or returns.
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
        // SAFETY: the header is alive and initialised, and its status is New
        // or Suspended.
        unsafe { runtime::resume_raw(self.header.as_ptr()) };
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
                let h = self.header();
                // SAFETY: a new coroutine never ran, a done one returned: no
                // frame refers to the payload any more, and it is valid.
                unsafe { (h.drop_payload)(h.payload) };
                match self.storage {
                    Storage::Static => {}
                    #[cfg(feature = "alloc")]
                    Storage::Heap { ptr, layout } => {
                        // SAFETY: allocated in `allocate` with this layout;
                        // nothing refers to the block any more.
                        unsafe { alloc::alloc::dealloc(ptr.as_ptr(), layout) }
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
        let h = self.header();
        f.debug_struct("RawCoroutine")
            .field("block", &self.header)
            .field("status", &h.status.get())
            .field("save_stack", &(h.save_end - h.save_start))
            .field("shadow_stack", &(h.stack_top - h.stack_lo))
            .finish()
    }
}

/// Writes the header, the payload and both canaries of a block at `base`.
///
/// # Safety
///
/// `base..base + layout.size` must be writable, exclusively owned by the
/// new block for as long as it lives, and `base` aligned to `layout.align`.
unsafe fn init_block<P>(
    base: *mut u8,
    layout: &BlockLayout,
    payload: P,
    entry: Entry,
) -> NonNull<Header> {
    let b = base as usize;
    let header = Header {
        stack_pos: Cell::new(b + layout.save_start),
        stack_end: Cell::new(b + layout.save_end),
        status: StatusCell::new(Status::New),
        overflowed: Cell::new(0),
        save_start: b + layout.save_start,
        save_end: b + layout.save_end,
        stack_lo: b + layout.stack_lo,
        stack_top: b + layout.size,
        header_canary: b + layout.header_canary,
        stack_canary: b + layout.stack_canary,
        saved_sp: Cell::new(b + layout.size),
        save_used: Cell::new(0),
        parent: Cell::new(ptr::null()),
        entry,
        // SAFETY: inside the block per the contract.
        payload: unsafe { base.add(layout.payload) },
        drop_payload: drop_payload::<P>,
        #[cfg(feature = "fuel")]
        fuel: crate::fuel_account::Account::new(),
    };
    // SAFETY: every offset is inside the block and suitably aligned (the
    // layout aligns the payload to `align_of::<P>()`, the header to the
    // block's alignment), per the contract.
    unsafe {
        ptr::write(base.cast::<Header>(), header);
        ptr::write(base.add(layout.payload).cast::<P>(), payload);
        ptr::write(
            base.add(layout.header_canary).cast::<[u8; CANARY_LEN]>(),
            CANARY,
        );
        ptr::write(
            base.add(layout.stack_canary).cast::<[u8; CANARY_LEN]>(),
            CANARY,
        );
        NonNull::new_unchecked(base.cast::<Header>())
    }
}

/// A `static` buffer for one control block, handed out once as
/// `&'static mut [u8]`: coroutines without an allocator.
///
/// ```
/// use rewind_guest::StaticMemory;
///
/// static MEMORY: StaticMemory<8192> = StaticMemory::new();
///
/// let memory: &'static mut [u8] = MEMORY.take().unwrap();
/// assert_eq!(memory.len(), 8192);
/// assert!(MEMORY.take().is_none()); // only once
/// ```
#[repr(C, align(16))]
pub struct StaticMemory<const N: usize> {
    bytes: UnsafeCell<[u8; N]>,
    taken: AtomicBool,
}

// SAFETY: the bytes are only reachable through the `&'static mut` that `take`
// hands out at most once (guarded by the atomic flag).
unsafe impl<const N: usize> Sync for StaticMemory<N> {}

impl<const N: usize> StaticMemory<N> {
    /// A zeroed buffer (it lives in `.bss`: no bytes in the module).
    pub const fn new() -> Self {
        StaticMemory {
            bytes: UnsafeCell::new([0; N]),
            taken: AtomicBool::new(false),
        }
    }

    /// The buffer, the first time; `None` afterwards.
    // A `&mut` from `&self` is sound here: the atomic flag hands it out once.
    #[allow(clippy::mut_from_ref)]
    pub fn take(&'static self) -> Option<&'static mut [u8]> {
        if self.taken.swap(true, Ordering::AcqRel) {
            None
        } else {
            // SAFETY: the flag guarantees this is the only reference ever
            // created to the bytes.
            Some(unsafe { &mut *self.bytes.get() })
        }
    }
}

impl<const N: usize> Default for StaticMemory<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for StaticMemory<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticMemory")
            .field("len", &N)
            .field("taken", &self.taken.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::boxed::Box;
    use std::rc::Rc;
    use std::vec;

    unsafe extern "C" fn never(_: *const Header, _: u64, _: f64) -> f64 {
        unreachable!()
    }

    fn leak(len: usize) -> &'static mut [u8] {
        Box::leak(vec![0u8; len].into_boxed_slice())
    }

    #[test]
    fn layout_parts_are_ordered_aligned_and_sized() {
        let l = BlockLayout::new(Layout::new::<[u64; 3]>(), Config::new(100, 1000)).unwrap();
        assert_eq!(l.align, 16);
        assert!(l.payload >= core::mem::size_of::<Header>());
        assert_eq!(l.header_canary % 16, 0);
        assert!(l.header_canary >= l.payload + 24);
        assert_eq!(l.save_start, l.header_canary + CANARY_LEN);
        assert_eq!(l.save_end - l.save_start, 112); // rounded up to 16
        assert_eq!(l.stack_canary, l.save_end);
        assert_eq!(l.stack_lo, l.stack_canary + CANARY_LEN);
        assert_eq!(l.shadow_stack(), 1008);
        assert_eq!(l.size % 16, 0);
    }

    #[test]
    fn payload_with_large_alignment() {
        #[repr(align(64))]
        struct Big(#[allow(dead_code)] u8);
        let l = BlockLayout::new(Layout::new::<Big>(), Config::DEFAULT).unwrap();
        assert_eq!(l.align, 64);
        assert_eq!(l.payload % 64, 0);
    }

    #[test]
    fn configs_below_minimums_or_overflowing_are_rejected() {
        let p = Layout::new::<u32>();
        assert_eq!(
            BlockLayout::new(p, Config::new(8, 4096)),
            Err(Error::InvalidConfig)
        );
        assert_eq!(
            BlockLayout::new(p, Config::new(4096, 8)),
            Err(Error::InvalidConfig)
        );
        assert_eq!(
            BlockLayout::new(p, Config::new(usize::MAX - 8, 4096)),
            Err(Error::InvalidConfig)
        );
        assert_eq!(
            BlockLayout::new(p, Config::new(4096, usize::MAX)),
            Err(Error::InvalidConfig)
        );
    }

    #[test]
    fn fit_gives_the_rest_to_the_shadow_stack() {
        let p = Layout::new::<u32>();
        let (skip, l) = BlockLayout::fit(p, 256, 0x1003, 4096).unwrap();
        assert_eq!(skip, 13);
        assert_eq!((0x1003 + skip) % 16, 0);
        assert!(skip + l.size <= 4096);
        assert!(4096 - (skip + l.size) < 16);
        assert_eq!(l.save_end - l.save_start, 256);
        assert_eq!(l.shadow_stack(), l.size - l.stack_lo);
    }

    #[test]
    fn fit_reports_too_small_memory() {
        let p = Layout::new::<u32>();
        match BlockLayout::fit(p, 256, 0x1000, 300) {
            Err(Error::MemoryTooSmall { needed, available }) => {
                assert_eq!(available, 300);
                assert!(needed > 256 + Config::MIN_SHADOW_STACK);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn canaries_detect_overflow_and_corruption() {
        let raw = RawCoroutine::in_memory(leak(4096), 512, 0u32, never).unwrap();
        let h = raw.header();
        assert_eq!(h.stack_top % 16, 0);
        assert_eq!(h.check_stack(h.stack_top - 64), StackCheck::Ok);
        assert_eq!(h.check_stack(h.stack_lo - 1), StackCheck::Overflow);
        assert_eq!(h.check_stack(h.stack_top + 16), StackCheck::Corrupted);
        // An overflow that clobbers the stack canary and the save stack.
        // SAFETY: inside the block.
        unsafe { ptr::write_bytes((h.stack_canary - 100) as *mut u8, 0xAA, 116) };
        assert_eq!(h.check_stack(h.stack_top - 64), StackCheck::Overflow);
        // ... and one that runs on into the header canary.
        // SAFETY: inside the block.
        unsafe { ptr::write_bytes((h.header_canary + 8) as *mut u8, 0xAA, 1) };
        assert_eq!(h.check_stack(h.stack_top - 64), StackCheck::Corrupted);
    }

    #[test]
    fn a_header_with_foreign_addresses_counts_as_corrupted() {
        let raw = RawCoroutine::in_memory(leak(4096), 512, 0u32, never).unwrap();
        let p = raw.header.as_ptr();
        // SAFETY: the header is valid; this simulates an overflow that
        // overwrote one of its address fields.
        unsafe { (*p).header_canary = 12 };
        assert_eq!(
            raw.header().check_stack(raw.header().stack_top - 64),
            StackCheck::Corrupted
        );
    }

    #[test]
    fn data_structure_starts_empty() {
        let raw = RawCoroutine::in_memory(leak(4096), 512, (), never).unwrap();
        let h = raw.header();
        assert_eq!(h.data_ptr() as usize, raw.header.as_ptr() as usize);
        assert_eq!(h.stack_pos.get(), h.save_start);
        assert_eq!(h.stack_end.get() - h.stack_pos.get(), 512);
        h.stack_pos.set(h.save_start + 40);
        h.reset_save_stack();
        assert_eq!(h.stack_pos.get(), h.save_start);
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
        let h = raw.header();
        assert_eq!(raw.header.as_ptr() as usize % 16, 0);
        assert_eq!(h.save_end - h.save_start, 128);
        assert_eq!(h.stack_top - h.stack_lo, 512);
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

    #[test]
    fn static_memory_is_handed_out_once() {
        static M: StaticMemory<64> = StaticMemory::new();
        let m = M.take().unwrap();
        assert_eq!(m.len(), 64);
        assert_eq!(m.as_ptr() as usize % 16, 0);
        assert!(M.take().is_none());
    }
}
