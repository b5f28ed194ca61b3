//! The canaries of a control block: a 16-byte pattern on each side of the
//! save stack, whose damage shows that the shadow stack overflowed.

use core::ptr;

/// Length of each canary.
pub(crate) const CANARY_LEN: usize = 16;
/// The canary pattern.
const CANARY: [u8; CANARY_LEN] = *b"rewind-guest\xC0\xDE\xF0\x0D";

/// Writes the canary at `addr`.
///
/// # Safety
///
/// `addr..addr + CANARY_LEN` must be writable.
pub(crate) unsafe fn write(addr: *mut u8) {
    // SAFETY: writable per the contract; a byte array needs no alignment.
    unsafe { ptr::write(addr.cast::<[u8; CANARY_LEN]>(), CANARY) }
}

/// Whether the 16 bytes at `addr` still hold the canary.
///
/// # Safety
///
/// `addr..addr + CANARY_LEN` must be readable.
pub(crate) unsafe fn is_intact(addr: *const u8) -> bool {
    // SAFETY: readable per the contract, and a byte array needs no
    // alignment; volatile because the bytes may have been written through
    // pointers the compiler does not know about (an overflowing shadow
    // stack).
    unsafe { ptr::read_volatile(addr.cast::<[u8; CANARY_LEN]>()) == CANARY }
}
