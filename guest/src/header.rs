//! The header of a control block: the Asyncify data structure and what a
//! coroutine and its resumer share while it lives (its status, saved stack
//! pointer, entry function, payload and fuel account).
//!
//! Where the block's parts are is not in the header but in its
//! [`Block`](crate::block::Block), outside the block.

use core::cell::Cell;

#[cfg(feature = "fuel")]
use crate::fuel_account::Account;
use crate::status::{Status, StatusCell};

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

/// The fixed part at the start of a control block. All mutable fields are
/// `Cell`s: the header is shared between the handle and the running
/// coroutine.
///
/// `repr(C)` because Asyncify reads and writes its first two fields: the
/// header's address is the address of the data structure
/// `{stack_pos, stack_end}` passed to `start_unwind`/`start_rewind`.
#[repr(C)]
pub(crate) struct Header {
    /// Asyncify's `stack_pos`; must come first.
    pub stack_pos: Cell<usize>,
    /// Asyncify's `stack_end`; must come second.
    pub stack_end: Cell<usize>,
    /// Life cycle.
    pub status: StatusCell,
    /// Non-zero when a yield found the shadow stack overflowed (a byte, not
    /// a `bool`, for the same reason as `StatusCell`).
    pub overflowed: Cell<u8>,
    /// `__stack_pointer` when the coroutine last unwound.
    pub saved_sp: Cell<usize>,
    /// Largest save-stack use seen.
    pub save_used: Cell<usize>,
    /// Entry function.
    pub entry: Entry,
    /// The payload (typed slots and closure).
    pub payload: *mut u8,
    /// Its fuel budget and what it used (see `fuel_account`).
    #[cfg(feature = "fuel")]
    pub fuel: Account,
}

impl Header {
    /// The header of a new coroutine whose save stack is
    /// `save_start..save_end`, whose shadow stack starts at `stack_top`, and
    /// which runs `entry` on `payload`.
    pub(crate) fn new(
        save_start: usize,
        save_end: usize,
        stack_top: usize,
        entry: Entry,
        payload: *mut u8,
    ) -> Self {
        Header {
            stack_pos: Cell::new(save_start),
            stack_end: Cell::new(save_end),
            status: StatusCell::new(Status::New),
            overflowed: Cell::new(0),
            saved_sp: Cell::new(stack_top),
            save_used: Cell::new(0),
            entry,
            payload,
            #[cfg(feature = "fuel")]
            fuel: Account::new(),
        }
    }
}
