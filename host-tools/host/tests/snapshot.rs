//! Snapshots: a metered computation stopped after every k-th slice, saved
//! to bytes, restored in a new engine and store, and resumed, finishes with
//! the result and fuel of an uninterrupted run; hostile bytes are refused.

use rewind_host::wasmi::{Caller, Engine, ExternRef, FuncType, Nullable, Val, ValType};
use rewind_host::{
    Error, FuelOutcome, HostData, Instance, Linker, Module, Snapshot, SnapshotError,
};

/// State everywhere a snapshot must reach: a global that is not exported,
/// a table whose entries change, memory that grows, recursion.
const WAT: &str = r#"(module
  (memory (export "memory") 1 64)
  (global $acc (mut i64) (i64.const 7))
  (type $op (func (param i64) (result i64)))
  (table 2 funcref)
  (elem (i32.const 0) $double $inc)
  (func $double (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
  (func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
  (func $depth (param $d i32) (result i64)
    (if (result i64) (i32.eqz (local.get $d))
      (then (global.get $acc))
      (else (i64.add (call $depth (i32.sub (local.get $d) (i32.const 1))) (i64.const 1)))))
  (func (export "work") (param $n i32) (result i64)
    (local $i i32)
    (loop $l
      (global.set $acc
        (i64.rem_u
          (call_indirect (type $op) (global.get $acc) (i32.and (local.get $i) (i32.const 1)))
          (i64.const 1000000007)))
      (i64.store (i32.mul (i32.and (local.get $i) (i32.const 4095)) (i32.const 8))
        (global.get $acc))
      (if (i32.eq (local.get $i) (i32.const 300))
        (then
          (drop (memory.grow (i32.const 2)))
          (table.set (i32.const 0) (ref.func $inc))))
      (global.set $acc (call $depth (i32.and (local.get $i) (i32.const 15))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (global.get $acc) (i64.load (i32.const 800)))))"#;

const N: i32 = 2000;
const SLICE: u64 = 2_000;

fn metered(wat: &str) -> Vec<u8> {
    let wasm = wat::parse_str(wat).unwrap();
    rewind_transform::meter(&wasm, &Default::default(), &Default::default())
        .unwrap()
        .wasm
}

/// A fresh engine, the module loaded for snapshots, and a linker.
fn load(wasm: &[u8]) -> (Module, Linker<()>) {
    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, wasm).unwrap();
    (module, Linker::new(&engine))
}

/// The result and fuel of one uninterrupted run.
fn reference(wasm: &[u8]) -> (i64, u64) {
    let (module, linker) = load(wasm);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let outcome = instance
        .call_with_fuel("work", &[Val::I32(N)], u64::MAX)
        .unwrap();
    let values = outcome.into_finished().unwrap();
    (values[0].i64().unwrap(), instance.fuel_consumed())
}

/// The first snapshot taken after `slices` slices.
fn snapshot_after(wasm: &[u8], slices: usize) -> Snapshot {
    let (module, linker) = load(wasm);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let mut outcome = instance
        .call_with_fuel("work", &[Val::I32(N)], SLICE)
        .unwrap();
    for _ in 1..slices {
        let FuelOutcome::OutOfFuel(call) = outcome else {
            panic!("finished early")
        };
        outcome = instance.resume_with_fuel(call, SLICE).unwrap();
    }
    let FuelOutcome::OutOfFuel(call) = outcome else {
        panic!("finished early")
    };
    instance.snapshot(&call).unwrap()
}

#[test]
fn resumed_from_a_snapshot_every_k_slices_gives_the_same_result_and_fuel() {
    let wasm = metered(WAT);
    let (result, fuel) = reference(&wasm);
    for k in [1, 3, 10] {
        let (module, linker) = load(&wasm);
        let mut instance = linker.instantiate(&module, ()).unwrap();
        let mut outcome = instance
            .call_with_fuel("work", &[Val::I32(N)], SLICE)
            .unwrap();
        let mut slices = 1;
        let mut restores = 0;
        let values = loop {
            let call = match outcome {
                FuelOutcome::Finished(values) => break values,
                FuelOutcome::OutOfFuel(call) => call,
                FuelOutcome::Suspended(_) => panic!("nothing else suspends"),
            };
            if slices % k == 0 {
                // Through bytes, into a new engine, module, linker and store.
                let bytes = instance.snapshot(&call).unwrap().to_bytes();
                drop(call);
                drop(instance);
                let snapshot = Snapshot::from_bytes(&bytes).unwrap();
                assert_eq!(snapshot.export(), "work");
                assert_eq!(snapshot.import(), "rewind.out_of_fuel");
                let (module, linker) = load(&wasm);
                let (restored, call) = Instance::restore(&linker, &module, &snapshot, ()).unwrap();
                instance = restored;
                restores += 1;
                outcome = instance.resume_with_fuel(call, SLICE).unwrap();
            } else {
                outcome = instance.resume_with_fuel(call, SLICE).unwrap();
            }
            slices += 1;
        };
        assert!(restores >= 5, "k = {k}: only {restores} restores");
        assert_eq!(values[0].i64(), Some(result), "k = {k}");
        assert_eq!(instance.fuel_consumed(), fuel, "k = {k}");
    }
}

#[test]
fn zero_pages_are_not_stored() {
    // 16 pages, of which the guest writes only the first; the driver adds
    // one for the save buffer.
    let wat = WAT.replace(
        r#"(memory (export "memory") 1 64)"#,
        r#"(memory (export "memory") 16 64)"#,
    );
    let snapshot = snapshot_after(&metered(&wat), 3);
    assert_eq!(snapshot.memory_size(), 17 * 65536);
    let bytes = snapshot.to_bytes();
    assert!(bytes.len() < 2 * 65536 + 4096, "{} bytes", bytes.len());
}

#[test]
fn every_truncation_and_flipped_byte_is_an_error() {
    let bytes = snapshot_after(&metered(WAT), 3).to_bytes();
    for len in 0..bytes.len() {
        let error = Snapshot::from_bytes(&bytes[..len]).unwrap_err();
        assert!(
            matches!(
                error,
                SnapshotError::Truncated { .. } | SnapshotError::BadMagic
            ),
            "{len}: {error}"
        );
    }
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut hostile = bytes.clone();
        let at = (state % bytes.len() as u64) as usize;
        hostile[at] ^= 1 << ((state >> 32) % 8);
        assert!(Snapshot::from_bytes(&hostile).is_err(), "flip at {at}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Snapshot::from_bytes(&longer).is_err());
    let mut version = bytes.clone();
    version[8] = 9;
    assert!(matches!(
        Snapshot::from_bytes(&version),
        Err(SnapshotError::Version { found: 9, .. })
    ));
    assert!(matches!(
        Snapshot::from_bytes(b"\x7fELF and more bytes than a header"),
        Err(SnapshotError::BadMagic)
    ));
}

#[test]
fn another_modules_snapshot_is_refused() {
    let snapshot = snapshot_after(&metered(WAT), 2);
    let other = metered(&WAT.replace("1000000007", "1000000009"));
    let (module, linker) = load(&other);
    let error = Instance::restore(&linker, &module, &snapshot, ()).unwrap_err();
    assert!(
        matches!(error, Error::Snapshot(SnapshotError::WrongModule { .. })),
        "{error}"
    );
}

#[test]
fn a_module_loaded_without_snapshots_cannot_take_or_restore_them() {
    let wasm = metered(WAT);
    let snapshot = snapshot_after(&wasm, 1);
    let engine = Engine::default();
    let module = Module::new(&engine, &wasm).unwrap();
    let linker = Linker::new(&engine);
    let error = Instance::restore(&linker, &module, &snapshot, ()).unwrap_err();
    assert!(
        error.to_string().contains("Module::with_snapshots"),
        "{error}"
    );
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let FuelOutcome::OutOfFuel(call) = instance
        .call_with_fuel("work", &[Val::I32(N)], SLICE)
        .unwrap()
    else {
        panic!("finished early")
    };
    let error = instance.snapshot(&call).unwrap_err();
    assert!(
        matches!(error, Error::Snapshot(SnapshotError::NotEnabled)),
        "{error}"
    );
}

#[test]
fn a_yield_is_restored_with_its_arguments_and_resumed_with_values() {
    let wasm = rewind_transform::asyncify(
        &wat::parse_str(
            r#"(module
              (import "host" "ask" (func $ask (param i32 f64) (result i64)))
              (memory (export "memory") 1)
              (func (export "main") (param $x i32) (result i64)
                (i64.add (call $ask (local.get $x) (f64.const 2.5)) (i64.extend_i32_u (local.get $x)))))"#,
        )
        .unwrap(),
        &Default::default(),
    )
    .unwrap()
    .wasm;
    let yielding = |engine: &Engine| {
        let mut linker = Linker::<()>::new(engine);
        let ty = FuncType::new([ValType::I32, ValType::F64], [ValType::I64]);
        linker.func_yield("host", "ask", ty).unwrap();
        linker
    };
    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, &wasm).unwrap();
    let mut instance = yielding(&engine).instantiate(&module, ()).unwrap();
    let call = instance
        .call_resumable("main", &[Val::I32(40)])
        .unwrap()
        .into_suspended()
        .unwrap();
    let bytes = instance.snapshot(&call).unwrap().to_bytes();

    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, &wasm).unwrap();
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let (mut instance, call) =
        Instance::restore(&yielding(&engine), &module, &snapshot, ()).unwrap();
    assert!(call.is_yield());
    assert_eq!(call.import(), "host.ask");
    let args = call.yielded_values().unwrap();
    assert_eq!(
        (args[0].i32(), args[1].f64().map(f64::from)),
        (Some(40), Some(2.5))
    );
    let values = instance
        .resume_with(call, &[Val::I64(2)])
        .unwrap()
        .into_finished()
        .unwrap();
    assert_eq!(values[0].i64(), Some(42));
}

#[test]
fn a_host_externref_in_a_table_is_named() {
    let wasm = rewind_transform::asyncify(
        &wat::parse_str(
            r#"(module
              (import "host" "make" (func $make (result externref)))
              (import "host" "wait" (func $wait))
              (memory (export "memory") 1)
              (table 1 externref)
              (func (export "main")
                (table.set (i32.const 0) (call $make))
                (call $wait)))"#,
        )
        .unwrap(),
        &Default::default(),
    )
    .unwrap()
    .wasm;
    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, &wasm).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "make", |mut caller: Caller<'_, HostData<()>>| {
            Nullable::Val(ExternRef::new(&mut caller, 5_u32))
        })
        .unwrap();
    linker
        .func_yield("host", "wait", FuncType::new([], []))
        .unwrap();
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let call = instance
        .call_resumable("main", &[])
        .unwrap()
        .into_suspended()
        .unwrap();
    let error = instance.snapshot(&call).unwrap_err().to_string();
    assert!(
        error.contains("table 0") && error.contains("externref"),
        "{error}"
    );
}

