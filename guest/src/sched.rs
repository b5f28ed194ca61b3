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

use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering::Relaxed};

use heapless::{Deque, Vec};

use crate::config::Config;
use crate::error::Error;
use crate::header::Header;
use crate::raw_coroutine::{Outcome, RawCoroutine};
use crate::runtime;
pub use crate::task_id::TaskId;

/// What a task has used so far (feature `fuel`): see
/// [`Scheduler::stats`].
#[cfg(feature = "fuel")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskStats {
    /// Fuel its code used, over all its turns (an overdraw counts).
    pub fuel_used: u64,
    /// Turns it ran: times it was resumed.
    pub slices: u64,
    /// Turns that ended because its budget (or the scheduler's fuel) ran
    /// out.
    pub preemptions: u64,
}

/// What a task asked for when it suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
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

/// A task's scheduling state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Ready,
    Sleeping(u64),
    Joining(TaskId),
}

#[derive(Debug)]
struct Entry<T> {
    generation: u16,
    state: State,
    task: Option<T>,
    /// Kept after the task finishes, until the slot is reused.
    #[cfg(feature = "fuel")]
    stats: TaskStats,
}

/// What to do with a task that just suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Resume it again at once (it joined a finished task).
    RunAgain,
    /// It is queued or waiting.
    Parked,
}

/// The bookkeeping of a scheduler, independent of what a task is (pure
/// logic, tested on the host).
#[derive(Debug)]
struct Core<T, const N: usize> {
    entries: Vec<Entry<T>, N>,
    queue: Deque<u16, N>,
    now: u64,
    live: usize,
}

impl<T, const N: usize> Core<T, N> {
    const CAPACITY_FITS: () = assert!(N <= u16::MAX as usize, "at most 65535 tasks");

    const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_FITS;
        Core {
            entries: Vec::new(),
            queue: Deque::new(),
            now: 0,
            live: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.live == N
    }

    fn id(&self, index: u16) -> TaskId {
        TaskId {
            index,
            generation: self.entries[usize::from(index)].generation,
        }
    }

