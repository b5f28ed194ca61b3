//! The layout of a control block: where its parts go, from the payload's
//! layout and the stack sizes.
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
//! Nothing in the block depends on the size of linear memory: every address
//! the runtime keeps (in the header, and in the block's `Block`) points
//! inside the block, and linear memory never moves when it grows, so a
//! suspended coroutine survives `memory.grow`.

use core::alloc::Layout;

use crate::canary::CANARY_LEN;
use crate::config::Config;
use crate::error::Error;
use crate::header::Header;

/// Alignment of the control block and of the shadow stack's top (the C ABI
/// of wasm32 keeps `__stack_pointer` 16-byte aligned).
pub(crate) const BLOCK_ALIGN: usize = 16;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
