//! Fuel in a module metered by `rewind fuel` (feature `fuel`): the counter
//! ([`remaining`], [`set`]), per-task budgets for the
//! [`Scheduler`](crate::sched::Scheduler), and the out-of-fuel handler
//! [`rewind_out_of_fuel`].
//!
//! # Building
//!
//! Meter and instrument the linked module in one step, naming the handler
//! and the host's import:
//!
//! ```text
//! rewind fuel app.wasm -o app.fuel.wasm --fuel-handler rewind_out_of_fuel --imports rewind.out_of_fuel
//! ```
//!
//! The metering resolves `rewind.get_fuel` and `rewind.set_fuel` to reads
//! and writes of its counter `__rewind_fuel`; `rewind.out_of_fuel` stays
//! for the host (`rewind-host` defines it as a yield by itself).
//!
//! # The handler
//!
//! Metered code calls [`rewind_out_of_fuel`] when the counter is negative
//! at a check (a loop head, or the entry of a function that may recurse).
//! What it does depends on what is running:
//!
//! * **a scheduler task**: it is *preempted*: it suspends, the scheduler
//!   queues it at the back (as [`yield_now`](crate::sched::yield_now)
//!   does) and counts a preemption in its
//!   [`TaskStats`](crate::sched::TaskStats);
//! * **the main context** (no coroutine running): it calls the import
//!   `rewind.out_of_fuel`, so the host's budget works as it does without
//!   rewind-guest (`rewind-host`: `Instance::call_with_fuel`);
//! * **a plain [`Coroutine`](crate::Coroutine) or
//!   [`Generator`](crate::Generator)**: nothing. Only its own `yield_` can
//!   suspend it, so it runs on (overdrawing) until it yields or returns;
//!   the overdraw is charged to its resumer, whose next check acts.
//!
//! # One counter per context
//!
//! Like `__stack_pointer`, the counter is switched with the running
//! coroutine, at every `resume`:
//!
//! * a **budgeted task** (slice `B`, see
//!   [`Scheduler::spawn_with_budget`](crate::sched::Scheduler::spawn_with_budget))
//!   starts each turn with the counter at `B`, whatever its last turn
//!   left; when the turn ends (it was preempted, yielded or returned) it
//!   has used `B - left` (an overdraw counts), and that is subtracted from
//!   its resumer's counter. A host budget therefore covers everything the
//!   guest runs, and a task's fuel is exactly that of its own code;
//! * **any other coroutine** starts with its resumer's counter and hands
//!   back what it left: it shares its resumer's budget. An unbudgeted task
//!   is preempted when that budget is spent; the scheduler's next check
//!   then forwards to the host.
//!
//! The switches themselves are (nearly) free: from the `resume` call until
//! the coroutine's code runs, including the whole rewind, and from its
//! suspension back to the resumer, the counter holds `i64::MAX`. So no
//! check fires inside the runtime's stack-switching functions, which must
//! not suspend, and their code is charged to nobody (except a few
//! instructions on a coroutine's very first turn). The fuel a task uses is
//! the same on every run and for every way the host slices its budget.
//!
//! Limits: the host's budget does not interrupt a budgeted task's turn (a
//! host slice may overdraw by up to one task slice), and metering is not a
//! sandbox: code in the module can call [`set`].

use core::cell::Cell;

use crate::block::{Header, Request};
use crate::runtime;
use crate::sys;

/// What the counter holds while the runtime switches stacks: never
/// negative, so no check fires there.
const PARKED: i64 = i64::MAX;

/// The fuel left in the running context's counter (`__rewind_fuel`);
/// negative when it is overdrawn.
///
/// # Panics
///
/// Outside wasm (the crate's host build).
#[inline(always)]
pub fn remaining() -> i64 {
    // SAFETY: reading the counter has no preconditions.
    unsafe { sys::get_fuel() }
}

