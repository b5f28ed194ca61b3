//! A small round-robin scheduler over coroutines: [`Scheduler`], with
//! [`yield_now`], [`sleep`] and [`join`] for the tasks.
//!
//! # Rounds and ticks
//!
//! The scheduler runs in **rounds**; its clock ([`now`]) counts them and one
//! round is one **tick**. A round resumes, in queue order, every task that
//! was ready when the round began; each runs until it suspends:
//!
//! * [`yield_now`] (and `sleep(0)`, `sleep(1)`): ready again, queued at the
//!   back at once, so it runs in the next round after the tasks queued
//!   before it;
//! * [`sleep(k)`](sleep), `k >= 2`: runs again in round `now + k`; tasks
//!   waking in the same round are queued, after the round that ends before
//!   it, in spawn-slot order;
//! * [`join(t)`](join): returns at once if `t` has finished; otherwise the
//!   task waits and is queued at the back when `t` finishes;
//! * returning from its closure: the task is finished and its slot (and
//!   control block) freed.
//!
//! When no task is ready but some sleep, the clock jumps to the earliest
//! wake-up: idle rounds are skipped. When no task is ready and none sleeps,
//! the rest wait in a cycle of joins: [`Error::Deadlock`].
//!
//! Capacity is fixed (`N` tasks); the run queue is a `heapless::Deque`, and
//! nothing is allocated per round, per switch or per sleep.
//!
//! # Budgets (feature `fuel`)
//!
//! In a module metered by `rewind fuel --fuel-handler rewind_out_of_fuel`,
//! a task spawned with `Scheduler::spawn_with_budget` (or given one with
//! `Scheduler::set_budget`) gets a fresh slice of fuel at every turn.
//! When the slice is spent the task is **preempted**: it is queued at the
//! back, exactly as if it had called [`yield_now`], and continues where it
//! stopped on its next turn. A task that never yields (an infinite loop)
//! therefore cannot starve the others. Tasks without a budget share the
//! scheduler's own fuel and are preempted when that runs out.
//! `Scheduler::stats` tells each task's fuel, turns and preemptions (see
//! the `fuel` module for the accounting).

mod bookkeeping;
mod task;

use core::fmt;
use core::marker::PhantomData;

use crate::config::Config;
use crate::error::Error;
use crate::raw_coroutine::RawCoroutine;
pub use crate::task_id::TaskId;
use bookkeeping::Bookkeeping;
#[cfg(feature = "fuel")]
pub use bookkeeping::TaskStats;
#[cfg(feature = "fuel")]
pub(crate) use task::preempt;
use task::task_trampoline;
pub use task::{current, join, now, sleep, yield_now};

/// A round-robin scheduler of at most `N` tasks (see the [module
/// docs](self) for the exact order).
///
/// ```no_run
/// use core::cell::Cell;
/// use rewind_guest::sched::{self, Scheduler};
///
/// let done = Cell::new(0);
/// let mut s: Scheduler<'_, 4> = Scheduler::new();
/// let a = s.spawn(|| {
///     sched::sleep(3);
///     done.set(done.get() + 1);
/// }).unwrap();
/// s.spawn(move || {
///     sched::join(a); // waits for `a`, which finishes in round 3
///     assert_eq!(sched::now(), 4);
/// }).unwrap();
/// s.run().unwrap();
/// ```
///
/// Tasks are spawned from outside the scheduler (before `run`, or between
/// [`step`](Scheduler::step)s). A task may borrow anything that outlives
/// `'a`. Dropping the scheduler drops its tasks (see [`Coroutine`]'s drop
/// semantics for suspended ones).
///
/// [`Coroutine`]: crate::Coroutine
pub struct Scheduler<'a, const N: usize> {
    book: Bookkeeping<RawCoroutine, N>,
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    config: Config,
    _marker: PhantomData<&'a ()>,
}

impl<'a, const N: usize> Scheduler<'a, N> {
    /// An empty scheduler whose tasks get [`Config::DEFAULT`] blocks.
    pub const fn new() -> Self {
        Self::with_config(Config::DEFAULT)
    }

    /// An empty scheduler whose tasks get blocks of the given sizes.
    pub const fn with_config(config: Config) -> Self {
        Scheduler {
            book: Bookkeeping::new(),
            config,
            _marker: PhantomData,
        }
    }

