//! Size and time of snapshots of a program with a 64 MiB memory, side by
//! side with copying 64 MiB (the least any snapshot of that memory costs):
//!
//! * **full**: the guest wrote every page, so every page is stored;
//! * **sparse**: the guest wrote one page in 64, the rest is zero and
//!   skipped.
//!
//! For each: `Instance::snapshot`, `Snapshot::to_bytes`,
//! `Snapshot::from_bytes` and `Instance::restore` (into a new engine and
//! store), the size of the bytes, and the restored call resumed to the end
//! to check that it gives the uninterrupted run's result.
//!
//! `cargo bench -p rewind-host --bench snapshot`. Times are medians of 5
//! runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rewind_host::wasmi::{Engine, Val};
use rewind_host::{FuelOutcome, Instance, Linker, Module, Snapshot};

/// `fill(stride)`: writes a byte every `stride` bytes over 64 MiB, then
/// spins in a loop the budget interrupts; returns a checksum when it runs
/// out of its 10 000 000 laps.
const WAT: &str = r#"(module
  (memory (export "memory") 1024 1100)
  (func (export "fill") (param $stride i32) (result i32)
    (local $p i32) (local $sum i32) (local $lap i32)
    (loop $write
      (i32.store8 (local.get $p) (i32.add (local.get $p) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (br_if $write (i32.lt_u (local.get $p) (i32.const 0x4000000))))
    (loop $spin
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.and (local.get $lap) (i32.const 0x3ffffff)))))
      (local.set $lap (i32.add (local.get $lap) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $lap) (i32.const 10000000))))
    (local.get $sum)))"#;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let wasm = rewind_transform::meter(
        &wat::parse_str(WAT).unwrap(),
        &Default::default(),
        &Default::default(),
    )
    .unwrap()
    .wasm;
    let memory = vec![1u8; 64 << 20];
    let copy = median(
        (0..5)
            .map(|_| {
                let start = Instant::now();
                black_box(black_box(&memory).clone());
                start.elapsed()
            })
            .collect(),
    );
    println!("copy 64 MiB: {}", ms(copy));
    println!(
        "{:<7} {:>12} {:>16} {:>16} {:>16} {:>16}",
        "memory", "bytes", "snapshot", "to_bytes", "from_bytes", "restore"
    );
    for (name, stride) in [("full", 1), ("sparse", 64 * 65536)] {
        let (mut snap, mut encode, mut decode, mut restore) = (vec![], vec![], vec![], vec![]);
        let mut size = 0;
        let engine = Engine::default();
        let module = Module::with_snapshots(&engine, &wasm).unwrap();
        let linker = Linker::<()>::new(&engine);
        let (expected, total) = {
            let mut instance = linker.instantiate(&module, ()).unwrap();
            let outcome = instance
                .call_with_fuel("fill", &[Val::I32(stride)], u64::MAX)
                .unwrap();
            let value = outcome.into_finished().unwrap()[0].i32();
            (value, instance.fuel_consumed())
        };
        for _ in 0..5 {
            let mut instance = linker.instantiate(&module, ()).unwrap();
            // Enough fuel to write the memory, not to finish spinning.
            let budget = total / 10 * 9;
            let FuelOutcome::OutOfFuel(call) = instance
                .call_with_fuel("fill", &[Val::I32(stride)], budget)
                .unwrap()
            else {
                panic!("finished within the budget")
            };
            let start = Instant::now();
            let snapshot = instance.snapshot(&call).unwrap();
            snap.push(start.elapsed());
            let start = Instant::now();
            let bytes = snapshot.to_bytes();
            encode.push(start.elapsed());
            size = bytes.len();
            drop((call, instance, snapshot));
            let start = Instant::now();
            let snapshot = Snapshot::from_bytes(&bytes).unwrap();
            decode.push(start.elapsed());
            let engine = Engine::default();
            let module = Module::with_snapshots(&engine, &wasm).unwrap();
            let linker = Linker::<()>::new(&engine);
            let start = Instant::now();
            let (mut restored, call) = Instance::restore(&linker, &module, &snapshot, ()).unwrap();
            restore.push(start.elapsed());
            let values = restored
                .resume_with_fuel(call, u64::MAX)
                .unwrap()
                .into_finished()
                .unwrap();
            assert_eq!(
                values[0].i32(),
                expected,
                "{name}: the restored run differs"
            );
        }
        let cell = |times: Vec<Duration>| {
            let t = median(times);
            format!("{} ({:.1}x)", ms(t), t.as_secs_f64() / copy.as_secs_f64())
        };
        println!(
            "{name:<7} {size:>12} {:>16} {:>16} {:>16} {:>16}",
            cell(snap),
            cell(encode),
            cell(decode),
            cell(restore)
        );
    }
    println!(
        "(x: times the 64 MiB copy; memory: 1024 pages of 64 KiB, plus one for the save buffer)"
    );
}
