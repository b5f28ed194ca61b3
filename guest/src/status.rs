//! Where a coroutine is in its life: [`Status`], and [`StatusCell`], which
//! keeps it in a header that an overflow may have damaged.

use core::cell::Cell;

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
    pub(crate) fn new(status: Status) -> Self {
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
