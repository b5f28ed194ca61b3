//! The one error type of the crate.

use core::fmt;

#[cfg(feature = "heapless")]
use crate::task_id::TaskId;

/// Everything that can go wrong in `rewind-guest` without corrupting memory.
///
/// Two failures cannot be errors, because no guest code can run after them;
/// they are traps the host can identify instead:
///
/// * **save-stack overflow**: the unwind of a yielding coroutine needs more
///   save-stack space than its control block has. The instrumented module
///   stops *before* writing past the save stack: it sets
///   `__asyncify_state` to 3 and traps in `__asyncify_save_stack_overflow`
///   (a host calls the `asyncify_get_state` export after a trap: 3 means
///   this);
/// * **a shadow-stack overflow that reached the control block's header**
///   (the coroutine ran through its whole save stack area too): a panic
///   whose message starts with `rewind-guest: shadow stack overflow`.
///
/// A shadow-stack overflow that stayed inside the coroutine's own block is
/// an error, [`Error::ShadowStackOverflow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The memory given for a control block cannot hold it.
    MemoryTooSmall {
        /// Bytes needed (with the smallest shadow stack allowed).
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// The sizes in a [`Config`](crate::Config) are below the minimums or
    /// overflow the address space.
    InvalidConfig,
    /// The global allocator could not provide a control block.
    OutOfMemory,
    /// The coroutine has completed (or failed) and cannot be resumed.
    Finished,
    /// The coroutine is running: `resume` was called from inside it (or
    /// from a coroutine it is running).
    Running,
    /// The coroutine's shadow stack overflowed. Found when the coroutine
    /// yielded or completed; the damage stayed inside its own control block
    /// (the save-stack area, unused while a coroutine runs). The coroutine
    /// is dead: it cannot be resumed, and its block is not reused.
    ShadowStackOverflow,
    /// [`yield_to_host`](crate::yield_to_host) was called inside a
    /// coroutine. The unwind to the host cannot cross the coroutine's
    /// `resume`, which is the bottom of the coroutine's stack; yield to the
    /// host from the main context only.
    InsideCoroutine,
    /// The scheduler already holds its fixed number of tasks.
    #[cfg(feature = "heapless")]
    SchedulerFull {
        /// The scheduler's capacity.
        capacity: usize,
    },
    /// Every remaining task waits in `join` for another task that can never
    /// finish (a cycle of joins).
    #[cfg(feature = "heapless")]
    Deadlock {
        /// Number of blocked tasks.
        blocked: usize,
    },
    /// A scheduler task's shadow stack overflowed (see
    /// [`Error::ShadowStackOverflow`]); the task was removed.
    #[cfg(feature = "heapless")]
    TaskStackOverflow(TaskId),
    /// A task budget of 0 fuel: it could never run.
    #[cfg(feature = "fuel")]
    InvalidBudget,
    /// The task has finished (or never existed).
    #[cfg(feature = "fuel")]
    NoSuchTask(TaskId),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MemoryTooSmall { needed, available } => write!(
                f,
                "memory too small for a coroutine control block: {needed} bytes needed, {available} given"
            ),
            Error::InvalidConfig => f.write_str(
                "invalid coroutine configuration: stack sizes below the minimum or too large",
            ),
            Error::OutOfMemory => f.write_str("out of memory allocating a coroutine control block"),
            Error::Finished => f.write_str("the coroutine has finished and cannot be resumed"),
            Error::Running => f.write_str("the coroutine is already running"),
            Error::ShadowStackOverflow => f.write_str("the coroutine overflowed its shadow stack"),
            Error::InsideCoroutine => f.write_str(
                "yield_to_host called inside a coroutine; yield to the host from the main context only",
            ),
            #[cfg(feature = "heapless")]
            Error::SchedulerFull { capacity } => {
                write!(f, "the scheduler is full: it holds at most {capacity} tasks")
            }
            #[cfg(feature = "heapless")]
            Error::Deadlock { blocked } => write!(
                f,
                "deadlock: {blocked} tasks wait for each other in join and none can run"
            ),
            #[cfg(feature = "heapless")]
            Error::TaskStackOverflow(task) => {
                write!(f, "{task} overflowed its shadow stack and was removed")
            }
            #[cfg(feature = "fuel")]
            Error::InvalidBudget => f.write_str("a task budget must be at least 1 fuel"),
            #[cfg(feature = "fuel")]
            Error::NoSuchTask(task) => write!(f, "{task} has finished"),
        }
    }
}

impl core::error::Error for Error {}