/// Sets the running context's counter: inside a budgeted task, the rest of
/// its current turn.
///
/// # Panics
///
/// Outside wasm (the crate's host build).
#[inline(always)]
pub fn set(fuel: i64) {
    // SAFETY: writing the counter has no preconditions.
    unsafe { sys::set_fuel(fuel) }
}

/// The out-of-fuel handler: name it with `rewind fuel --fuel-handler
/// rewind_out_of_fuel` (see the [module docs](self) for what it does).
/// Metered code calls it; nothing else should.
#[unsafe(no_mangle)]
pub extern "C" fn rewind_out_of_fuel() {
    // The handler is not metered, but what it calls is, and the counter is
    // negative: until `suspend` parks it, nothing here may reach a check
    // (`current` and `action` have none; the fuel accessors are inlined).
    // SAFETY: a non-null current header is the running coroutine's, alive
    // during this call.
    let current = unsafe { runtime::current().as_ref() };
    match action(current) {
        // SAFETY: the host implements the import as a suspension of the
        // main context, which is what is running.
        Action::Forward => unsafe { sys::out_of_fuel() },
        Action::Preempt(task) => {
            task.request.set(Request::Preempt);
            // SAFETY: we are in a task, i.e. a coroutine; this function is
            // instrumented (it can suspend).
            unsafe { runtime::suspend() };
        }
        Action::Continue => {}
    }
}

/// What the handler does.
enum Action<'a> {
    /// Call the host's `rewind.out_of_fuel`.
    Forward,
    /// Preempt this scheduler task.
    Preempt(&'a Header),
    /// Nothing: run on.
    Continue,
}

/// The handler's choice for the running coroutine (`None`: the main
/// context).
fn action(current: Option<&Header>) -> Action<'_> {
    match current {
        None => Action::Forward,
        Some(h) if h.is_task != 0 => Action::Preempt(h),
        Some(_) => Action::Continue,
    }
}

/// The fuel side of a control block: its budget and the accounting of its
/// current turn. Used in this order by the runtime: `park` (resumer),
/// `enter` / `leave` (around the coroutine's code, or `stash` before it
/// suspends), `settle` (resumer).
#[derive(Debug)]
pub(crate) struct Account {
    /// The counter each turn starts with; 0: no budget (shares the
    /// resumer's counter).
    budget: Cell<i64>,
    /// The counter the current turn started with.
    start: Cell<i64>,
    /// The counter when the coroutine suspended, kept before the switch.
    stashed: Cell<Option<i64>>,
    /// Fuel used by the last turn.
    used: Cell<u64>,
}

impl Account {
    pub(crate) const fn new() -> Self {
        Account {
            budget: Cell::new(0),
            start: Cell::new(0),
            stashed: Cell::new(None),
            used: Cell::new(0),
        }
    }

    /// Gives the coroutine `budget` fresh fuel per turn (`0`: none).
    pub(crate) fn set_budget(&self, budget: i64) {
        self.budget.set(budget.max(0));
    }

    /// Before the switch into the coroutine: parks the counter and
    /// returns the resumer's.
    #[inline(always)]
    pub(crate) fn park(&self) -> i64 {
        let outer = remaining();
        self.start.set(turn_start(self.budget.get(), outer));
        self.stashed.set(None);
        set(PARKED);
        outer
    }

    /// When the coroutine's code starts or continues (the end of a rewind):
    /// its counter. Before that point a rewind passes uninstrumented runtime
    /// code, which must not see a negative counter.
    #[inline(always)]
    pub(crate) fn enter(&self) {
        set(self.start.get());
    }

    /// At a suspension, before the switch: keeps what the coroutine left
    /// and parks the counter.
    #[inline(always)]
    pub(crate) fn stash(&self) {
        self.stashed.set(Some(remaining()));
        set(PARKED);
    }

