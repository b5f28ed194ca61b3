//! Exports that `tests/tests/guest_budget.rs` calls to check the `fuel`
//! feature of rewind-guest beyond `examples/cpu-budget`: tasks without a
//! budget, a generator inside a budgeted task, and the fuel counter. Each
//! prints its findings through `env.print`.
#![no_std]

use core::cell::Cell;
use core::hint::black_box;

use rewind_example_support::println;
use rewind_guest::Generator;
use rewind_guest::fuel;
use rewind_guest::sched::Scheduler;

/// Counts forever.
fn spin(counter: &Cell<u64>) -> ! {
    loop {
        counter.set(counter.get() + 1);
        black_box(counter);
    }
}

/// Two endless tasks without a budget, for `rounds` rounds: they share the
/// scheduler's fuel, which is the host's, and each is preempted when a host
/// slice runs out.
#[unsafe(no_mangle)]
pub extern "C" fn unbudgeted(rounds: u32) {
    let (a, b) = (Cell::new(0), Cell::new(0));
    let mut s: Scheduler<'_, 2> = Scheduler::new();
    let ta = s.spawn(|| spin(&a)).unwrap();
    let tb = s.spawn(|| spin(&b)).unwrap();
    for _ in 0..rounds {
        s.step().unwrap();
    }
    let (sa, sb) = (s.stats(ta).unwrap(), s.stats(tb).unwrap());
    println!(
        "a: {} turns, {} preempted, {} spins; b: {} turns, {} preempted, {} spins",
        sa.slices,
        sa.preemptions,
        a.get(),
        sb.slices,
        sb.preemptions,
        b.get()
    );
}

/// A task with `budget` fuel per turn that sums what a generator yields;
/// between two yields the generator works much longer than the budget.
/// The generator is not preempted (only the task is, once the generator
/// has yielded back), and its fuel is the task's.
#[unsafe(no_mangle)]
pub extern "C" fn generator_in_task(budget: u64) {
    let total = Cell::new(0u64);
    let mut s: Scheduler<'_, 1> = Scheduler::new();
    let task = s
        .spawn_with_budget(
            || {
                let squares = Generator::new(|y| {
                    for i in 1..=10u64 {
                        let mut square = 0;
                        for _ in 0..i * 100 {
                            square = black_box(square + i);
                        }
                        y.yield_(square * 10);
                    }
                })
                .unwrap();
                for v in squares {
                    total.set(total.get() + v);
                }
            },
            budget,
        )
        .unwrap();
    s.run().unwrap();
    let stats = s.stats(task).unwrap();
    println!(
        "total {}, {} turns, {} preempted, {} fuel",
        total.get(),
        stats.slices,
        stats.preemptions,
        stats.fuel_used
    );
}

/// The counter: it goes down in the main context (charges are made at the
/// start of each straight-line run, here the loop's); a budgeted task starts
/// each turn with its budget; `fuel::set(-1)` in a task preempts it at the
/// next check.
#[unsafe(no_mangle)]
pub extern "C" fn counter(budget: u64) {
    let before = fuel::remaining();
    for i in 0..10 {
        black_box(i);
    }
    let after = fuel::remaining();
    println!("main: goes down {}", after < before);

    let first = Cell::new(0);
    let mut s: Scheduler<'_, 1> = Scheduler::new();
    let task = s
        .spawn_with_budget(
            || {
                first.set(fuel::remaining());
                fuel::set(-1);
                for i in 0..3 {
                    black_box(i);
                }
            },
            budget,
        )
        .unwrap();
    s.run().unwrap();
    let stats = s.stats(task).unwrap();
    let budget = budget as i64;
    println!(
        "task: starts within its budget {}, {} turns, {} preempted",
        first.get() <= budget && first.get() > budget - 100,
        stats.slices,
        stats.preemptions
    );
}
