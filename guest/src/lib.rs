//! `rewind-guest`: coroutines, generators, a scheduler and
//! [`yield_to_host`] for Rust code inside a WebAssembly module instrumented
//! by `rewind asyncify`.
//!
//! Build the crate that uses it for `wasm32-unknown-unknown`, then run
//! `rewind asyncify` on the linked module. The transform resolves the
//! runtime's imports (`asyncify.*`, `rewind.get_stack_pointer`,
//! `rewind.set_stack_pointer`) inside the module; only
//! `rewind.yield_to_host` remains for the host, and only if
//! [`yield_to_host`] is used. (With the `fuel` feature, meter and
//! instrument with `rewind fuel --fuel-handler rewind_out_of_fuel`, which
//! resolves `rewind.get_fuel`/`rewind.set_fuel`; `rewind.out_of_fuel`
//! remains for the host: see the `fuel` module.)
//!
//! # A minimal guest
//!
//! Three files in an empty directory make a guest (they are
//! `examples/minimal-guest`; `guest/README.md` adds the rules they follow
//! and the error each mistake gives). `Cargo.toml`, with `path` pointing at
//! this crate:
//!
#![doc = concat!("```toml\n", include_str!("../../examples/minimal-guest/Cargo.toml"), "```")]
//!
//! `rust-toolchain.toml`:
//!
#![doc = concat!("```toml\n", include_str!("../../examples/minimal-guest/rust-toolchain.toml"), "```")]
//!
//! `src/lib.rs`:
//!
#![doc = concat!("```rust,ignore\n", include_str!("../../examples/minimal-guest/src/lib.rs"), "```")]
//!
//! Build it, instrument it and run it with Rewind's command line (`cargo
//! install --path host-tools/cli`), which provides `rewind.yield_to_host`
//! (each call suspends to it and is resumed; `yields: N` on stderr):
//!
//! ```sh
//! cargo build --release --target wasm32-unknown-unknown
//! rewind asyncify target/wasm32-unknown-unknown/release/minimal_guest.wasm -o minimal_guest.wasm --imports rewind.yield_to_host
//! rewind run minimal_guest.wasm --invoke sum_of_squares 10   # prints 385
//! rewind run minimal_guest.wasm --invoke frame_loop 3        # prints 3
//! ```
//!
//! From a `build.rs` or an xtask, `rewind_transform::asyncify_file(input,
//! output, &rewind_transform::Options::for_guest())` does the second step.
//!
//! # Using it
//!
//! ```no_run
//! use rewind_guest::{Coroutine, Generator, Resume};
//!
//! // A coroutine that receives a value at each resume and yields another.
//! let mut doubler = Coroutine::new(|y, mut x: u32| {
//!     for _ in 0..2 {
//!         x = y.yield_(x * 2);
//!     }
//!     "done"
//! })
//! .unwrap();
//! assert_eq!(doubler.resume_with(1), Ok(Resume::Yielded(2)));
//! assert_eq!(doubler.resume_with(5), Ok(Resume::Yielded(10)));
//! assert_eq!(doubler.resume_with(0), Ok(Resume::Complete("done")));
//!
//! // A generator is an iterator; it can yield from deep inside recursion.
//! fn count_down(y: &rewind_guest::Yielder<(), u32>, n: u32) {
//!     if n > 0 {
//!         y.yield_(n);
//!         count_down(y, n - 1);
//!     }
//! }
//! let g = Generator::new(|y| count_down(y, 3)).unwrap();
//! assert!(g.eq([3, 2, 1]));
//! ```
//!
//! (The examples in this documentation are compiled but not run: they need
//! an instrumented wasm module. On any other target the crate compiles, and
//! switching stacks panics.)
//!
//! # How it works
//!
//! Each coroutine owns one fixed **control block** (see [`Config`]): the
//! Asyncify data structure `{stack_pos, stack_end}`, a **save stack** for
//! the frames Asyncify saves when the coroutine yields, its own **shadow
//! stack** (the C stack that `__stack_pointer` points into), the saved
//! stack pointer and its state. It is created once, in caller memory
//! ([`StaticMemory`], [`Coroutine::in_memory`]) or from the global
//! allocator ([`Coroutine::new`], feature `alloc`); yielding, resuming and
//! sleeping allocate nothing.
//!
//! `yield_` calls `asyncify.start_unwind` with the coroutine's data
//! structure: every instrumented function on the coroutine's stack saves its
//! live locals and returns, down to `resume`, which calls `stop_unwind`.
//! `resume` calls `start_rewind` and the coroutine's entry function again:
//! every function restores its locals and calls on to where it was, until
//! `yield_` is reached and calls `stop_rewind`. On every switch the runtime
//! swaps `__stack_pointer` (through `rewind.get_stack_pointer` /
//! `rewind.set_stack_pointer`) between the resumer's stack and the
//! coroutine's, as Emscripten fibers and ruby.wasm do: an unwinding function
//! skips its epilogue, so the stack pointer the unwind leaves behind is
//! saved and put back before the rewind, whose functions skip their
//! prologues.
//!
//! The two functions that call the intrinsics are `#[inline(never)]` and
//! keep their Asyncify roles after LTO: `suspend_raw` (calls
//! `start_unwind`/`stop_rewind`) is the *top-most runtime*, which the
//! transform leaves alone while instrumenting its callers; `resume_raw`
//! (calls `start_rewind`/`stop_unwind`) is the *bottom-most runtime*, where
//! a coroutine's unwind stops.
//!
//! # Rules
//!
//! * Instrument the module after linking (`rewind asyncify`), with the name
//!   section kept or with `--stack-pointer-global` (`__stack_pointer` is
//!   global 0 in `wasm-ld` output).
//! * [`yield_to_host`] works from the main context only, not inside a
//!   coroutine; likewise a host import that suspends must not be called
//!   inside a coroutine (it is detected and reported as a panic).
//! * Single-threaded wasm only (no `atomics` target feature).
//!
//! # Errors instead of corruption
//!
//! * A coroutine that outgrows its **save stack** makes the instrumented
//!   module trap before anything is written past the save stack, with
//!   `__asyncify_state` = 3 (the host can ask `asyncify_get_state`).
//! * **Shadow-stack** overflow is caught by canaries and a stack-pointer
//!   check at every yield and completion: [`Error::ShadowStackOverflow`]
//!   when the damage stayed inside the coroutine's own (idle) save-stack
//!   area, a panic before anything uses a damaged header otherwise.
//! * Linear memory may grow at any time, also while coroutines are
//!   suspended: the runtime keeps addresses inside control blocks only,
//!   never views of memory.
//!
//! # Features
//!
//! * `alloc` (default): control blocks from the global allocator.
//! * `heapless` (default): the [`sched::Scheduler`].
//! * `talc`: `heap::TalcAllocator`, a global allocator for wasm32.
//! * `fuel`: the `fuel` module (the counter of a module metered by `rewind fuel`,
//!   and its out-of-fuel handler) and per-task budgets in the
//!   [`sched::Scheduler`]: untrusted code compiled into the module runs in
//!   slices and cannot starve the other tasks.
#![no_std]
#![deny(
    missing_docs,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]

#[cfg(feature = "alloc")]
extern crate alloc;

mod block;
mod canary;
mod config;
mod coroutine;
mod error;
#[cfg(feature = "fuel")]
pub mod fuel;
#[cfg(feature = "fuel")]
mod fuel_account;
mod generator;
mod header;
pub mod heap;
mod host;
mod layout;
mod raw_coroutine;
mod runtime;
#[cfg(feature = "heapless")]
pub mod sched;
mod static_memory;
mod status;
mod sys;
#[cfg(feature = "heapless")]
mod task_id;

pub use config::Config;
pub use coroutine::{Coroutine, Resume, Yielder};
pub use error::Error;
pub use generator::Generator;
pub use host::{try_yield_to_host, yield_to_host};
pub use static_memory::StaticMemory;