    /// Adds a ready task at the back of the queue.
    fn add(&mut self, task: T) -> Result<TaskId, Error> {
        if self.is_full() {
            return Err(Error::SchedulerFull { capacity: N });
        }
        let index = match self.entries.iter().position(|e| e.state == State::Free) {
            Some(i) => i,
            None => {
                let fresh = Entry {
                    generation: 0,
                    state: State::Free,
                    task: None,
                    #[cfg(feature = "fuel")]
                    stats: TaskStats::default(),
                };
                if self.entries.push(fresh).is_err() {
                    return Err(Error::SchedulerFull { capacity: N });
                }
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[index];
        entry.task = Some(task);
        #[cfg(feature = "fuel")]
        {
            entry.stats = TaskStats::default();
        }
        self.live += 1;
        let index = index as u16;
        self.make_ready(index);
        Ok(self.id(index))
    }

    /// Makes task `index` ready and queues it at the back.
    fn make_ready(&mut self, index: u16) {
        self.entries[usize::from(index)].state = State::Ready;
        // Never full: every live task is queued at most once, and there are
        // at most N.
        let pushed = self.queue.push_back(index);
        debug_assert!(pushed.is_ok());
    }

    fn is_finished(&self, id: TaskId) -> bool {
        match self.entries.get(id.index()) {
            Some(e) => e.generation != id.generation || e.state == State::Free,
            None => id.index() >= N || id.generation == 0,
        }
    }

    /// Records what a suspended task asked for.
    fn suspended(&mut self, index: u16, request: Request) -> Next {
        let i = usize::from(index);
        match request {
            Request::Yield | Request::Sleep(0..=1) => self.make_ready(index),
            #[cfg(feature = "fuel")]
            Request::Preempt => {
                self.entries[i].stats.preemptions += 1;
                self.make_ready(index);
            }
            Request::Sleep(ticks) => {
                self.entries[i].state = State::Sleeping(self.now.saturating_add(ticks));
            }
            Request::Join(target) => {
                if self.is_finished(target) {
                    return Next::RunAgain;
                }
                self.entries[i].state = State::Joining(target);
            }
        }
        Next::Parked
    }

    /// Frees a finished task's slot, wakes its joiners, and hands the task
    /// back (to be dropped).
    fn finish(&mut self, index: u16) -> Option<T> {
        let id = self.id(index);
        let entry = &mut self.entries[usize::from(index)];
        entry.state = State::Free;
        entry.generation = entry.generation.wrapping_add(1);
        let task = entry.task.take();
        self.live -= 1;
        for j in 0..self.entries.len() {
            if self.entries[j].state == State::Joining(id) {
                self.make_ready(j as u16);
            }
        }
        task
    }

    /// Counts a turn of task `index` that used `fuel`.
    #[cfg(feature = "fuel")]
    fn record(&mut self, index: u16, fuel: u64) {
        let stats = &mut self.entries[usize::from(index)].stats;
        stats.slices += 1;
        stats.fuel_used = stats.fuel_used.saturating_add(fuel);
    }

    /// The stats of a live task, or of a finished one whose slot has not
    /// been reused.
    #[cfg(feature = "fuel")]
    fn stats(&self, id: TaskId) -> Option<TaskStats> {
        let e = self.entries.get(id.index())?;
        let finished_here = e.state == State::Free && e.generation == id.generation.wrapping_add(1);
        let live_here = e.generation == id.generation && e.state != State::Free;
        (live_here || finished_here).then_some(e.stats)
    }

    fn wake_sleepers(&mut self) {
        for j in 0..self.entries.len() {
            if let State::Sleeping(until) = self.entries[j].state
                && until <= self.now
            {
                self.make_ready(j as u16);
            }
        }
    }

    /// Ends a round: advances the clock, wakes sleepers, skips idle time.
    /// Returns whether tasks remain.
    fn end_round(&mut self) -> Result<bool, Error> {
        self.now += 1;
        self.wake_sleepers();
        if self.live == 0 {
            return Ok(false);
        }
        if self.queue.is_empty() {
            let next_wake = self
                .entries
                .iter()
                .filter_map(|e| match e.state {
                    State::Sleeping(until) => Some(until),
                    _ => None,
                })
                .min();
            match next_wake {
                Some(t) => {
                    self.now = t;
                    self.wake_sleepers();
                }
                None => return Err(Error::Deadlock { blocked: self.live }),
            }
        }
        Ok(true)
    }
}

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
    core: Core<RawCoroutine, N>,
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    config: Config,
    _marker: PhantomData<&'a ()>,
}

/// The payload of a task's block.
struct TaskPayload<F> {
    closure: Option<F>,
}

/// The entry function of a task with closure `F`.
///
/// # Safety
///
/// `h` must be the header of a block whose payload is a `TaskPayload<F>`
/// holding the closure.
unsafe extern "C" fn task_trampoline<F: FnOnce()>(h: *const Header, _tag: u64, _zero: f64) -> f64 {
    // SAFETY: per the contract.
    let payload = unsafe { (*h).payload.cast::<TaskPayload<F>>() };
    // SAFETY: valid payload, only touched by this task now.
    let f = unsafe { (*payload).closure.take() };
    match f {
        Some(f) => f(),
        None => unreachable!("rewind-guest: task started twice"),
    }
    0.0
}

impl<'a, const N: usize> Scheduler<'a, N> {
    /// An empty scheduler whose tasks get [`Config::DEFAULT`] blocks.
    pub const fn new() -> Self {
        Self::with_config(Config::DEFAULT)
    }

