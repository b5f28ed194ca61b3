//! A minimal guest of Rewind: a generator and a frame loop that yields to
//! the host, compiled to `wasm32-unknown-unknown` and instrumented by
//! `rewind asyncify` (see `guest/README.md`).

#![no_std]

use rewind_guest::Generator;

// `Generator::new` takes its control block from the global allocator.
#[global_allocator]
static ALLOCATOR: rewind_guest::heap::TalcAllocator = rewind_guest::heap::talc_allocator();

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The sum of the squares of `1..=n`, yielded one by one by a generator.
#[unsafe(no_mangle)]
pub extern "C" fn sum_of_squares(n: u32) -> u32 {
    let squares = Generator::new(move |y| (1..=n).for_each(|i| y.yield_(i * i)));
    squares.map_or(0, |squares| squares.sum())
}

/// A frame loop: `frames` frames, each handing control to the host with
/// `yield_to_host()`; returns the frames it ran.
#[unsafe(no_mangle)]
pub extern "C" fn frame_loop(frames: u32) -> u32 {
    let mut ran = 0;
    while ran < frames {
        ran += 1;
        rewind_guest::yield_to_host();
    }
    ran
}
