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
//! one, called by `rewind_guest::yield_to_host`). Export: `run()`. Instrument with
//! `rewind asyncify game_loop.wasm -o game_loop.async.wasm --imports rewind.yield_to_host`.

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

/// The game: runs forever, one generation per frame.
#[unsafe(no_mangle)]
pub extern "C" fn run() {
    let mut world = World::new();
    let mut text = [0u8; FRAME_LEN];
    loop {
        world.update();
        let len = world.render_to_text(&mut text);
        present(&text[..len]);
        yield_to_host();
    }
}