    /// An empty scheduler whose tasks get blocks of the given sizes.
    pub const fn with_config(config: Config) -> Self {
        Scheduler {
            core: Core::new(),
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
        match self.live(id) {
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
        self.core.stats(id)
    }

    /// Task `id`'s coroutine, if it has not finished.
    #[cfg(feature = "fuel")]
    fn live(&self, id: TaskId) -> Option<&RawCoroutine> {
        if self.core.is_finished(id) {
            return None;
        }
        self.core.entries[id.index()].task.as_ref()
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
        make: impl FnOnce(TaskPayload<F>) -> Result<RawCoroutine, Error>,
        f: F,
    ) -> Result<TaskId, Error> {
        if self.core.is_full() {
            return Err(Error::SchedulerFull { capacity: N });
        }
        let co = make(TaskPayload { closure: Some(f) })?;
        self.core.add(co)
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
        let round = self.core.queue.len();
        for _ in 0..round {
            let Some(index) = self.core.queue.pop_front() else {
                break;
            };
            loop {
                let (id, now) = (self.core.id(index), self.core.now);
                let Some(co) = self.core.entries[usize::from(index)].task.as_mut() else {
                    break;
                };
                let (outcome, request) = run_turn(co, id, now);
                #[cfg(feature = "fuel")]
                {
                    let used = co.header().fuel.used();
                    self.core.record(index, used);
                }
                match outcome {
                    Ok(Outcome::Yielded) => {
                        if self.core.suspended(index, request) == Next::RunAgain {
                            continue;
                        }
                    }
                    Ok(Outcome::Completed) => drop(self.core.finish(index)),
                    Err(_) => {
                        drop(self.core.finish(index));
                        return Err(Error::TaskStackOverflow(id));
                    }
                }
                break;
            }
        }
        self.core.end_round()
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
        self.core.is_finished(id)
    }

    /// Tasks not finished yet.
    pub fn len(&self) -> usize {
        self.core.live
    }

    /// Whether every task has finished.
    pub fn is_empty(&self) -> bool {
        self.core.live == 0
    }

    /// The most tasks it can hold at once.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The clock: rounds run so far (plus idle rounds skipped).
    pub fn now(&self) -> u64 {
        self.core.now
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
            .field("tasks", &self.core.live)
            .field("now", &self.core.now)
            .field("queue", &self.core.queue)
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

/// Resumes task `id` (its coroutine `co`) for one turn at time `now`:
/// returns how the turn ended and what the task asked for.
fn run_turn(co: &mut RawCoroutine, id: TaskId, now: u64) -> (Result<Outcome, Error>, Request) {
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
    (outcome, turn.request.get())
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

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec;
    use std::vec::Vec as StdVec;

    /// Runs rounds of `core` where each task follows a script of requests
    /// (`None` = return), recording `(round, task)` for every resume.
    fn simulate<const N: usize>(
        core: &mut Core<usize, N>,
        scripts: &mut [StdVec<Option<Request>>],
        max_rounds: usize,
    ) -> Result<StdVec<(u64, usize)>, Error> {
        let mut log = StdVec::new();
        for _ in 0..max_rounds {
            let round = core.queue.len();
            for _ in 0..round {
                let index = core.queue.pop_front().unwrap();
                loop {
                    let task = core.entries[usize::from(index)].task.unwrap();
                    log.push((core.now, task));
                    // Every turn uses 10 fuel.
                    #[cfg(feature = "fuel")]
                    core.record(index, 10);
                    match scripts[task].remove(0) {
                        Some(r) => {
                            if core.suspended(index, r) == Next::RunAgain {
                                continue;
                            }
                        }
                        None => {
                            core.finish(index);
                        }
                    }
                    break;
                }
            }
            if !core.end_round()? {
                return Ok(log);
            }
        }
        panic!("did not finish");
    }

    #[test]
    fn yields_alternate_round_robin() {
        let mut core: Core<usize, 4> = Core::new();
        core.add(0).unwrap();
        core.add(1).unwrap();
        let mut scripts = vec![
            vec![Some(Request::Yield), Some(Request::Yield), None],
            vec![Some(Request::Yield), None],
        ];
        let log = simulate(&mut core, &mut scripts, 10).unwrap();
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]);
        assert_eq!(core.now, 3);
    }

    #[test]
    fn sleep_skips_rounds_and_idle_time() {
        let mut core: Core<usize, 4> = Core::new();
        core.add(0).unwrap();
        core.add(1).unwrap();
        let mut scripts = vec![
            vec![Some(Request::Sleep(3)), None],
            vec![Some(Request::Sleep(1)), Some(Request::Yield), None],
        ];
        let log = simulate(&mut core, &mut scripts, 10).unwrap();
        // Task 0 sleeps in round 0 until round 3; task 1 runs in rounds 0,
        // 1, 2 and is done; round 3 runs task 0 only.
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 1), (2, 1), (3, 0)]);