    /// Right after the coroutine's code returned to the runtime (it
    /// suspended or completed): computes what the turn used and parks the
    /// counter.
    #[inline(always)]
    pub(crate) fn leave(&self) {
        let left = match self.stashed.take() {
            Some(left) => left,
            None => remaining(),
        };
        self.used.set(turn_used(self.start.get(), left));
        set(PARKED);
    }

    /// Back in the resumer: its counter `outer`, less what the turn used.
    #[inline(always)]
    pub(crate) fn settle(&self, outer: i64) {
        set(charge(outer, self.used.get()));
    }

    /// Fuel used by the last turn.
    pub(crate) fn used(&self) -> u64 {
        self.used.get()
    }
}

/// The counter a turn starts with: the budget, or (none) the resumer's.
fn turn_start(budget: i64, outer: i64) -> i64 {
    if budget > 0 { budget } else { outer }
}

/// Fuel used by a turn that started at `start` and left `left`. An
/// overdraw counts; a counter raised with [`set`] counts as nothing used.
fn turn_used(start: i64, left: i64) -> u64 {
    u64::try_from(start.saturating_sub(left)).unwrap_or(0)
}

/// The resumer's counter `outer` after a turn that used `used`.
fn charge(outer: i64, used: u64) -> i64 {
    outer.saturating_sub(i64::try_from(used).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::block::RawCoroutine;
    use std::boxed::Box;
    use std::vec;

    unsafe extern "C" fn never(_: *const Header, _: u64, _: f64) -> f64 {
        unreachable!()
    }

    #[test]
    fn a_budgeted_turn_starts_fresh_and_charges_its_resumer() {
        // Budget 100, resumer at 1000: the turn starts at 100 whatever the
        // resumer has, and 100 - (-7) = 107 is charged back.
        assert_eq!(turn_start(100, 1000), 100);
        assert_eq!(turn_start(100, -50), 100);
        let used = turn_used(100, -7);
        assert_eq!(used, 107);
        assert_eq!(charge(1000, used), 893);
        // The resumer may go negative: its own next check acts.
        assert_eq!(charge(50, used), -57);
    }

    #[test]
    fn an_unbudgeted_turn_shares_the_resumers_counter() {
        // Starting from the resumer's 1000 and leaving 400 hands back 400.
        let start = turn_start(0, 1000);
        assert_eq!(start, 1000);
        assert_eq!(charge(1000, turn_used(start, 400)), 400);
        // An overdrawn resumer: so is the turn, and its overdraw adds up.
        let start = turn_start(0, -5);
        assert_eq!(start, -5);
        assert_eq!(charge(-5, turn_used(start, -8)), -8);
    }

    #[test]
    fn accounting_saturates_instead_of_overflowing() {
        assert_eq!(turn_used(10, 20), 0);
        assert_eq!(turn_used(i64::MAX, i64::MIN), u64::MAX >> 1);
        assert_eq!(charge(i64::MIN, 5), i64::MIN);
        assert_eq!(charge(0, u64::MAX), -i64::MAX);
    }

    #[test]
    fn the_handler_preempts_tasks_forwards_from_main_and_lets_coroutines_run() {
        let memory = || Box::leak(vec![0u8; 4096].into_boxed_slice());
        let task = RawCoroutine::in_memory(memory(), 256, (), never, true).unwrap();
        let plain = RawCoroutine::in_memory(memory(), 256, (), never, false).unwrap();
        assert!(matches!(action(None), Action::Forward));
        assert!(matches!(
            action(Some(task.header())),
            Action::Preempt(h) if core::ptr::eq(h, task.header())
        ));
        assert!(matches!(action(Some(plain.header())), Action::Continue));
    }

    #[test]
    fn budgets_are_never_negative() {
        let account = Account::new();
        account.set_budget(-3);
        assert_eq!(account.budget.get(), 0);
        account.set_budget(5000);
        assert_eq!(account.budget.get(), 5000);
        assert_eq!(account.used(), 0);
    }
}
