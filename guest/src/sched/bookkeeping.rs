//! The bookkeeping of a [`Scheduler`](super::Scheduler): which slot each
//! task occupies, the run queue, the clock, who sleeps and who waits for
//! whom, and a round of turns. It does not know what a task is, so it is
//! tested on the host.

use heapless::{Deque, Vec};

use super::task::{Request, TurnEnd, TurnReport};
use crate::error::Error;
use crate::task_id::TaskId;

/// What a task has used so far (feature `fuel`): see
/// [`Scheduler::stats`](super::Scheduler::stats).
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
/// logic, tested on the host): slots and generations, the run queue, the
/// clock, sleepers and joiners.
#[derive(Debug)]
pub(super) struct Bookkeeping<T, const N: usize> {
    entries: Vec<Entry<T>, N>,
    /// The ready tasks, in the order they run.
    pub(super) queue: Deque<u16, N>,
    /// The clock: rounds run so far (plus idle rounds skipped).
    pub(super) now: u64,
    /// Tasks not finished yet.
    pub(super) live: usize,
}

impl<T, const N: usize> Bookkeeping<T, N> {
    const CAPACITY_FITS: () = assert!(N <= u16::MAX as usize, "at most 65535 tasks");

    pub(super) const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CAPACITY_FITS;
        Bookkeeping {
            entries: Vec::new(),
            queue: Deque::new(),
            now: 0,
            live: 0,
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.live == N
    }

    fn id(&self, index: u16) -> TaskId {
        TaskId {
            index,
            generation: self.entries[usize::from(index)].generation,
        }
    }

    /// Adds a ready task at the back of the queue.
    pub(super) fn add(&mut self, task: T) -> Result<TaskId, Error> {
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

    pub(super) fn is_finished(&self, id: TaskId) -> bool {
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

    /// Runs one round: gives a turn, `run(task, id, now)`, to every task
    /// that is ready when the round begins, in queue order (a task that
    /// joined a finished task gets its turn again at once), then ends the
    /// round. Returns whether tasks remain.
    ///
    /// # Errors
    ///
    /// * [`Error::TaskStackOverflow`]: a turn failed; the task was removed
    ///   (its joiners are woken) and the round cut short;
    /// * [`Error::Deadlock`]: the remaining tasks wait for each other.
    pub(super) fn round(
        &mut self,
        mut run: impl FnMut(&mut T, TaskId, u64) -> TurnReport,
    ) -> Result<bool, Error> {
        for _ in 0..self.queue.len() {
            let Some(index) = self.queue.pop_front() else {
                break;
            };
            loop {
                let (id, now) = (self.id(index), self.now);
                let Some(task) = self.entries[usize::from(index)].task.as_mut() else {
                    break;
                };
                let report = run(task, id, now);
                #[cfg(feature = "fuel")]
                self.record(index, report.fuel_used);
                match report.end {
                    TurnEnd::Suspended(request) => {
                        if self.suspended(index, request) == Next::RunAgain {
                            continue;
                        }
                    }
                    TurnEnd::Returned => drop(self.finish(index)),
                    TurnEnd::Failed => {
                        drop(self.finish(index));
                        return Err(Error::TaskStackOverflow(id));
                    }
                }
                break;
            }
        }
        self.end_round()
    }

    /// Task `id`, if it has not finished.
    #[cfg(feature = "fuel")]
    pub(super) fn live(&self, id: TaskId) -> Option<&T> {
        if self.is_finished(id) {
            return None;
        }
        self.entries[id.index()].task.as_ref()
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
    pub(super) fn stats(&self, id: TaskId) -> Option<TaskStats> {
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

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec;
    use std::vec::Vec as StdVec;

    /// A bookkeeping of capacity 4 holding tasks `0..n`, and their ids.
    fn tasks(n: usize) -> (Bookkeeping<usize, 4>, StdVec<TaskId>) {
        let mut book = Bookkeeping::new();
        let ids = (0..n).map(|task| book.add(task).unwrap()).collect();
        (book, ids)
    }

    /// Runs rounds of `book` where each task follows a script of requests
    /// (`None` = return), recording `(round, task)` for every turn.
    fn simulate<const N: usize>(
        book: &mut Bookkeeping<usize, N>,
        scripts: &mut [StdVec<Option<Request>>],
        max_rounds: usize,
    ) -> Result<StdVec<(u64, usize)>, Error> {
        let mut log = StdVec::new();
        for _ in 0..max_rounds {
            let more = book.round(|&mut task, _, now| {
                log.push((now, task));
                let end = match scripts[task].remove(0) {
                    Some(request) => TurnEnd::Suspended(request),
                    None => TurnEnd::Returned,
                };
                TurnReport {
                    end,
                    // Every turn uses 10 fuel.
                    #[cfg(feature = "fuel")]
                    fuel_used: 10,
                }
            })?;
            if !more {
                return Ok(log);
            }
        }
        panic!("did not finish");
    }

    #[test]
    fn yields_alternate_round_robin() {
        let (mut book, _) = tasks(2);
        let mut scripts = vec![
            vec![Some(Request::Yield), Some(Request::Yield), None],
            vec![Some(Request::Yield), None],
        ];
        let log = simulate(&mut book, &mut scripts, 10).unwrap();
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]);
        assert_eq!(book.now, 3);
    }

    #[test]
    fn sleep_skips_rounds_and_idle_time() {
        let (mut book, _) = tasks(2);
        let mut scripts = vec![
            vec![Some(Request::Sleep(3)), None],
            vec![Some(Request::Sleep(1)), Some(Request::Yield), None],
        ];
        let log = simulate(&mut book, &mut scripts, 10).unwrap();
        // Task 0 sleeps in round 0 until round 3; task 1 runs in rounds 0,
        // 1, 2 and is done; round 3 runs task 0 only.
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 1), (2, 1), (3, 0)]);

