//! The task side of the scheduler: what a task's code calls
//! ([`yield_now`], [`sleep`], [`join`], [`now`], [`current`]), the
//! [`Turn`] through which it reaches the scheduler, and its entry function.

use core::cell::Cell;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering::Relaxed};

use crate::header::Header;
use crate::raw_coroutine::{Outcome, RawCoroutine};
use crate::runtime;
use crate::task_id::TaskId;

/// What a task asked for when it suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    /// Run again in the next round.
    Yield,
    /// Run again after this many ticks.
    Sleep(u64),
    /// Run again when this task has finished.
    Join(TaskId),
    /// Ran out of fuel (the out-of-fuel handler suspended it): run again
    /// in the next round, like `Yield`.
    #[cfg(feature = "fuel")]
    Preempt,
}

/// How a task's turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TurnEnd {
    /// It suspended, asking for this.
    Suspended(Request),
    /// It returned from its closure.
    Returned,
    /// It overflowed its shadow stack.
    Failed,
}

/// A turn, as the scheduler's bookkeeping records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TurnReport {
    /// How it ended.
    pub(super) end: TurnEnd,
    /// Fuel the task's code used.
    #[cfg(feature = "fuel")]
    pub(super) fuel_used: u64,
}

/// A task's turn as the task sees it: set up by [`run_turn`] in its own
/// frame for one resume of the task, and found by the task's code through
/// [`TURN`].
struct Turn {
    /// The task's coroutine. Code running in a coroutine that the task
    /// resumed is not the task: it has no turn.
    task: *const Header,
    /// The task's id.
    id: TaskId,
    /// The scheduler's clock.
    now: u64,
    /// What the task asks for when it suspends.
    request: Cell<Request>,
}

/// The turn of the task that the innermost running [`run_turn`] resumed;
/// null when none is running.
static TURN: AtomicPtr<Turn> = AtomicPtr::new(ptr::null_mut());

/// Resumes task `id` (its coroutine `co`) for one turn at time `now`.
pub(super) fn run_turn(co: &mut RawCoroutine, id: TaskId, now: u64) -> TurnReport {
    let turn = Turn {
        task: co.header(),
        id,
        now,
        request: Cell::new(Request::Yield),
    };
    let outer = TURN.load(Relaxed);
    TURN.store(ptr::from_ref(&turn).cast_mut(), Relaxed);
    let outcome = co.resume();
    TURN.store(outer, Relaxed);
    TurnReport {
        end: match outcome {
            Ok(Outcome::Yielded) => TurnEnd::Suspended(turn.request.get()),
            Ok(Outcome::Completed) => TurnEnd::Returned,
            Err(_) => TurnEnd::Failed,
        },
        #[cfg(feature = "fuel")]
        fuel_used: co.header().fuel.used(),
    }
}

/// `f` applied to the running task's turn; `None` when the running
/// coroutine is not a scheduler task (or no coroutine runs). The turn is
/// lent for the call only: it ends with the task's suspension.
fn with_turn<R>(f: impl FnOnce(&Turn) -> R) -> Option<R> {
    // SAFETY: a non-null `TURN` points to the turn in the frame of a
    // `run_turn` that has not returned (it puts the outer turn back before
    // it returns), so the turn is alive for as long as this call, which
    // runs inside that `run_turn`.
    let turn = unsafe { TURN.load(Relaxed).as_ref() }?;
    ptr::eq(turn.task, runtime::current()).then(|| f(turn))
}

#[cold]
#[inline(never)]
fn not_in_task() -> ! {
    panic!("rewind-guest: sched::yield_now/sleep/join/now called outside a scheduler task")
}

/// Suspends the running task, asking for `request`. Returns `false`, having
/// done nothing, when the running coroutine is not a scheduler task.
fn try_suspend_task(request: Request) -> bool {
    if with_turn(|turn| turn.request.set(request)).is_none() {
        return false;
    }
    // SAFETY: the running coroutine is a task (checked just above), and
    // this function is instrumented (it can suspend).
    unsafe { runtime::suspend() };
    true
}

/// [`try_suspend_task`], for the task functions.
///
/// # Panics
///
/// Outside a scheduler task.
fn suspend_task(request: Request) {
    if !try_suspend_task(request) {
        not_in_task()
    }
}

/// Preempts the running task: what the out-of-fuel handler does inside a
/// scheduler task. Inside any other coroutine it does nothing.
#[cfg(feature = "fuel")]
pub(crate) fn preempt() {
    try_suspend_task(Request::Preempt);
}

/// Lets the other ready tasks run; this one runs again in the next round.
///
/// # Panics
///
/// Outside a scheduler task.
pub fn yield_now() {
    suspend_task(Request::Yield);
}

/// Suspends the running task for `ticks` rounds: it runs again in round
/// `now() + ticks` (`sleep(0)` and `sleep(1)` are [`yield_now`]).
///
/// # Panics
///
/// Outside a scheduler task.
pub fn sleep(ticks: u64) {
    suspend_task(Request::Sleep(ticks));
}

/// Waits until task `task` has finished (returns at once if it has).
///
/// # Panics
///
/// Outside a scheduler task.
pub fn join(task: TaskId) {
    suspend_task(Request::Join(task));
}

/// The scheduler's clock, as seen by the running task.
///
/// # Panics
///
/// Outside a scheduler task.
pub fn now() -> u64 {
    with_turn(|turn| turn.now).unwrap_or_else(|| not_in_task())
}

/// The running task's id; `None` outside a scheduler task.
pub fn current() -> Option<TaskId> {
    with_turn(|turn| turn.id)
}

/// The entry function of a task with closure `F`.
///
/// # Safety
///
/// `h` must be the header of a block whose payload is an `Option<F>`,
/// called by `resume_raw` for the task's first run (the closure present) or
/// to rewind its suspension.
pub(super) unsafe extern "C" fn task_trampoline<F: FnOnce()>(
    h: *const Header,
    _tag: u64,
    _zero: f64,
) -> f64 {
    // SAFETY: per the contract.
    let closure = unsafe { (*h).payload.cast::<Option<F>>() };
    // SAFETY: valid payload, only touched by this task now.
    let f = unsafe { (*closure).take() };
    match f {
        Some(f) => f(),
        None => unreachable!("rewind-guest: task started twice"),
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_task_there_is_no_current_task() {
        assert_eq!(current(), None);
        assert!(!try_suspend_task(Request::Yield));
    }
}
