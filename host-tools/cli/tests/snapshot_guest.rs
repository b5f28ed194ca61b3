//! A guest with rewind-guest coroutines survives a snapshot: the
//! cpu-budget example (`rewind demo budget --emit-wasm`), whose scheduler
//! runs two tasks on their own stacks, is saved after a host slice — both
//! tasks suspended inside the guest, one preempted mid-loop — restored in a
//! new engine and store, and goes on exactly as a run that was never
//! interrupted: the same reports after every slice, the same fuel.

mod common;

use common::{assert_success, rewind, scratch};
use rewind_host::wasmi::{Caller, Engine, Val};
use rewind_host::{FuelOutcome, HostData, Instance, Linker, Module, Snapshot};

/// `env.report` arguments of each task, latest first seen last.
type Reports = Vec<[i64; 6]>;

const SLICE: u64 = 100_000;
const SLICES: usize = 12;
const SAVED_AFTER: usize = 5;

fn linker(engine: &Engine) -> Linker<Reports> {
    let mut linker = Linker::<Reports>::new(engine);
    linker
        .func_wrap(
            "env",
            "report",
            |mut caller: Caller<'_, HostData<Reports>>,
             task: i32,
             done: i32,
             fuel: i64,
             turns: i64,
             preemptions: i64,
             progress: i64| {
                let report = [
                    i64::from(task),
                    i64::from(done),
                    fuel,
                    turns,
                    preemptions,
                    progress,
                ];
                caller.data_mut().push(report);
            },
        )
        .unwrap();
    linker
        .func_wrap(
            "env",
            "print",
            |_: Caller<'_, HostData<Reports>>, _: i32, _: i32| {},
        )
        .unwrap();
    linker
}

/// The reports made during each slice, and the fuel, of `SLICES` slices;
/// with `restore`, the instance goes through a snapshot after
/// `SAVED_AFTER` slices.
fn slices(wasm: &[u8], restore: bool) -> (Vec<Reports>, u64) {
    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, wasm).unwrap();
    let mut instance = linker(&engine).instantiate(&module, Vec::new()).unwrap();
    let mut outcome = instance
        .call_with_fuel("run", &[Val::I32(0), Val::I64(10_000)], SLICE)
        .unwrap();
    let mut per_slice = Vec::new();
    for n in 1..=SLICES {
        let FuelOutcome::OutOfFuel(call) = outcome else {
            panic!("slice {n}: the endless scheduler did not run out of fuel")
        };
        per_slice.push(std::mem::take(instance.data_mut()));
        if n == SLICES {
            return (per_slice, instance.fuel_consumed());
        }
        let call = if restore && n == SAVED_AFTER {
            let bytes = instance.snapshot(&call).unwrap().to_bytes();
            drop(call);
            let engine = Engine::default();
            let module = Module::with_snapshots(&engine, wasm).unwrap();
            let snapshot = Snapshot::from_bytes(&bytes).unwrap();
            let (restored, call) =
                Instance::restore(&linker(&engine), &module, &snapshot, Vec::new()).unwrap();
            instance = restored;
            call
        } else {
            call
        };
        outcome = instance.resume_with_fuel(call, SLICE).unwrap();
    }
    unreachable!("the loop returns after the last slice")
}

#[test]
fn coroutines_suspended_in_a_scheduler_round_survive_a_snapshot() {
    let dir = scratch("snapshot-guest", "budget");
    let wasm = dir.join("budget.wasm");
    assert_success(&rewind(&[
        "demo",
        "budget",
        "--emit-wasm",
        wasm.to_str().unwrap(),
    ]));
    let wasm = std::fs::read(&wasm).unwrap();
    let (expected, fuel) = slices(&wasm, false);
    // Both tasks ran before the snapshot and after it.
    for task in [0, 1] {
        assert!(
            expected[..SAVED_AFTER]
                .iter()
                .flatten()
                .any(|r| r[0] == task)
        );
        assert!(
            expected[SAVED_AFTER..]
                .iter()
                .flatten()
                .any(|r| r[0] == task)
        );
    }
    let (restored, restored_fuel) = slices(&wasm, true);
    assert_eq!(restored, expected);
    assert_eq!(restored_fuel, fuel);
}