        let (mut book, _) = tasks(1);
        let mut scripts = vec![vec![Some(Request::Sleep(100)), None]];
        let log = simulate(&mut book, &mut scripts, 10).unwrap();
        assert_eq!(log, vec![(0, 0), (100, 0)]);
    }

    #[test]
    fn join_waits_for_the_target_and_returns_at_once_when_done() {
        let (mut book, ids) = tasks(2);
        let a = ids[0];
        let join_a = Request::Join(a);
        let mut scripts = vec![
            vec![Some(Request::Yield), Some(Request::Yield), None],
            // joins a (waits), then joins a again (finished: no wait).
            vec![Some(join_a), Some(join_a), None],
        ];
        let log = simulate(&mut book, &mut scripts, 10).unwrap();
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 0), (2, 0), (3, 1), (3, 1)]);
        assert!(book.is_finished(a));
    }

    #[cfg(feature = "fuel")]
    #[test]
    fn preempted_tasks_are_queued_at_the_back_and_counted() {
        let (mut book, ids) = tasks(2);
        let (a, b) = (ids[0], ids[1]);
        let mut scripts = vec![
            vec![Some(Request::Preempt), Some(Request::Preempt), None],
            vec![Some(Request::Yield), None],
        ];
        let log = simulate(&mut book, &mut scripts, 10).unwrap();
        // A preemption reschedules like a yield: the two tasks alternate.
        assert_eq!(log, vec![(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]);
        let stats = |fuel_used, slices, preemptions| TaskStats {
            fuel_used,
            slices,
            preemptions,
        };
        // Both have finished; their stats stay until the slots are reused.
        assert_eq!(book.stats(a), Some(stats(30, 3, 2)));
        assert_eq!(book.stats(b), Some(stats(20, 2, 0)));
        let c = book.add(2).unwrap();
        assert_eq!(c.index(), a.index());
        assert_eq!(book.stats(a), None);
        assert_eq!(book.stats(c), Some(stats(0, 0, 0)));
        let never = TaskId {
            index: 3,
            generation: 0,
        };
        assert_eq!(book.stats(never), None);
    }

    #[cfg(feature = "fuel")]
    #[test]
    fn ids_are_not_reused() {
        let mut book: Bookkeeping<usize, 2> = Bookkeeping::new();
        let a = book.add(0).unwrap();
        book.queue.pop_front();
        book.finish(a.index);
        let b = book.add(1).unwrap();
        assert_eq!(a.index(), b.index());
        assert_ne!(a, b);
        assert!(book.is_finished(a));
        assert!(!book.is_finished(b));
    }

    #[test]
    fn full_scheduler_is_an_error() {
        let mut book: Bookkeeping<usize, 2> = Bookkeeping::new();
        book.add(0).unwrap();
        book.add(1).unwrap();
        assert_eq!(book.add(2), Err(Error::SchedulerFull { capacity: 2 }));
    }

    #[test]
    fn join_cycle_is_a_deadlock() {
        let (mut book, ids) = tasks(2);
        let (a, b) = (ids[0], ids[1]);
        let join = |t: TaskId| Some(Request::Join(t));
        let mut scripts = vec![vec![join(b)], vec![join(a)]];
        assert_eq!(
            simulate(&mut book, &mut scripts, 10),
            Err(Error::Deadlock { blocked: 2 })
        );
    }
}