    /// Adds a task running `f`, in a block from the global allocator.
    ///
    /// # Errors
    ///
    /// [`Error::SchedulerFull`] (checked before anything is allocated),
    /// [`Error::InvalidConfig`], [`Error::OutOfMemory`].
    #[cfg(feature = "alloc")]
    pub fn spawn<F: FnOnce() + 'a>(&mut self, f: F) -> Result<TaskId, Error> {
        let config = self.config;
        self.spawn_raw(
            |payload| RawCoroutine::allocate(config, payload, task_trampoline::<F>),
            f,
        )
    }

    /// Adds a task running `f` with a budget of `slice` fuel per turn (see
    /// the [module docs](self)): [`spawn`](Scheduler::spawn), then
    /// [`set_budget`](Scheduler::set_budget).
    ///
    /// ```no_run
    /// use rewind_guest::sched::Scheduler;
    ///
    /// let mut s: Scheduler<'_, 2> = Scheduler::new();
    /// // Never yields, but gives way after every 10 000 units of fuel.
    /// let spinner = s.spawn_with_budget(|| loop {}, 10_000).unwrap();
    /// let worker = s.spawn_with_budget(|| { /* ... */ }, 10_000).unwrap();
    /// while !s.is_finished(worker) {
    ///     s.step().unwrap();
    /// }
    /// let stats = s.stats(spinner).unwrap();
    /// assert!(stats.preemptions > 0);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`spawn`](Scheduler::spawn) and
    /// [`set_budget`](Scheduler::set_budget) (a zero `slice` is refused
    /// before anything is allocated).
    #[cfg(all(feature = "alloc", feature = "fuel"))]
    pub fn spawn_with_budget<F: FnOnce() + 'a>(
        &mut self,
        f: F,
        slice: u64,
    ) -> Result<TaskId, Error> {
        budget(slice)?;
        let id = self.spawn(f)?;
        self.set_budget(id, slice)?;
        Ok(id)
    }

    /// Gives task `id` a budget of `slice` fuel per turn, from its next turn
    /// on; `slice` above `i64::MAX` counts as `i64::MAX`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBudget`] for a zero `slice`,
    /// [`Error::NoSuchTask`] when `id` has finished.
    #[cfg(feature = "fuel")]
    pub fn set_budget(&mut self, id: TaskId, slice: u64) -> Result<(), Error> {
        let budget = budget(slice)?;
        match self.book.live(id) {
            Some(co) => {
                co.header().fuel.set_budget(budget);
                Ok(())
            }
            None => Err(Error::NoSuchTask(id)),
        }
    }

    /// What task `id` has used so far: fuel, turns, preemptions. Also
    /// after it finished, until its slot is reused by a new task.
    #[cfg(feature = "fuel")]
    pub fn stats(&self, id: TaskId) -> Option<TaskStats> {
        self.book.stats(id)
    }

    /// Adds a task running `f`, in caller-provided memory (see
    /// [`Coroutine::in_memory`](crate::Coroutine::in_memory)).
    ///
    /// # Errors
    ///
    /// [`Error::SchedulerFull`], [`Error::MemoryTooSmall`],
    /// [`Error::InvalidConfig`].
    pub fn spawn_in<F: FnOnce() + 'a>(
        &mut self,
        memory: &'static mut [u8],
        save_stack: usize,
        f: F,
    ) -> Result<TaskId, Error> {
        self.spawn_raw(
            |payload| RawCoroutine::in_memory(memory, save_stack, payload, task_trampoline::<F>),
            f,
        )
    }

    fn spawn_raw<F: FnOnce() + 'a>(
        &mut self,
        make: impl FnOnce(Option<F>) -> Result<RawCoroutine, Error>,
        f: F,
    ) -> Result<TaskId, Error> {
        if self.book.is_full() {
            return Err(Error::SchedulerFull { capacity: N });
        }
        let co = make(Some(f))?;
        self.book.add(co)
    }

    /// Runs one round (see the [module docs](self)). Returns whether tasks
    /// remain.
    ///
    /// # Errors
    ///
    /// * [`Error::TaskStackOverflow`]: a task overflowed its shadow stack; it
    ///   was removed (its joiners are woken) and the round cut short;
    /// * [`Error::Deadlock`]: the remaining tasks wait for each other.
    pub fn step(&mut self) -> Result<bool, Error> {
        self.book.round(task::run_turn)
    }

    /// Runs rounds until every task has finished.
    ///
    /// # Errors
    ///
    /// As [`Scheduler::step`].
    pub fn run(&mut self) -> Result<(), Error> {
        while self.step()? {}
        Ok(())
    }

    /// Whether task `id` has finished (or never existed).
    pub fn is_finished(&self, id: TaskId) -> bool {
        self.book.is_finished(id)
    }

    /// Tasks not finished yet.
    pub fn len(&self) -> usize {
        self.book.live
    }

    /// Whether every task has finished.
    pub fn is_empty(&self) -> bool {
        self.book.live == 0
    }

    /// The most tasks it can hold at once.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The clock: rounds run so far (plus idle rounds skipped).
    pub fn now(&self) -> u64 {
        self.book.now
    }
}

impl<const N: usize> Default for Scheduler<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for Scheduler<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("capacity", &N)
            .field("tasks", &self.book.live)
            .field("now", &self.book.now)
            .field("queue", &self.book.queue)
            .finish()
    }
}

/// A budget as the fuel counter holds it.
#[cfg(feature = "fuel")]
fn budget(slice: u64) -> Result<i64, Error> {
    match slice {
        0 => Err(Error::InvalidBudget),
        _ => Ok(i64::try_from(slice).unwrap_or(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec;

    #[test]
    fn budgets_are_checked_and_need_a_live_task() {
        assert_eq!(budget(0), Err(Error::InvalidBudget));
        assert_eq!(budget(5000), Ok(5000));
        assert_eq!(budget(u64::MAX), Ok(i64::MAX));
        let mut s: Scheduler<'_, 2> = Scheduler::new();
        let id = s.spawn(|| {}).unwrap();
        assert_eq!(s.set_budget(id, 0), Err(Error::InvalidBudget));
        assert_eq!(s.set_budget(id, 100), Ok(()));
        assert_eq!(s.stats(id), Some(TaskStats::default()));
        let gone = TaskId {
            index: 1,
            generation: 0,
        };
        assert_eq!(s.set_budget(gone, 100), Err(Error::NoSuchTask(gone)));
        assert_eq!(s.spawn_with_budget(|| {}, 0), Err(Error::InvalidBudget));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn scheduler_full_is_checked_before_allocating() {
        let mut s: Scheduler<'_, 1> = Scheduler::new();
        let mem = std::boxed::Box::leak(vec![0u8; 4096].into_boxed_slice());
        s.spawn_in(mem, 256, || {}).unwrap();
        let mem = std::boxed::Box::leak(vec![0u8; 4096].into_boxed_slice());
        assert_eq!(
            s.spawn_in(mem, 256, || {}),
            Err(Error::SchedulerFull { capacity: 1 })
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s.capacity(), 1);
    }
}
