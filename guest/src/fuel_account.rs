//! The fuel side of a coroutine (feature `fuel`): the running context's
//! counter, and the [`Account`] that switches it with the coroutine and
//! tells what each of its turns used. The rules are in the `fuel` module's
//! documentation ("One counter per context").

use core::cell::Cell;

use crate::sys;

/// What the counter holds while the runtime switches stacks: never
/// negative, so no check fires there.
const PARKED: i64 = i64::MAX;

/// The running context's counter (`__rewind_fuel`); negative when it is
/// overdrawn.
///
/// # Panics
///
/// Outside wasm (the crate's host build).
#[inline(always)]
pub(crate) fn counter() -> i64 {
    // SAFETY: reading the counter has no preconditions.
    unsafe { sys::get_fuel() }
}

/// Sets the running context's counter.
///
/// # Panics
///
/// Outside wasm (the crate's host build).
#[inline(always)]
pub(crate) fn set_counter(fuel: i64) {
    // SAFETY: writing the counter has no preconditions.
    unsafe { sys::set_fuel(fuel) }
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
        let outer = counter();
        self.start.set(turn_start(self.budget.get(), outer));
        self.stashed.set(None);
        set_counter(PARKED);
        outer
    }

    /// When the coroutine's code starts or continues (the end of a rewind):
    /// its counter. Before that point a rewind passes uninstrumented runtime
    /// code, which must not see a negative counter.
    #[inline(always)]
    pub(crate) fn enter(&self) {
        set_counter(self.start.get());
    }

    /// At a suspension, before the switch: keeps what the coroutine left
    /// and parks the counter.
    #[inline(always)]
    pub(crate) fn stash(&self) {
        self.stashed.set(Some(counter()));
        set_counter(PARKED);
    }

    /// Right after the coroutine's code returned to the runtime (it
    /// suspended or completed): computes what the turn used and parks the
    /// counter.
    #[inline(always)]
    pub(crate) fn leave(&self) {
        let left = match self.stashed.take() {
            Some(left) => left,
            None => counter(),
        };
        self.used.set(turn_used(self.start.get(), left));
        set_counter(PARKED);
    }

    /// Back in the resumer: its counter `outer`, less what the turn used.
    #[inline(always)]
    pub(crate) fn settle(&self, outer: i64) {
        set_counter(charge(outer, self.used.get()));
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
/// overdraw counts; a counter raised with `fuel::set` counts as nothing
/// used.
fn turn_used(start: i64, left: i64) -> u64 {
    u64::try_from(start.saturating_sub(left)).unwrap_or(0)
}

/// The resumer's counter `outer` after a turn that used `used`.
fn charge(outer: i64, used: u64) -> i64 {
    outer.saturating_sub(i64::try_from(used).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn budgets_are_never_negative() {
        let account = Account::new();
        account.set_budget(-3);
        assert_eq!(account.budget.get(), 0);
        account.set_budget(5000);
        assert_eq!(account.budget.get(), 5000);
        assert_eq!(account.used(), 0);
    }
}
