//! `rewind-host`: run Asyncify-instrumented WebAssembly modules under wasmi,
//! with imports that suspend the guest (async Rust functions, yields to the
//! host) and exports that can be resumed.
//!
//! # Model
//!
//! * [`Module`] compiles a module and checks it was instrumented (by
//!   `rewind asyncify` or Binaryen's `wasm-opt --asyncify`): it must export
//!   `asyncify_start_unwind`, `asyncify_stop_unwind`,
//!   `asyncify_start_rewind`, `asyncify_stop_rewind` and
//!   `asyncify_get_state`, or loading fails with
//!   [`Error::ModuleNotInstrumented`].
//! * [`Linker`] defines imports. [`Linker::func_async`] imports return a
//!   future; [`Linker::func_yield`] imports hand control to the host until
//!   it resumes the call; `func_wrap`/`func_new` imports are ordinary.
//! * [`Instance`] owns the store and drives calls:
//!   [`Instance::call_resumable`] returns a [`CallOutcome`] —
//!   `Finished(values)`, `Suspended(call)` (waiting on a host future) or
//!   `Yielded(call)` — and [`Instance::resume`] continues a
//!   [`SuspendedCall`]; [`Instance::call_async`] is a future that completes
//!   when the guest really returns; [`Instance::call_blocking`] runs a call
//!   to completion on the current thread with the crate's own [`block_on`].
//!   No async runtime is needed or used.
//! * Modules metered by `rewind fuel` run in slices of fuel:
//!   [`Instance::call_with_fuel`] returns a [`FuelOutcome`] —
//!   `Finished(values)` or `OutOfFuel(call)` — and
//!   [`Instance::resume_with_fuel`] continues with a new budget; the
//!   `rewind.out_of_fuel` import is defined automatically (see [`fuel`]).
//! * A suspended call can be saved and resumed elsewhere, in another
//!   process or on another machine: load the module with
//!   [`Module::with_snapshots`], then [`Instance::snapshot`] gives a
//!   [`Snapshot`] ([`Snapshot::to_bytes`], [`Snapshot::from_bytes`]) and
//!   [`Instance::restore`] a new instance with the call to resume (see
//!   [`snapshot`]).
//!
//! # The protocol (Binaryen's)
//!
//! A suspending import called in the normal state starts the host future and
//! polls it once. If it is ready, its value is returned and nothing
//! suspends. Otherwise the import writes `{ stack_pos, stack_end }` into the
//! call's save buffer, calls `asyncify_start_unwind(buffer)` and returns
//! zeros; the guest unwinds to the driver, which calls
//! `asyncify_stop_unwind()`: the call is suspended. When the future is
//! ready, the driver calls `asyncify_start_rewind(buffer)` and the same
//! export with the same arguments; the guest rewinds to the import, which
//! sees state 2, calls `asyncify_stop_rewind()` and returns the future's
//! value.
//!
//! Modules that export the globals `__asyncify_state` and `__asyncify_data`
//! (`rewind asyncify --export-globals`) are driven by setting those globals
//! instead of calling the exports: a round trip then costs a fraction of
//! what it does through six guest calls (`docs/performance.md`). Either
//! way the driver makes the exports' `stack_pos <= stack_end` checks.
//!
//! # Save buffers
//!
//! Each suspended call holds one save buffer ([`Config::buffer_size`],
//! default 64 KiB) inside guest memory. Buffers are placed once — through a
//! guest allocator export (`rewind_alloc` or `malloc`, `(size) -> ptr`) or
//! else in pages the driver grows the memory by ([`Placement`]) — and
//! reused for every suspension; a finished call's buffer serves the next
//! call. [`Instance::buffers_placed`] counts placements: it grows with the
//! number of calls suspended at once, never with the number of
//! suspensions. The driver never keeps a view of guest memory across a
//! guest call (memory may grow in any of them, including inside a
//! suspending import or between suspension and resumption).
//!
//! # Several suspended calls
//!
//! One instance can have several calls suspended at once, each with its own
//! buffer. Asyncify saves wasm locals, but the frames a call keeps on the
//! guest's *shadow stack* (the C stack in linear memory, `__stack_pointer`)
//! stay where they are, and a call started later pushes its frames below
//! them. So when the module has a shadow stack, only the most recently
//! started unfinished call may resume — strictly nested, last in first out.
//! Resuming another one is refused with [`Error::ResumeOrder`] before any
//! guest code runs; dropping a suspended call abandons it and lifts the
//! restriction. Modules that demonstrably have no shadow stack (their name
//! section names their globals and none is `__stack_pointer`) may resume
//! calls in any order; [`ResumeOrder`] overrides the detection.
//!
//! # Errors
//!
//! [`Error`] carries context: the export, the import, and what the driver
//! was doing ([`Phase`]). A host future that fails becomes a trap at the
//! import's call site and reaches the caller as [`Error::HostFuture`] with
//! its message. An unwind that does not fit the save buffer is
//! [`Error::SaveStackOverflow`]: Rewind-instrumented modules detect it
//! before writing past the buffer (`asyncify_get_state()` then returns 3,
//! [`abi::STATE_OVERFLOWED`]) and the instance stays usable; Binaryen
//! detects it in `asyncify_stop_unwind`, after the fact, and the instance
//! is poisoned ([`Error::Poisoned`] from then on).
//!
//! # Diagnostic builds
//!
//! A module instrumented with `--asserts` traps when a suspension passes
//! through a function left uninstrumented; the driver reports it as
//! [`Error::NotInstrumented`], naming the function, what it had called
//! ([`Called`]) and the list option that adds it ([`FunctionList`]). A
//! module instrumented with `Options::record_unwinds` reports each frame it
//! saves; [`SuspendedCall::unwound`] lists the functions that were on the
//! stack when the call suspended (what `rewind advise` counts).
//!
//! # Example
//!
//! ```
//! use rewind_host::wasmi::{Engine, FuncType, Val, ValType};
//! use rewind_host::{CallOutcome, Linker, Module};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A guest that waits for a host value, then yields to the host.
//! let wat = r#"(module
//!   (import "env" "fetch" (func $fetch (param i32) (result i64)))
//!   (import "rewind" "yield_to_host" (func $yield))
//!   (memory (export "memory") 1)
//!   (func (export "main") (result i64)
//!     (local $v i64)
//!     (local.set $v (call $fetch (i32.const 21)))
//!     (call $yield)
//!     (local.get $v)))"#;
//! // At build time: `rewind asyncify main.wasm -o main.wasm`.
//! let wasm = rewind_transform::asyncify(wat.as_bytes(), &Default::default())?.wasm;
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, &wasm)?;
//! let mut linker = Linker::<()>::new(&engine);
//! // `env.fetch(i32) -> i64` is async on the host side.
//! linker.func_async(
//!     "env",
//!     "fetch",
//!     FuncType::new([ValType::I32], [ValType::I64]),
//!     |_caller, args| {
//!         let key = args[0].i32().unwrap_or(0);
//!         async move { Ok(vec![Val::I64(i64::from(key) * 2)]) }
//!     },
//! )?;
//! // `rewind.yield_to_host()` hands control back to the host.
//! linker.func_yield("rewind", "yield_to_host", FuncType::new([], []))?;
//! let mut instance = linker.instantiate(&module, ())?;
//!
//! // Without a runtime: resume once per frame.
//! let mut outcome = instance.call_resumable("main", &[])?;
//! let mut frames = 0;
//! let results = loop {
//!     outcome = match outcome {
//!         CallOutcome::Finished(values) => break values,
//!         CallOutcome::Yielded(call) => {
//!             frames += 1; // ... render a frame ...
//!             instance.resume(call)?
//!         }
//!         // Runs the guest once the host future is ready; never blocks.
//!         CallOutcome::Suspended(call) => instance.resume(call)?,
//!     };
//! };
//! assert_eq!((results[0].i64(), frames), (Some(42), 1));
//!
//! // Or as a future, with any executor (here the crate's own):
//! let again = rewind_host::block_on(instance.call_async("main", &[]))?;
//! assert_eq!(again[0].i64(), Some(42));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod abi;
mod asserts;
mod buffer;
mod call;
mod config;
mod data;
mod error;
mod executor;
pub mod fuel;
mod fuel_imports;
mod future;
mod imports;
mod instance;
mod module;
mod name_table;
mod names;
mod runtime;
pub mod snapshot;
mod unwound;

pub use asserts::{Called, FunctionList};
pub use call::{CallOutcome, SuspendedCall};
pub use config::{ALLOCATOR_EXPORTS, Config, DEFAULT_BUFFER_SIZE, Placement, ResumeOrder};
pub use data::HostData;
pub use error::{BoxError, Error, Phase, Result};
pub use executor::block_on;
pub use fuel::FuelOutcome;
pub use future::CallFuture;
pub use imports::Linker;
pub use instance::Instance;
pub use module::Module;
pub use snapshot::{Snapshot, SnapshotError};

/// The wasmi version this crate is built on, so hosts need not depend on it
/// separately.
pub use wasmi;
