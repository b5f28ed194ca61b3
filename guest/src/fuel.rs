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

use crate::fuel_account;
use crate::runtime;
use crate::sched;
use crate::sys;

/// The fuel left in the running context's counter (`__rewind_fuel`);
/// negative when it is overdrawn.
///
/// # Panics
///
/// Outside wasm (the crate's host build).
#[inline(always)]
pub fn remaining() -> i64 {
    fuel_account::counter()
}

/// Sets the running context's counter: inside a budgeted task, the rest of
/// its current turn.
///
/// # Panics
///
/// Outside wasm (the crate's host build).
#[inline(always)]
pub fn set(fuel: i64) {
    fuel_account::set_counter(fuel)
}

/// The out-of-fuel handler: name it with `rewind fuel --fuel-handler
/// rewind_out_of_fuel` (see the [module docs](self) for what it does).
/// Metered code calls it; nothing else should.
#[unsafe(no_mangle)]
pub extern "C" fn rewind_out_of_fuel() {
    // The handler is not metered, but what it calls is, and the counter is
    // negative: until `suspend` parks it, nothing here may reach a check
    // (`current` and `sched::preempt` have no loops and do not recurse).
    if runtime::current().is_null() {
        // SAFETY: the host implements the import as a suspension of the
        // main context, which is what is running.
        unsafe { sys::out_of_fuel() }
    } else {
        // Only a scheduler task is suspended; any other coroutine runs on.
        sched::preempt();
    }
}
