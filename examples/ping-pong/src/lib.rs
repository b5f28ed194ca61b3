//! Ping-pong with `rewind-guest`: two coroutines pass a ball (a number)
//! back and forth. Each `resume_with(ball)` hands the ball to a coroutine;
//! its `yield_` hands one back. `ping` plays three rounds and returns;
//! `pong` would play forever and is dropped while suspended.
//!
//! Export `run()` prints the trace through `env.print`.
#![no_std]

use core::convert::Infallible;

use rewind_example_support::println;
use rewind_guest::{Coroutine, Resume, StaticMemory};

/// `pong`'s control block, without the allocator.
static PONG_MEMORY: StaticMemory<16384> = StaticMemory::new();

/// Runs the example.
#[unsafe(no_mangle)]
pub extern "C" fn run() {
    let mut ping = Coroutine::new(|y, mut ball: u32| {
        for round in 1..=3 {
            println!("ping {round}: got {ball}, send {}", ball + 1);
            ball = y.yield_(ball + 1);
        }
        println!("ping: got {ball}, stop");
        "ping won"
    })
    .unwrap();
    let mut pong = Coroutine::in_memory(
        PONG_MEMORY.take().unwrap(),
        2048,
        |y, mut ball: u32| -> Infallible {
            let mut hits = 0u32;
            loop {
                hits += 1;
                println!("pong hit {hits}: got {ball}, send {}", ball * 2);
                ball = y.yield_(ball * 2);
            }
        },
    )
    .unwrap();

    let mut ball = 1;
    loop {
        match ping.resume_with(ball).unwrap() {
            Resume::Yielded(to_pong) => match pong.resume_with(to_pong).unwrap() {
                Resume::Yielded(back) => ball = back,
                Resume::Complete(never) => match never {},
            },
            Resume::Complete(result) => {
                println!("main: {result}");
                break;
            }
        }
    }
    println!(
        "main: ping done {}, pong suspended {}",
        ping.is_done(),
        pong.is_suspended()
    );
    println!(
        "main: resume finished ping: {:?}",
        ping.resume_with(0).err()
    );
    drop(pong);
    println!("main: dropped pong while suspended");
}
