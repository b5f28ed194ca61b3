//! A game main loop that gives control back to the host every frame.
//!
//! ```text
//! loop {
//!     update();          // one generation of Conway's Life
//!     render_to_text();  // the grid as text, handed to the host: env.present(ptr, len)
//!     yield_to_host();   // the whole call stack unwinds to the host...
//! }                      // ...and is rewound into this loop on the next frame
//! ```
//!
//! The loop never returns and keeps all its state — the world and the
//! frame buffer — in locals on the guest's shadow stack, so what survives
//! from one frame to the next is exactly what Asyncify saves and restores.
//! The host (`rewind demo`, or `host.mjs` under Node.js) decides when the
//! next frame runs and how many there are.
//!
//! Imports: `env.present(ptr: i32, len: i32)` (an ordinary import: the
//! host copies the text out) and `rewind.yield_to_host()` (the suspending
//! one, called by `rewind_guest::yield_to_host`). Exports: `run(seed)`, the
//! game (seed 0 is the classic starting pattern, any other a random soup);
//! for benchmarks, `run_frames(seed, n)`, which returns after `n` frames,
//! and `yield_loop(n)`, which only yields, `n` times, from two calls deep:
//! what one suspend+resume round trip costs. Instrument with
//! `rewind asyncify game_loop.wasm -o game_loop.async.wasm --imports rewind.yield_to_host`.
//!
//! The same build, not instrumented, runs under JSPI (JavaScript Promise
//! Integration): its imports are only those two, `rewind.yield_to_host`
//! becomes a `WebAssembly.Suspending` function and the exports are wrapped
//! with `WebAssembly.promising`. `build.rs` exports `__stack_pointer` too,
//! so that a host can give concurrent calls stacks of their own.

#![cfg_attr(target_arch = "wasm32", no_std)]

pub mod life;

use life::{FRAME_LEN, World};

#[cfg(target_arch = "wasm32")]
mod host {
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        /// Shows one frame: `len` bytes of UTF-8 text at `ptr`.
        pub fn present(ptr: *const u8, len: usize);
    }

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        core::arch::wasm32::unreachable()
    }
}

/// Hands one rendered frame to the host.
fn present(frame: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host only reads `frame.len()` bytes at `frame.as_ptr()`,
    // which are valid for the duration of the call.
    unsafe {
        host::present(frame.as_ptr(), frame.len())
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = frame;
}

/// Gives control back to the host until the next frame: the import
/// `rewind.yield_to_host`, through rewind-guest.
fn yield_to_host() {
    #[cfg(target_arch = "wasm32")]
    rewind_guest::yield_to_host();
}

/// The game: runs forever from the world of `seed` ([`World::from_seed`]),
/// one generation per frame.
#[unsafe(no_mangle)]
pub extern "C" fn run(seed: u32) {
    play(seed, None);
}

/// The game for `frames` frames, then returns: what a benchmark times.
#[unsafe(no_mangle)]
pub extern "C" fn run_frames(seed: u32, frames: u32) {
    play(seed, Some(frames));
}

/// The game loop, for ever or for a number of frames.
fn play(seed: u32, frames: Option<u32>) {
    let mut world = World::from_seed(seed);
    let mut text = [0u8; FRAME_LEN];
    let mut left = frames;
    while left != Some(0) {
        world.update();
        let len = world.render_to_text(&mut text);
        present(&text[..len]);
        yield_to_host();
        left = left.map(|n| n - 1);
    }
}

/// The benchmark: yields to the host `n` times, from two calls deep
/// (`yield_loop` → `yield_below`), doing nothing else.
#[unsafe(no_mangle)]
pub extern "C" fn yield_loop(n: u32) {
    for _ in 0..n {
        yield_below();
    }
}

/// The second of `yield_loop`'s two frames.
#[inline(never)]
fn yield_below() {
    yield_to_host();
}
