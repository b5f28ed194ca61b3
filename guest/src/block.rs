//! [`Block`]: a live control block seen from outside it: where its header,
//! canaries and stacks are, and the check of its canaries and stack pointer
//! at a switch.
//!
//! The addresses are kept outside the block: in its `RawCoroutine`, which
//! lends the `Block` to the runtime while the coroutine runs. An overflow
//! that damages the header therefore cannot change where the check reads
//! the canaries: it reads them where the layout put them, inside the block.

use core::ptr::{self, NonNull};

use crate::canary;
use crate::config::Config;
use crate::header::{Entry, Header};
use crate::layout::BlockLayout;

/// A live control block: its base (where its header is) and its layout.
///
/// Invariant: the memory `base..base + layout.size` holds a control block
/// initialised by [`Block::init`] with this layout, and stays allocated for
/// as long as the `Block` is used. (Only `RawCoroutine` makes one; it frees
/// the memory in its `drop`, after the last use.)
pub(crate) struct Block {
    base: NonNull<Header>,
    layout: BlockLayout,
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

impl Block {
    /// Writes the header, the payload and both canaries of a block at `base`.
    ///
    /// # Safety
    ///
    /// `base..base + layout.size` must be writable, exclusively owned by the
    /// new block for as long as the returned `Block` is used, and `base`
    /// aligned to `layout.align`.
    pub(crate) unsafe fn init<P>(
        base: NonNull<u8>,
        layout: BlockLayout,
        payload: P,
        entry: Entry,
    ) -> Block {
        let block = Block {
            base: base.cast::<Header>(),
            layout,
        };
        let payload_ptr = block.part(layout.payload);
        let header = Header::new(
            block.addr(layout.save_start),
            block.addr(layout.save_end),
            block.addr(layout.size),
            entry,
            payload_ptr,
        );
        // SAFETY: every part is inside the block, which is writable per the
        // contract, and suitably aligned: the header at the base, aligned to
        // the block's alignment, which covers the header's; the payload at
        // an offset aligned to `align_of::<P>()`; the canaries are bytes.
        unsafe {
            ptr::write(block.base.as_ptr(), header);
            ptr::write(payload_ptr.cast::<P>(), payload);
            canary::write(block.part(layout.header_canary));
            canary::write(block.part(layout.stack_canary));
        }
        block
    }

    /// The header.
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the block is alive and initialised (the type's
        // invariant); its header is only shared, its fields are `Cell`s.
        unsafe { self.base.as_ref() }
    }

    /// The header's address, with the provenance of the whole block.
    pub(crate) fn header_ptr(&self) -> NonNull<Header> {
        self.base
    }

    /// Address of the Asyncify data structure (the header's first two
    /// fields).
    pub(crate) fn data_ptr(&self) -> *mut u8 {
        self.base.as_ptr().cast::<u8>()
    }

    /// The coroutine's initial `__stack_pointer`: the top of its shadow
    /// stack, one past the block.
    pub(crate) fn stack_top(&self) -> *mut u8 {
        self.part(self.layout.size)
    }

    /// The sizes of its save stack and shadow stack.
    pub(crate) fn config(&self) -> Config {
        let l = &self.layout;
        Config::new(l.save_end - l.save_start, l.size - l.stack_lo)
    }

    /// Checks the canaries, and that `sp` lies in the shadow stack (on
    /// every suspension: inlined into the switch).
    #[inline]
    pub(crate) fn check_stack(&self, sp: usize) -> StackCheck {
        // SAFETY: the layout put both canaries inside the block, which is
        // alive (the type's invariant); the layout is not in the block, so
        // no overflow of the block has changed it.
        let (header_ok, stack_ok) = unsafe {
            (
                canary::is_intact(self.part(self.layout.header_canary)),
                canary::is_intact(self.part(self.layout.stack_canary)),
            )
        };
        if !header_ok || sp > self.addr(self.layout.size) {
            StackCheck::Corrupted
        } else if !stack_ok || sp < self.addr(self.layout.stack_lo) {
            StackCheck::Overflow
        } else {
            StackCheck::Ok
        }
    }

    /// Resets the Asyncify data structure to an empty save stack.
    pub(crate) fn reset_save_stack(&self) {
        let h = self.header();
        h.stack_pos.set(self.addr(self.layout.save_start));
        h.stack_end.set(self.addr(self.layout.save_end));
    }

