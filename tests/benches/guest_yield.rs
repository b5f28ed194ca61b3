//! Cost of one `rewind-guest` yield + resume round trip under wasmi, side
//! by side (one run, same module, same engine) with:
//!
//! * a plain wasm call (`bench_plain_calls`: a call of a small
//!   `#[inline(never)]` function);
//! * a coroutine round trip inside the guest (`bench_coroutine`: `resume`
//!   + `yield_`, an unwind and a rewind of the coroutine's stack);
//! * a yield to the host (`bench_yield_to_host`: the whole export unwinds
//!   to the host, which rewinds it with Binaryen's protocol);
//! * wasmi's own resumable host call (`bench_pause` under
//!   `TypedFunc::call_resumable`: the host function returns a host error,
//!   the host resumes the call).
//!
//! Run: `cargo bench -p rewind-tests --bench guest_yield` (needs the
//! `[[bench]] name = "guest_yield", harness = false` entry). Reports ns per
//! operation (best of several runs) and the ratios.

#[path = "../tests/guest_common/mod.rs"]
mod guest_common;

use std::time::{Duration, Instant};

use guest_common::{Guest, example_wasm, instrument};
use rewind_transform::Options;
use wasmi::TypedResumableCall;

const CHECKS: &str = "rewind_example_guest_checks";
const RUNS: usize = 7;

fn best<F: FnMut() -> Duration>(mut f: F) -> Duration {
    (0..RUNS).map(|_| f()).min().unwrap()
}

fn per_op(d: Duration, n: u32) -> f64 {
    d.as_nanos() as f64 / f64::from(n)
}

fn main() {
    let wasm = example_wasm(CHECKS);
    let options = Options {
        imports: Some(vec!["rewind.yield_to_host".into(), "env.suspend".into()]),
        ..Options::default()
    };
    let instrumented = instrument(&wasm, &options).wasm;

    let n: u32 = 200_000;
    let mut g = Guest::new(&instrumented).unwrap();
    let plain = best(|| {
        let t = Instant::now();
        assert_eq!(g.call_i32("bench_plain_calls", n as i32).unwrap(), n as i32);
        t.elapsed()
    });

    let mut g = Guest::new(&instrumented).unwrap();
    let coroutine = best(|| {
        let t = Instant::now();
        assert_eq!(g.call_i32("bench_coroutine", n as i32).unwrap(), n as i32);
        t.elapsed()
    });

    let host_n: u32 = 20_000;
    let mut g = Guest::new(&instrumented).unwrap();
    let host = best(|| {
        let t = Instant::now();
        assert_eq!(
            g.call_i32("bench_yield_to_host", host_n as i32).unwrap(),
            host_n as i32
        );
        t.elapsed()
    });

    let mut g = Guest::new(&instrumented).unwrap();
    g.store.data_mut().pause_interrupts = true;
    let pause = g
        .instance
        .get_typed_func::<i32, i32>(&g.store, "bench_pause")
        .unwrap();
    let resumable = best(|| {
        let t = Instant::now();
        let mut call = pause.call_resumable(&mut g.store, host_n as i32).unwrap();
        let mut interrupts = 0;
        let result = loop {
            match call {
                TypedResumableCall::Finished(r) => break r,
                TypedResumableCall::HostTrap(trap) => {
                    interrupts += 1;
                    call = trap.resume(&mut g.store, &[]).unwrap();
                }
                TypedResumableCall::OutOfFuel(_) => unreachable!(),
            }
        };
        assert_eq!((result, interrupts), (host_n as i32, host_n));
        t.elapsed()
    });

    let plain_ns = per_op(plain, n);
    let co_ns = per_op(coroutine, n);
    let host_ns = per_op(host, host_n);
    let res_ns = per_op(resumable, host_n);
    println!("rewind-guest yield + resume round trip under wasmi (best of {RUNS} runs)");
    println!(
        "{:<44} {:>10} {:>12} {:>16}",
        "operation", "ns/op", "vs plain", "vs resumable"
    );
    for (name, ns) in [
        ("plain call", plain_ns),
        ("coroutine yield + resume (rewind-guest)", co_ns),
        ("yield_to_host + host rewind (rewind-guest)", host_ns),
        ("wasmi call_resumable host trap + resume", res_ns),
    ] {
        println!(
            "{name:<44} {ns:>10.1} {:>11.1}x {:>15.2}x",
            ns / plain_ns,
            ns / res_ns
        );
    }
}
