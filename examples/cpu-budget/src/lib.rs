//! CPU budgets for untrusted code: two "scripts" compiled into this module
//! share the CPU as tasks of the rewind-guest scheduler.
//!
//! * **untrusted** spins forever: it never returns and never yields;
//! * **primes** counts the primes below [`PRIME_LIMIT`] by trial division,
//!   then returns. It does not yield either.
//!
//! ```text
//! let a = s.spawn_with_budget(|| untrusted(&spins), task_fuel)?;  // loop { spins += 1 }
//! let b = s.spawn_with_budget(|| primes(&found), task_fuel)?;
//! loop { s.step()?; report(a); report(b); }                       // one round: a turn each
//! ```
//!
//! Each task gets `task_fuel` fuel per turn. When a turn's fuel is spent,
//! the metered code calls rewind-guest's out-of-fuel handler
//! (`rewind_out_of_fuel`), which suspends the task; the scheduler queues it
//! at the back and resumes the other one, and the next turn continues
//! where the last one stopped. So the runaway cannot starve `primes`: both
//! use the same fuel per round until `primes` is done.
//!
//! The host meters the module as a whole too: it runs `run` in slices of
//! fuel (`rewind demo budget` prints every slice). Between the tasks' turns
//! the scheduler's own code checks the host's fuel and, when it is spent,
//! the handler suspends the whole module to the host, which resumes it
//! later with a new slice.
//!
//! Export `run(rounds, task_fuel)`: runs `rounds` scheduler rounds (0:
//! forever). After every round it calls the import
//! `env.report(task, done, fuel, turns, preemptions, progress)` once per
//! task (task 0: untrusted, whose progress is its loop iterations; task 1:
//! primes, the primes found so far); at the end it prints a summary line
//! through `env.print`.
//!
//! Build (on its own: its `fuel` feature of rewind-guest must not reach the
//! other examples), then meter and instrument in one step:
//!
//! ```text
//! cargo build --release --target wasm32-unknown-unknown --manifest-path examples/Cargo.toml -p cpu-budget
//! rewind fuel cpu_budget.wasm -o cpu_budget.fuel.wasm --fuel-handler rewind_out_of_fuel --imports rewind.out_of_fuel
//! ```
#![no_std]

use core::cell::Cell;
use core::hint::black_box;

use rewind_example_support::{allocator_calls, println};
use rewind_guest::sched::{Scheduler, TaskId};

/// `primes` counts the primes below this.
pub const PRIME_LIMIT: u32 = 5_000;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// One task's state after a round: `done` is 1 once it has returned;
    /// `fuel`, `turns` and `preemptions` are its scheduler stats.
    #[link_name = "report"]
    fn env_report(task: u32, done: u32, fuel: u64, turns: u64, preemptions: u64, progress: u64);
}

/// The untrusted script: a loop that never ends.
fn untrusted(spins: &Cell<u64>) -> ! {
    loop {
        spins.set(spins.get() + 1);
        // Keeps the counter in memory, where the host's report sees it.
        black_box(spins);
    }
}

/// The well-behaved script: counts the primes below [`PRIME_LIMIT`].
fn primes(found: &Cell<u64>) {
    for n in 2..PRIME_LIMIT {
        if (2..).take_while(|d| d * d <= n).all(|d| n % d != 0) {
            found.set(found.get() + 1);
        }
    }
}

/// Runs `rounds` scheduler rounds (0: forever) with `task_fuel` fuel per
/// task and turn, reporting after each round.
#[unsafe(no_mangle)]
pub extern "C" fn run(rounds: u32, task_fuel: u64) {
    let spins = Cell::new(0);
    let found = Cell::new(0);
    let mut s: Scheduler<'_, 2> = Scheduler::new();
    let a = s
        .spawn_with_budget(|| untrusted(&spins), task_fuel)
        .unwrap();
    let b = s.spawn_with_budget(|| primes(&found), task_fuel).unwrap();
    let tasks = [(a, &spins), (b, &found)];

    // The tasks' blocks are allocated; the rounds allocate nothing (a task
    // that finishes frees its block).
    let allocations = allocator_calls();
    let mut round = 0;
    while rounds == 0 || round < rounds {
        s.step().unwrap();
        round += 1;
        for (n, (id, progress)) in tasks.iter().enumerate() {
            report(&s, n as u32, *id, progress.get());
        }
    }

    let [a, b] = [a, b].map(|id| s.stats(id).unwrap());
    println!(
        "{rounds} rounds: untrusted {} fuel, {} turns, {} preempted, {} spins; \
         primes {} fuel, {} turns, {} preempted, {} found; {} allocator calls",
        a.fuel_used,
        a.slices,
        a.preemptions,
        spins.get(),
        b.fuel_used,
        b.slices,
        b.preemptions,
        found.get(),
        allocator_calls() - allocations,
    );
}

/// Tells the host how task number `n` is doing.
fn report(s: &Scheduler<'_, 2>, n: u32, id: TaskId, progress: u64) {
    let stats = s.stats(id).unwrap();
    let done = u32::from(s.is_finished(id));
    // SAFETY: an ordinary import that only reads its arguments.
    unsafe {
        env_report(
            n,
            done,
            stats.fuel_used,
            stats.slices,
            stats.preemptions,
            progress,
        )
    };
}
