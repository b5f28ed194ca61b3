//! Time per suspension round trip, side by side in one run:
//!
//! * **wasmi `call_resumable`**: wasmi's own resumable calls — the host
//!   function returns a host error, `call_resumable` hands back a handle,
//!   `resume` continues. No instrumentation; the engine keeps the stack.
//! * **rewind-host yield**: an Asyncify-instrumented module calls
//!   `rewind.yield_to_host()` (`Linker::func_yield`); the driver returns
//!   `Yielded`, and `Instance::resume` rewinds. Portable to any engine.
//! * **rewind-host async**: the same through `Linker::func_async` with a
//!   future that is pending once (a real unwind and rewind per call).
//! * **plain host call**: the uninstrumented loop calling a host function
//!   that does not suspend — the floor.
//!
//! Each loop iteration suspends once, at a call `depth` functions deep (the
//! Asyncify save/restore cost grows with the stack; wasmi's does not).
//!
//! `cargo bench -p rewind-host --bench roundtrip` (add `-- --quick` for a
//! short run). Numbers are medians of several batches; ratios are against
//! wasmi's `call_resumable` at the same depth.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rewind_host::wasmi::{self, Engine, FuncType, Linker as WasmiLinker, Store, Val};
use rewind_host::{CallOutcome, Linker, Module};

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

/// Suspensions per measured batch.
const BATCH: i32 = 2_000;

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

/// Median time per suspension over `batches` batches.
fn measure(batches: usize, mut batch: impl FnMut() -> u32) -> Duration {
    assert_eq!(batch(), BATCH as u32, "every iteration suspends once");
    let mut times: Vec<Duration> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            let n = batch();
            start.elapsed() / n
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let batches = if quick { 5 } else { 31 };
    let engine = Engine::default();

    println!("time per suspension round trip (median of {batches} batches of {BATCH})\n");
    println!(
        "{:>5}  {:>22}  {:>22}  {:>22}  {:>22}",
        "depth",
        "plain host call",
        "wasmi call_resumable",
        "rewind-host yield",
        "rewind-host async"
    );
    for depth in [1, 4, 16] {
        let wasm = wat::parse_str(module_wat(depth)).unwrap();
        let instrumented = rewind_transform::asyncify(
            &wasm,
            &rewind_transform::Options {
                imports: Some(vec!["rewind.yield_to_host".into()]),
                ..Default::default()
            },
        )
        .unwrap()
        .wasm;

        let plain = measure(batches, plain_calls(&engine, &wasm));
        let native = measure(batches, wasmi_resumable(&engine, &wasm));
        let yields = measure(batches, rewind_host_driver(&engine, &instrumented, false));
        let futures = measure(batches, rewind_host_driver(&engine, &instrumented, true));
        let cell = |t: Duration| {
            let ratio = t.as_secs_f64() / native.as_secs_f64();
            format!("{:>8.0} ns ({ratio:>5.2}x)", t.as_secs_f64() * 1e9)
        };
        println!(
            "{depth:>5}  {:>22}  {:>22}  {:>22}  {:>22}",
            cell(plain),
            cell(native),
            cell(yields),
            cell(futures)
        );
    }
    println!(
        "\nratios are against wasmi's call_resumable at the same depth; \
         \"plain host call\" does not suspend (the floor)"
    );
}
