//! [`StaticMemory`]: a `static` buffer for one control block, for
//! coroutines without an allocator.

use core::cell::UnsafeCell;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

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
    use super::*;

    #[test]
    fn static_memory_is_handed_out_once() {
        static M: StaticMemory<64> = StaticMemory::new();
        let m = M.take().unwrap();
        assert_eq!(m.len(), 64);
        assert_eq!(m.as_ptr() as usize % 16, 0);
        assert!(M.take().is_none());
    }
}
