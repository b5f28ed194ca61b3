//! The header of a control block: the Asyncify data structure, the
//! coroutine's state and the addresses of the block's parts, and the
//! check of its canaries and stack pointer at a switch.

use core::cell::Cell;

use crate::canary::{self, CANARY_LEN};
#[cfg(feature = "fuel")]
use crate::fuel_account::Account;
use crate::status::StatusCell;

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
    pub fuel: Account,
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
                canary::is_intact(self.header_canary),
                canary::is_intact(self.stack_canary),
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

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::raw_coroutine::RawCoroutine;
    use core::ptr;
    use std::boxed::Box;
    use std::vec;

    unsafe extern "C" fn never(_: *const Header, _: u64, _: f64) -> f64 {
        unreachable!()
    }

    fn leak(len: usize) -> &'static mut [u8] {
        Box::leak(vec![0u8; len].into_boxed_slice())
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
}