/// A host future that is pending on its first poll and ready with `value`
/// on the next.
struct Later(Option<i32>);

impl std::future::Future for Later {
    type Output = Result<Vec<Val>, rewind_host::BoxError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.0.take() {
            Some(value) => std::task::Poll::Ready(Ok(vec![Val::I32(value)])),
            None => {
                self.0 = Some(5);
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }
}

#[test]
fn a_completed_future_is_saved_with_its_result_and_a_pending_one_is_refused() {
    let wasm = rewind_transform::asyncify(
        &wat::parse_str(
            r#"(module
              (import "host" "later" (func $later (result i32)))
              (memory (export "memory") 1)
              (func (export "main") (result i32)
                (i32.mul (call $later) (i32.const 8))))"#,
        )
        .unwrap(),
        &Default::default(),
    )
    .unwrap()
    .wasm;
    let linker = |engine: &Engine| {
        let mut linker = Linker::<()>::new(engine);
        let ty = FuncType::new([], [ValType::I32]);
        linker
            .func_async("host", "later", ty, |_, _| Later(None))
            .unwrap();
        linker
    };
    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, &wasm).unwrap();
    let mut instance = linker(&engine).instantiate(&module, ()).unwrap();
    let mut call = instance
        .call_resumable("main", &[])
        .unwrap()
        .into_suspended()
        .unwrap();
    let error = instance.snapshot(&call).unwrap_err().to_string();
    assert!(error.contains("pending future of `host.later`"), "{error}");
    assert!(call.is_ready());
    let bytes = instance.snapshot(&call).unwrap().to_bytes();

    let engine = Engine::default();
    let module = Module::with_snapshots(&engine, &wasm).unwrap();
    let snapshot = Snapshot::from_bytes(&bytes).unwrap();
    let (mut instance, call) = Instance::restore(&linker(&engine), &module, &snapshot, ()).unwrap();
    let values = instance.resume(call).unwrap().into_finished().unwrap();
    assert_eq!(values[0].i32(), Some(40));
}
