//! Time per suspension round trip, side by side in one run:
//!
//! * **plain host call**: the uninstrumented loop calling a host function
//!   that does not suspend — the floor.
//! * **wasmi `call_resumable`**: wasmi's own resumable calls — the host
//!   function returns a host error, `call_resumable` hands back a handle,
//!   `resume` continues. No instrumentation; the engine keeps the stack.
//! * **bare driver**: the least a host can do to drive Binaryen's protocol
//!   on the instrumented module (`bare_driver`), through the ABI exports
//!   and through the exported state globals.
//! * **rewind-host yield**: the instrumented module calls
//!   `rewind.yield_to_host()` (`Linker::func_yield`); the driver returns
//!   `Yielded`, and `Instance::resume` rewinds.
//! * **rewind-host async**: the same through `Linker::func_async` with a
//!   future that is pending once (a real unwind and rewind per call).
//! * **rewind-host yield, no exported globals**: the module instrumented
//!   without `--export-globals`, so the driver calls the ABI exports.
//!
//! Each loop iteration suspends once, at a call `depth` functions deep (the
//! Asyncify save/restore cost grows with the stack; wasmi's does not). The
//! last column is the cost of one more frame (the slope from depth 1 to
//! 16); below the table, that cost beyond an ordinary call, against the
//! frame's own save + restore (the bare driver's).
//!
//! `cargo bench -p rewind-host --bench roundtrip` (add `-- --quick` for a
//! short run). Numbers are medians of several batches, the drivers taking
//! turns batch by batch; ratios are against wasmi's `call_resumable` and
//! against the bare driver with exported globals, at the same depth.
//! Results: `docs/performance.md`.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rewind_host::wasmi::{self, Engine, FuncType, Linker as WasmiLinker, Store, Val};
use rewind_host::{CallOutcome, Linker, Module};

mod bare_driver;
use bare_driver::Control;

/// `run(n)` suspends `n` times, each at the bottom of `depth` nested calls
/// that keep a few locals live across the suspension.
fn module_wat(depth: u32) -> String {
    format!(
        r#"(module
  (import "rewind" "yield_to_host" (func $yield))
  (memory (export "memory") 1)
  (func $down (param $d i32) (result i32)
    (local $a i32) (local $b i64)
    (local.set $a (i32.mul (local.get $d) (i32.const 3)))
    (local.set $b (i64.extend_i32_u (local.get $d)))
    (if (i32.eqz (local.get $d))
      (then (call $yield))
      (else (drop (call $down (i32.sub (local.get $d) (i32.const 1))))))
    (i32.add (local.get $a) (i32.wrap_i64 (local.get $b))))
  (func (export "run") (param $n i32) (result i32)
    (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $down (i32.const {}))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $sum)))"#,
        depth - 1
    )
}

/// A host error that stands for "yield" in wasmi's resumable calls.
#[derive(Debug)]
struct Yield;

impl std::fmt::Display for Yield {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("yield")
    }
}

impl wasmi::errors::HostError for Yield {}

/// A future that is pending once, then ready: one real suspension.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = Result<Vec<Val>, rewind_host::BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.0 {
            Poll::Ready(Ok(Vec::new()))
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Suspensions per measured batch: short batches, so that most of them run
/// without being preempted on a busy machine and the median is theirs.
const BATCH: i32 = 200;

fn wasmi_resumable(engine: &Engine, wasm: &[u8]) -> impl FnMut() -> u32 {
    let module = wasmi::Module::new(engine, wasm).unwrap();
    let mut store = Store::new(engine, ());
    let mut linker = WasmiLinker::<()>::new(engine);
    linker
        .func_wrap("rewind", "yield_to_host", || -> Result<(), wasmi::Error> {
            Err(wasmi::Error::host(Yield))
        })
        .unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    move || {
        let mut out = [Val::I32(0)];
        let mut suspensions = 0;
        let mut call = run
            .call_resumable(&mut store, &[Val::I32(BATCH)], &mut out)
            .unwrap();
        loop {
            match call {
                wasmi::ResumableCall::Finished => break,
                wasmi::ResumableCall::HostTrap(trap) => {
                    suspensions += 1;
                    call = trap.resume(&mut store, &[], &mut out).unwrap();
                }
                wasmi::ResumableCall::OutOfFuel(_) => unreachable!("fuel is off"),
            }
        }
        black_box(out);
        suspensions
    }
}

fn plain_calls(engine: &Engine, wasm: &[u8]) -> impl FnMut() -> u32 {
    let module = wasmi::Module::new(engine, wasm).unwrap();
    let mut store = Store::new(engine, 0u32);
    let mut linker = WasmiLinker::<u32>::new(engine);
    linker
        .func_wrap(
            "rewind",
            "yield_to_host",
            |mut caller: wasmi::Caller<'_, u32>| {
                *caller.data_mut() += 1;
            },
        )
        .unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    move || {
        *store.data_mut() = 0;
        let mut out = [Val::I32(0)];
        run.call(&mut store, &[Val::I32(BATCH)], &mut out).unwrap();
        black_box(out);
        *store.data()
    }
}