    /// Bytes of save stack the last unwind wrote.
    pub(crate) fn save_stack_in_use(&self) -> usize {
        let start = self.addr(self.layout.save_start);
        self.header().stack_pos.get().saturating_sub(start)
    }

    /// The part of the block at `offset` (at most its size).
    fn part(&self, offset: usize) -> *mut u8 {
        self.data_ptr().wrapping_add(offset)
    }

    /// The address of the part at `offset`.
    fn addr(&self, offset: usize) -> usize {
        self.part(offset).addr()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use core::alloc::Layout;
    use core::mem::size_of;
    use std::boxed::Box;
    use std::vec;

    extern "C" fn never(_: *const Header, _: u64, _: f64) -> f64 {
        unreachable!()
    }

    /// A block with a `u32` payload and `save_stack` bytes of save stack in
    /// 4 KiB of leaked memory.
    fn block(save_stack: usize) -> Block {
        let memory = Box::leak(vec![0u8; 4096].into_boxed_slice());
        let (skip, layout) = BlockLayout::fit(
            Layout::new::<u32>(),
            save_stack,
            memory.as_ptr().addr(),
            memory.len(),
        )
        .unwrap();
        let base = NonNull::new(memory.as_mut_ptr().wrapping_add(skip)).unwrap();
        // SAFETY: `fit` placed the block inside the leaked memory, aligned.
        unsafe { Block::init(base, layout, 7u32, never) }
    }

    /// Writes `len` bytes of `0xAA` at `offset` in the block.
    fn damage(b: &Block, offset: usize, len: usize) {
        // SAFETY: the tests damage bytes inside the block only.
        unsafe { ptr::write_bytes(b.part(offset), 0xAA, len) };
    }

    #[test]
    fn canaries_detect_overflow_and_corruption() {
        let b = block(512);
        let (top, lo) = (b.addr(b.layout.size), b.addr(b.layout.stack_lo));
        assert_eq!(top % 16, 0);
        assert_eq!(b.check_stack(top - 64), StackCheck::Ok);
        assert_eq!(b.check_stack(lo - 1), StackCheck::Overflow);
        assert_eq!(b.check_stack(top + 16), StackCheck::Corrupted);
        // An overflow that clobbers the stack canary and the save stack.
        damage(&b, b.layout.stack_canary - 100, 116);
        assert_eq!(b.check_stack(top - 64), StackCheck::Overflow);
        // ... and one that runs on into the header canary.
        damage(&b, b.layout.header_canary + 8, 1);
        assert_eq!(b.check_stack(top - 64), StackCheck::Corrupted);
    }

    #[test]
    fn a_damaged_header_does_not_move_the_canaries() {
        let b = block(512);
        let top = b.addr(b.layout.size);
        // A write that jumped over the header canary into the header: the
        // check still reads the canaries where the layout put them.
        damage(&b, 0, size_of::<Header>());
        assert_eq!(b.check_stack(top - 64), StackCheck::Ok);
        damage(&b, b.layout.header_canary, 1);
        assert_eq!(b.check_stack(top - 64), StackCheck::Corrupted);
    }

    #[test]
    fn data_structure_starts_empty() {
        let b = block(512);
        let h = b.header();
        assert_eq!(b.data_ptr().addr(), ptr::from_ref(h).addr());
        assert_eq!(h.stack_pos.get(), b.addr(b.layout.save_start));
        assert_eq!(h.stack_end.get() - h.stack_pos.get(), 512);
        assert_eq!(b.save_stack_in_use(), 0);
        h.stack_pos.set(h.stack_pos.get() + 40);
        assert_eq!(b.save_stack_in_use(), 40);
        b.reset_save_stack();
        assert_eq!(b.save_stack_in_use(), 0);
    }

    #[test]
    fn the_payload_and_the_stack_top_are_where_the_layout_says() {
        let b = block(256);
        let h = b.header();
        assert_eq!(h.payload, b.part(b.layout.payload));
        // SAFETY: `init` wrote a `u32` there.
        assert_eq!(unsafe { h.payload.cast::<u32>().read() }, 7);
        assert_eq!(b.stack_top().addr() % 16, 0);
        assert_eq!(h.saved_sp.get(), b.stack_top().addr());
        assert_eq!(b.config().save_stack, 256);
        assert_eq!(b.config().shadow_stack, b.layout.shadow_stack());
    }
}
