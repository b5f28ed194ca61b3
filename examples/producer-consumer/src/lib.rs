//! Producer/consumer over the `rewind-guest` scheduler: a producer sends
//! five items through a channel that holds two, yielding while it is full;
//! a consumer takes one item and sleeps two ticks; a monitor joins both.
//! Every line starts with the scheduler tick.
//!
//! Export `run()` prints the trace through `env.print`.
#![no_std]

use core::cell::RefCell;

use heapless::Deque;
use rewind_example_support::println;
use rewind_guest::sched::{self, Scheduler};

/// Runs the example.
#[unsafe(no_mangle)]
pub extern "C" fn run() {
    let channel: RefCell<Deque<u32, 2>> = RefCell::new(Deque::new());
    let mut s: Scheduler<'_, 4> = Scheduler::new();

    let producer = s
        .spawn(|| {
            for item in 1..=5 {
                while channel.borrow().is_full() {
                    println!("[{}] producer: channel full", sched::now());
                    sched::yield_now();
                }
                channel.borrow_mut().push_back(item).unwrap();
                println!("[{}] producer: sent {item}", sched::now());
            }
            println!("[{}] producer: done", sched::now());
        })
        .unwrap();

    let consumer = s
        .spawn(|| {
            let mut received = 0;
            while received < 5 {
                let item = channel.borrow_mut().pop_front();
                match item {
                    Some(v) => {
                        received += 1;
                        println!("[{}] consumer: got {v}", sched::now());
                        sched::sleep(2);
                    }
                    None => {
                        println!("[{}] consumer: channel empty", sched::now());
                        sched::yield_now();
                    }
                }
            }
            println!("[{}] consumer: done", sched::now());
        })
        .unwrap();

    s.spawn(move || {
        sched::join(producer);
        println!("[{}] monitor: producer finished", sched::now());
        sched::join(consumer);
        println!("[{}] monitor: consumer finished", sched::now());
    })
    .unwrap();

    s.run().unwrap();
    println!("scheduler idle at tick {}", s.now());
}
