//! Global-allocator helpers: a counting wrapper (to prove that switching
//! allocates nothing) and, with the `talc` feature, a ready-made allocator
//! for single-threaded wasm32.

use core::alloc::{GlobalAlloc, Layout};
use core::fmt;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A [`GlobalAlloc`] that forwards to `A` and counts the calls.
///
/// ```
/// use rewind_guest::heap::CountingAllocator;
/// # extern crate std;
/// # use std::alloc::System;
///
/// static ALLOC: CountingAllocator<System> = CountingAllocator::new(System);
/// // #[global_allocator] on `ALLOC`, then:
/// let before = ALLOC.calls();
/// // ... code that must not allocate ...
/// assert_eq!(ALLOC.calls() - before, 0);
/// ```
pub struct CountingAllocator<A> {
    inner: A,
    allocs: AtomicUsize,
    deallocs: AtomicUsize,
    reallocs: AtomicUsize,
}

impl<A> CountingAllocator<A> {
    /// Wraps `inner`.
    pub const fn new(inner: A) -> Self {
        CountingAllocator {
            inner,
            allocs: AtomicUsize::new(0),
            deallocs: AtomicUsize::new(0),
            reallocs: AtomicUsize::new(0),
        }
    }

    /// Calls of `alloc` and `alloc_zeroed` so far.
    pub fn allocations(&self) -> usize {
        self.allocs.load(Relaxed)
    }

    /// Calls of `dealloc` so far.
    pub fn deallocations(&self) -> usize {
        self.deallocs.load(Relaxed)
    }

    /// Calls of `realloc` so far.
    pub fn reallocations(&self) -> usize {
        self.reallocs.load(Relaxed)
    }

    /// All calls so far.
    pub fn calls(&self) -> usize {
        self.allocations() + self.deallocations() + self.reallocations()
    }

    /// The wrapped allocator.
    pub fn inner(&self) -> &A {
        &self.inner
    }
}

// SAFETY: every method forwards to `A`'s, which upholds the contract.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAllocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.allocs.fetch_add(1, Relaxed);
        // SAFETY: forwarded contract.
        unsafe { self.inner.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.allocs.fetch_add(1, Relaxed);
        // SAFETY: forwarded contract.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.deallocs.fetch_add(1, Relaxed);
        // SAFETY: forwarded contract.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.reallocs.fetch_add(1, Relaxed);
        // SAFETY: forwarded contract.
        unsafe { self.inner.realloc(ptr, layout, new_size) }
    }
}

impl<A> fmt::Debug for CountingAllocator<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingAllocator")
            .field("allocations", &self.allocations())
            .field("deallocations", &self.deallocations())
            .field("reallocations", &self.reallocations())
            .finish()
    }
}

/// talc's allocator for single-threaded wasm32, growing linear memory on
/// demand (and coping with memory grown by others: the host, or
/// `memory.grow` in the guest).
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: rewind_guest::heap::TalcAllocator = rewind_guest::heap::talc_allocator();
/// ```
///
/// Only usable on wasm targets without the `atomics` feature.
#[cfg(feature = "talc")]
pub type TalcAllocator = talc::wasm::WasmDynamicTalc;

/// A new [`TalcAllocator`], for a `#[global_allocator]` static.
///
/// # Panics
///
/// (At compile time, in a `static`) on targets other than single-threaded
/// wasm.
#[cfg(feature = "talc")]
pub const fn talc_allocator() -> TalcAllocator {
    talc::wasm::new_wasm_dynamic_allocator()
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::alloc::System;
    use std::boxed::Box;

    #[test]
    fn counts_every_kind_of_call() {
        static A: CountingAllocator<System> = CountingAllocator::new(System);
        let layout = Layout::from_size_align(32, 8).unwrap();
        // SAFETY: a valid non-zero layout; each pointer is used with the
        // layout it was allocated with.
        unsafe {
            let p = A.alloc(layout);
            let p = A.realloc(p, layout, 64);
            A.dealloc(p, Layout::from_size_align(64, 8).unwrap());
            let q = A.alloc_zeroed(layout);
            A.dealloc(q, layout);
        }
        assert_eq!(A.allocations(), 2);
        assert_eq!(A.reallocations(), 1);
        assert_eq!(A.deallocations(), 2);
        assert_eq!(A.calls(), 5);
        let _ = Box::new(0); // the test harness's allocator is not A
        assert_eq!(A.calls(), 5);
    }
}