        let mut core: Core<usize, 4> = Core::new();
        core.add(0).unwrap();
        let mut scripts = vec![vec![Some(Request::Sleep(100)), None]];
        let log = simulate(&mut core, &mut scripts, 10).unwrap();
        assert_eq!(log, vec![(0, 0), (100, 0)]);
    }

    #[test]
    fn join_waits_for_the_target_and_returns_at_once_when_done() {
        let mut core: Core<usize, 4> = Core::new();
        let a = core.add(0).unwrap();
        core.add(1).unwrap();
        let join_a = Request::Join(a);
        let mut scripts = vec![
            vec![Some(Request::Yield), Some(Request::Yield), None],
            // joins a (waits), then joins a again (finished: no wait).
            vec![Some(join_a), Some(join_a), None],
        ];
        let log = simulate(&mut core, &mut scripts, 10).unwrap();
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 0), (2, 0), (3, 1), (3, 1)]);
        assert!(core.is_finished(a));
    }

    #[cfg(feature = "fuel")]
    #[test]
    fn preempted_tasks_are_queued_at_the_back_and_counted() {
        let mut core: Core<usize, 4> = Core::new();
        let a = core.add(0).unwrap();
        let b = core.add(1).unwrap();
        let mut scripts = vec![
            vec![Some(Request::Preempt), Some(Request::Preempt), None],
            vec![Some(Request::Yield), None],
        ];
        let log = simulate(&mut core, &mut scripts, 10).unwrap();
        // A preemption reschedules like a yield: the two tasks alternate.
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]);
        let stats = |fuel_used, slices, preemptions| TaskStats {
            fuel_used,
            slices,
            preemptions,
        };
        // Both have finished; their stats stay until the slots are reused.
        assert_eq!(core.stats(a), Some(stats(30, 3, 2)));
        assert_eq!(core.stats(b), Some(stats(20, 2, 0)));
        let c = core.add(2).unwrap();
        assert_eq!(c.index(), a.index());
        assert_eq!(core.stats(a), None);
        assert_eq!(core.stats(c), Some(stats(0, 0, 0)));
        let never = TaskId {
            index: 3,
            generation: 0,
        };
        assert_eq!(core.stats(never), None);
    }

    #[cfg(feature = "fuel")]
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
    fn ids_are_not_reused() {
        let mut core: Core<usize, 2> = Core::new();
        let a = core.add(0).unwrap();
        core.queue.pop_front();
        core.finish(a.index);
        let b = core.add(1).unwrap();
        assert_eq!(a.index(), b.index());
        assert_ne!(a, b);
        assert!(core.is_finished(a));
        assert!(!core.is_finished(b));
    }

    #[test]
    fn full_scheduler_is_an_error() {
        let mut core: Core<usize, 2> = Core::new();
        core.add(0).unwrap();
        core.add(1).unwrap();
        assert_eq!(core.add(2), Err(Error::SchedulerFull { capacity: 2 }));
    }

    #[test]
    fn join_cycle_is_a_deadlock() {
        let mut core: Core<usize, 4> = Core::new();
        let a = core.add(0).unwrap();
        let b = core.add(1).unwrap();
        let join = |t: TaskId| Some(Request::Join(t));
        let mut scripts = vec![vec![join(b)], vec![join(a)]];
        assert_eq!(
            simulate(&mut core, &mut scripts, 10),
            Err(Error::Deadlock { blocked: 2 })
        );
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

    #[test]
    fn outside_a_task_there_is_no_current_task() {
        assert_eq!(current(), None);
        assert!(!try_suspend_task(Request::Yield));
    }
}