fn rewind_host_driver(
    engine: &Engine,
    instrumented: &[u8],
    async_import: bool,
) -> impl FnMut() -> u32 {
    let module = Module::new(engine, instrumented).unwrap();
    let mut linker = Linker::<()>::new(engine);
    if async_import {
        linker
            .func_async("rewind", "yield_to_host", FuncType::new([], []), |_, _| {
                PendingOnce(false)
            })
            .unwrap();
    } else {
        linker
            .func_yield("rewind", "yield_to_host", FuncType::new([], []))
            .unwrap();
    }
    let mut instance = linker.instantiate(&module, ()).unwrap();
    move || {
        let mut suspensions = 0;
        let mut outcome = instance.call_resumable("run", &[Val::I32(BATCH)]).unwrap();
        loop {
            outcome = match outcome {
                CallOutcome::Finished(values) => {
                    black_box(values);
                    break;
                }
                CallOutcome::Yielded(call) | CallOutcome::Suspended(call) => {
                    suspensions += 1;
                    instance.resume(call).unwrap()
                }
            };
        }
        suspensions
    }
}

/// Median time per suspension of each driver over `batches` batches, the
/// drivers taking turns batch by batch so that noise hits them alike.
fn measure(batches: usize, drivers: &mut [Box<dyn FnMut() -> u32 + '_>]) -> Vec<Duration> {
    for batch in drivers.iter_mut() {
        assert_eq!(batch(), BATCH as u32, "every iteration suspends once");
    }
    let mut times = vec![Vec::with_capacity(batches); drivers.len()];
    for _ in 0..batches {
        for (batch, times) in drivers.iter_mut().zip(&mut times) {
            let start = Instant::now();
            let n = batch();
            times.push(start.elapsed() / n);
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

/// The drivers, in table order.
const DRIVERS: [&str; 7] = [
    "plain host call (no suspension)",
    "wasmi call_resumable",
    "bare driver, ABI exports",
    "bare driver, exported globals",
    "rewind-host yield",
    "rewind-host async",
    "rewind-host yield, no exported globals",
];
const PLAIN: usize = 0;
const NATIVE: usize = 1;
const BARE_GLOBALS: usize = 3;
const DEPTHS: [u32; 3] = [1, 4, 16];

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let batches = if quick { 21 } else { 301 };
    let engine = Engine::default();

    // times[driver][depth]
    let mut times = vec![Vec::new(); DRIVERS.len()];
    for depth in DEPTHS {
        let wasm = wat::parse_str(module_wat(depth)).unwrap();
        let instrument = |export_globals| {
            let options = rewind_transform::Options {
                imports: Some(vec!["rewind.yield_to_host".into()]),
                export_globals,
                ..Default::default()
            };
            rewind_transform::asyncify(&wasm, &options).unwrap().wasm
        };
        let (globals, exports) = (instrument(true), instrument(false));
        let mut drivers: Vec<Box<dyn FnMut() -> u32>> = vec![
            Box::new(plain_calls(&engine, &wasm)),
            Box::new(wasmi_resumable(&engine, &wasm)),
            Box::new(bare_driver::driver(
                &engine,
                &globals,
                Control::Exports,
                BATCH,
            )),
            Box::new(bare_driver::driver(
                &engine,
                &globals,
                Control::Globals,
                BATCH,
            )),
            Box::new(rewind_host_driver(&engine, &globals, false)),
            Box::new(rewind_host_driver(&engine, &globals, true)),
            Box::new(rewind_host_driver(&engine, &exports, false)),
        ];
        for (driver, t) in measure(batches, &mut drivers).into_iter().enumerate() {
            times[driver].push(t.as_secs_f64() * 1e9);
        }
    }

    println!("time per suspension round trip (median of {batches} batches of {BATCH})\n");
    let mut header = format!("{:<40}", "driver");
    for depth in DEPTHS {
        header += &format!("  {:>24}", format!("depth {depth}"));
    }
    println!("{header}  {:>16}", "per extra frame");
    // Per extra frame: the slope from the shallowest to the deepest stack.
    let (first, last) = (DEPTHS[0], DEPTHS[DEPTHS.len() - 1]);
    let slope = |t: &[f64]| (t[t.len() - 1] - t[0]) / f64::from(last - first);
    for (name, t) in DRIVERS.iter().zip(&times) {
        let mut row = format!("{name:<40}");
        for (i, ns) in t.iter().enumerate() {
            let native = times[NATIVE][i];
            let bare = times[BARE_GLOBALS][i];
            row += &format!("  {ns:>6.0} ns {:>5.2}x {:>5.2}x", ns / native, ns / bare);
        }
        println!("{row}  {:>13.0} ns", slope(t));
    }
    // What one more suspended frame costs beyond its ordinary call: its own
    // save + restore (with the bare driver), and the same under each driver.
    let own = slope(&times[BARE_GLOBALS]) - slope(&times[PLAIN]);
    println!(
        "\nratios: against wasmi call_resumable, then against the bare driver \
         with exported globals, at the same depth"
    );
    println!("one extra frame's own save + restore (bare driver minus plain call): {own:.0} ns");
    for (name, t) in DRIVERS.iter().zip(&times).skip(BARE_GLOBALS + 1) {
        let extra = slope(t) - slope(&times[PLAIN]);
        println!(
            "  {name:<40} {extra:>6.0} ns per extra frame ({:.2}x)",
            extra / own
        );
    }
}
