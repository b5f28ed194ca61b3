//! Modules metered by `rewind_transform::meter`, run in slices of fuel.

use rewind_host::wasmi::{self, Engine, Val};
use rewind_host::{Config, Error, FuelOutcome, Instance, Linker, Module};

/// `$fib(n)`, naive recursive fib, not exported (`fib` in [`WAT`] calls
/// it; no host can, so its entry check is also its rewind test).
macro_rules! fib_func {
    () => {
        r#"  (func $fib (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else
        (i64.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
"#
    };
}

const WAT: &str = concat!(
    r#"(module
  (memory (export "memory") 1)
  ;; Never returns.
  (func (export "forever") (result i32)
    (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (local.get $i))
  ;; 0 + 1 + ... + n, by recursion n deep.
  (func $sum (export "sum") (param $n i32) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.const 0))
      (else
        (i64.add
          (i64.extend_i32_u (local.get $n))
          (call $sum (i32.sub (local.get $n) (i32.const 1)))))))
  ;; fib(n), recursing through a function no host can call: its entry
  ;; check is its rewind test (the counter is parked while rewinding).
"#,
    fib_func!(),
    r#"  (func (export "fib") (param $n i32) (result i64)
    (call $fib (local.get $n)))
  ;; A loop that mixes memory and arithmetic.
  (func (export "mix") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 0xfffc))
          (i32.add (local.get $acc) (local.get $i)))
        (local.set $acc
          (i32.add
            (i32.mul (local.get $acc) (i32.const 31))
            (i32.load (i32.and (i32.mul (local.get $i) (i32.const 2)) (i32.const 0xfffc)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  ;; Nested loops and a callee with a loop of its own: a rewind toward the
  ;; inner loop's check passes the outer loop's check on the way.
  (func $steps (param $k i32) (result i32)
    (local $j i32) (local $x i32)
    (loop $l
      (local.set $x (i32.add (local.get $x) (i32.mul (local.get $j) (local.get $k))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (i32.const 5))))
    (local.get $x))
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 3)) (local.get $j)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (local.get $i))))
      (local.set $acc (i32.xor (local.get $acc) (call $steps (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
  ;; The first zero byte in [$p, $end), or -1: a small loop (unrolled by
  ;; the metering) left early by `br_if` and by `return`.
  (func (export "find_zero") (param $p i32) (param $end i32) (result i32)
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eqz (i32.load8_u (local.get $p)))
          (then (return (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.const -1))
  (data (i32.const 0) "twenty nonzero bytes\00")
)"#
);

/// The test module metered with default options, small loops unrolled
/// `unroll` times at most.
fn metered_unrolled(unroll: u32) -> Vec<u8> {
    let wasm = wat::parse_str(WAT).unwrap();
    let fuel = rewind_transform::FuelOptions {
        unroll,
        ..Default::default()
    };
    rewind_transform::meter(&wasm, &fuel, &Default::default())
        .expect("the test module meters")
        .wasm
}

fn metered() -> Vec<u8> {
    metered_unrolled(rewind_transform::FuelOptions::default().unroll)
}

fn instance() -> Instance<()> {
    instance_of(&metered())
}

fn instance_of(metered: &[u8]) -> Instance<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, metered).unwrap();
    // `rewind.out_of_fuel` is defined by the linker on its own.
    Linker::new(&engine)
        .instantiate_with_config(&module, (), Config::default().buffer_size(1 << 20))
        .unwrap()
}

/// Runs `export` in slices of `slice` fuel; returns the results, the number
/// of slices and the fuel consumed.
fn run_sliced(export: &str, args: &[Val], slice: u64) -> (Vec<Val>, u64, u64) {
    run_sliced_in(&metered(), export, args, slice)
}

/// [`run_sliced`] on a module metered some other way.
fn run_sliced_in(metered: &[u8], export: &str, args: &[Val], slice: u64) -> (Vec<Val>, u64, u64) {
    let mut instance = instance_of(metered);
    let mut outcome = instance.call_with_fuel(export, args, slice).unwrap();
    let mut slices = 1;
    loop {
        outcome = match outcome {
            FuelOutcome::Finished(values) => return (values, slices, instance.fuel_consumed()),
            FuelOutcome::OutOfFuel(call) => {
                slices += 1;
                instance.resume_with_fuel(call, slice).unwrap()
            }
            FuelOutcome::Suspended(call) => panic!("unexpected suspension in {}", call.import()),
        };
    }
}

/// Runs `export` of the module before metering, with plain wasmi.
fn unmetered(export: &str, args: &[Val]) -> Vec<Val> {
    let engine = Engine::default();
    let module = wasmi::Module::new(&engine, wat::parse_str(WAT).unwrap()).unwrap();
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .unwrap();
    let func = instance.get_func(&store, export).unwrap();
    let mut results: Vec<Val> = func
        .ty(&store)
        .results()
        .iter()
        .map(|t| Val::default_for_ty(*t))
        .collect();
    func.call(&mut store, args, &mut results).unwrap();
    results
}

fn i64s(values: &[Val]) -> Vec<i64> {
    values
        .iter()
        .map(|v| v.i64().or(v.i32().map(i64::from)).unwrap())
        .collect()
}

#[test]
fn infinite_loop_is_preempted_resumed_and_dropped() {
    let mut instance = instance();
    let FuelOutcome::OutOfFuel(mut call) = instance.call_with_fuel("forever", &[], 1000).unwrap()
    else {
        panic!("an infinite loop cannot finish");
    };
    let mut consumed = instance.last_slice_fuel();
    assert!(consumed >= 1000, "consumed {consumed}");
    for _ in 0..200 {
        call = match instance.resume_with_fuel(call, 1000).unwrap() {
            FuelOutcome::OutOfFuel(call) => call,
            other => panic!("an infinite loop came back {other:?}"),
        };
        assert!(instance.last_slice_fuel() >= 1000);
        consumed += instance.last_slice_fuel();
    }
    assert_eq!(instance.fuel_consumed(), consumed);
    // The host stops it; the instance stays usable.
    drop(call);
    assert!(instance.unfinished_calls().is_empty());
    let results = instance
        .call_with_fuel("sum", &[Val::I32(10)], u64::MAX)
        .unwrap()
        .into_finished()
        .unwrap();
    assert_eq!(i64s(&results), [55]);
}

/// A host driving the ABI exports itself may set the budget after
/// `asyncify_start_rewind`, which parks the counter: the export it calls
/// next parks it again, and `fib`'s folded entry checks still see a
/// rewind.
#[test]
fn a_budget_set_after_start_rewind_is_parked_again() {
    use wasmi::{Caller, Func, Linker as WasmiLinker, Store};
    const BUFFER: i32 = 1024;
    const SLICE: i64 = 50;
    let engine = Engine::default();
    let module = wasmi::Module::new(&engine, &metered()[..]).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = WasmiLinker::<()>::new(&engine);
    linker
        .func_wrap("rewind", "out_of_fuel", |mut caller: Caller<'_, ()>| {
            let export = |caller: &Caller<'_, ()>, name: &str| {
                caller.get_export(name).and_then(|e| e.into_func()).unwrap()
            };
            let state = export(&caller, "asyncify_get_state")
                .typed::<(), i32>(&caller)
                .unwrap()
                .call(&mut caller, ())
                .unwrap();
            if state == 0 {
                // Out of fuel: header {stack_pos, stack_end}, then unwind.
                let memory = caller.get_export("memory").unwrap().into_memory().unwrap();
                let header = [BUFFER + 8, BUFFER + 4096].map(i32::to_le_bytes).concat();
                memory.write(&mut caller, BUFFER as usize, &header).unwrap();
                let start: Func = export(&caller, "asyncify_start_unwind");
                start
                    .call(&mut caller, &[Val::I32(BUFFER)], &mut [])
                    .unwrap();
            } else {
                let stop: Func = export(&caller, "asyncify_stop_rewind");
                stop.call(&mut caller, &[], &mut []).unwrap();
            }
        })
        .unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let fuel = instance.get_global(&store, "__rewind_fuel").unwrap();
    let func = |store: &Store<()>, name: &str| instance.get_func(store, name).unwrap();
    let (fib, get_state) = (func(&store, "fib"), func(&store, "asyncify_get_state"));
    let stop_unwind = func(&store, "asyncify_stop_unwind");
    let start_rewind = func(&store, "asyncify_start_rewind");
    let state = |store: &mut Store<()>| {
        let mut out = [Val::I32(0)];
        get_state.call(store, &[], &mut out).unwrap();
        out[0].i32().unwrap()
    };
    let spent = |store: &Store<()>| SLICE - fuel.get(store).i64().unwrap();
    fuel.set(&mut store, Val::I64(SLICE)).unwrap();
    let mut result = [Val::I64(0)];
    fib.call(&mut store, &[Val::I32(15)], &mut result).unwrap();
    let (mut slices, mut consumed) = (1, spent(&store));
    while state(&mut store) == 1 {
        stop_unwind.call(&mut store, &[], &mut []).unwrap();
        start_rewind
            .call(&mut store, &[Val::I32(BUFFER)], &mut [])
            .unwrap();
        // The budget only now: the park above saw the old, spent one.
        fuel.set(&mut store, Val::I64(SLICE)).unwrap();
        fib.call(&mut store, &[Val::I32(15)], &mut result).unwrap();
        slices += 1;
        consumed += spent(&store);
    }
    assert_eq!(i64s(&result), [610]);
    assert!(slices > 100, "only {slices} slices");
    let (_, _, expected) = run_sliced("fib", &[Val::I32(15)], SLICE as u64);
    assert_eq!(u64::try_from(consumed).unwrap(), expected);
}

/// A guest that drives its own rewinds (a bottom-most runtime, the fuel
/// handler a guest function): `run_set_after` gives the budget after
/// `asyncify.start_rewind`, through `rewind.set_fuel`, and then calls the
/// folded `$fib` directly. The accessor writes the parked budget, so both
/// orders give the same result and the same fuel.
#[test]
fn a_guest_budget_set_during_its_own_rewind_is_parked() {
    let runner = |set_after: bool| {
        let (before, after) = if set_after {
            ("", "(call $set_fuel (i64.const 40))")
        } else {
            ("(call $set_fuel (i64.const 40))", "")
        };
        format!(
            r#"(module
  (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $stop_unwind))
  (import "asyncify" "start_rewind" (func $start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $stop_rewind))
  (import "asyncify" "get_state" (func $get_state (result i32)))
  (import "rewind" "get_fuel" (func $get_fuel (result i64)))
  (import "rewind" "set_fuel" (func $set_fuel (param i64)))
  (memory (export "memory") 1)
  (global $spent (mut i64) (i64.const 0))
  (func $out_of_fuel
    (if (i32.eqz (call $get_state))
      (then
        (i32.store (i32.const 16) (i32.const 24))
        (i32.store (i32.const 20) (i32.const 4096))
        (call $start_unwind (i32.const 16)))
      (else (call $stop_rewind))))
{fib}  ;; fib(n) in slices of 40; the fuel spent, in slices, is in `spent`.
  (func (export "run") (param $n i32) (result i64)
    (local $r i64)
    (call $set_fuel (i64.const 40))
    (local.set $r (call $fib (local.get $n)))
    (block $done
      (loop $again
        (global.set $spent
          (i64.add (global.get $spent) (i64.sub (i64.const 40) (call $get_fuel))))
        (br_if $done (i32.ne (call $get_state) (i32.const 1)))
        (call $stop_unwind)
        {before}
        (call $start_rewind (i32.const 16))
        {after}
        (local.set $r (call $fib (local.get $n)))
        (br $again)))
    (local.get $r))
  (func (export "spent") (result i64) (global.get $spent)))"#,
            fib = fib_func!()
        )
    };
    let run = |set_after: bool| {
        let fuel = rewind_transform::FuelOptions {
            handler: Some("out_of_fuel".into()),
            ..Default::default()
        };
        let out = rewind_transform::meter(runner(set_after).as_bytes(), &fuel, &Default::default())
            .unwrap();
        let folded = out.report.fuel.unwrap().entry_checks_folded;
        assert_eq!(folded, 1, "`$fib`'s entry check folds");
        let engine = Engine::default();
        let module = wasmi::Module::new(&engine, &out.wasm[..]).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let instance = wasmi::Linker::<()>::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        let call = |store: &mut wasmi::Store<()>, name: &str, args: &[Val]| {
            let mut out = [Val::I64(0)];
            let func = instance.get_func(&*store, name).unwrap();
            func.call(store, args, &mut out).unwrap();
            out[0].i64().unwrap()
        };
        let result = call(&mut store, "run", &[Val::I32(15)]);
        (result, call(&mut store, "spent", &[]))
    };
    let (result, spent) = run(false);
    assert_eq!(result, 610);
    assert!(spent > 40 * 100, "spent {spent}");
    assert_eq!(run(true), (result, spent));
}

/// With a cost file that makes `fib`'s entry run free, its entry check
/// only reads the counter: the fold keeps the counter's load, and the fuel
/// (the calls' costs) is still the same for every slicing.
#[test]
fn a_free_entry_run_folds_and_keeps_its_counter_load() {
    let fuel = rewind_transform::FuelOptions {
        costs: rewind_transform::Costs::parse("default 0\ncall 3\n").unwrap(),
        ..Default::default()
    };
    let wasm = wat::parse_str(WAT).unwrap();
    let out = rewind_transform::meter(&wasm, &fuel, &Default::default()).unwrap();
    assert!(out.report.fuel.unwrap().entry_checks_folded >= 1);
    let (results, _, whole) = run_sliced_in(&out.wasm, "fib", &[Val::I32(15)], u64::MAX);
    assert_eq!(i64s(&results), [610]);
    // fib(15) calls `$fib` 2 * fib(16) - 1 = 1973 times, the export's
    // call included: 3 each.
    assert_eq!(whole, 3 * 1973);
    for slice in [1, 2, 5, 100] {
        let (results, slices, fuel) = run_sliced_in(&out.wasm, "fib", &[Val::I32(15)], slice);
        assert_eq!(i64s(&results), [610]);
        assert_eq!(fuel, whole, "slices of {slice} ({slices} slices)");
    }
}

#[test]
fn deep_recursion_resumes_correctly() {
    // Deeper recursion hits wasmi's own stack limit (a trap) even unmetered.
    const DEPTH: i32 = 300;
    let (results, slices, fuel) = run_sliced("sum", &[Val::I32(DEPTH)], 500);
    assert_eq!(i64s(&results), [DEPTH as i64 * (DEPTH as i64 + 1) / 2]);
    assert!(slices > 3, "only {slices} slices");
    assert!(fuel > 2000, "fuel {fuel}");
}

/// Calls of the test module that finish.
fn finite_calls() -> Vec<(&'static str, Vec<Val>)> {
    vec![
        ("sum", vec![Val::I32(300)]),
        ("fib", vec![Val::I32(15)]),
        ("mix", vec![Val::I32(1000)]),
        ("nested", vec![Val::I32(40)]),
        ("find_zero", vec![Val::I32(3), Val::I32(100)]),
        ("find_zero", vec![Val::I32(3), Val::I32(10)]),
    ]
}

#[test]
fn large_budget_matches_the_unmetered_run() {
    for (export, args) in finite_calls() {
        let (results, slices, _) = run_sliced(export, &args, u64::MAX);
        assert_eq!(slices, 1, "{export}");
        assert_ne!(i64s(&results), [0], "{export}");
        assert_eq!(i64s(&results), i64s(&unmetered(export, &args)), "{export}");
    }
}

#[test]
fn fuel_is_deterministic_across_runs_and_slice_sizes() {
    for (export, args) in finite_calls() {
        let expected = unmetered(export, &args);
        let (_, _, reference) = run_sliced(export, &args, 10_000_000);
        for slice in [1, 2, 3, 7, 1000, 10_000_000, u64::MAX] {
            for _ in 0..2 {
                let (results, slices, fuel) = run_sliced(export, &args, slice);
                assert_eq!(i64s(&results), i64s(&expected), "{export} slice {slice}");
                assert_eq!(fuel, reference, "{export} slice {slice} ({slices} slices)");
            }
        }
    }
}

/// Unrolling small loops changes no charge: the module metered with and
/// without it consumes the same fuel for every export and slicing.
/// `find_zero` leaves its unrolled loop from each of the four copies, by
/// `return` (the zero byte at 20, from starts 0..=3) and by `br_if` (the
/// end at 10, from the same starts). Five loops are small and call-free:
/// those of `forever`, `mix`, `$steps`, `find_zero` and the inner one of
/// `nested` (its outer loop calls `$steps`).
#[test]
fn unrolled_loops_are_charged_as_if_not_unrolled() {
    let report = rewind_transform::meter(
        &wat::parse_str(WAT).unwrap(),
        &Default::default(),
        &Default::default(),
    )
    .unwrap()
    .report;
    assert_eq!(report.fuel.unwrap().loops_unrolled, 5);
    let (unrolled, plain) = (metered(), metered_unrolled(1));
    let mut calls: Vec<(&str, Vec<Val>)> = vec![
        ("mix", vec![Val::I32(1000)]),
        ("nested", vec![Val::I32(40)]),
    ];
    for start in 0..4 {
        for end in [30, 10] {
            calls.push(("find_zero", vec![Val::I32(start), Val::I32(end)]));
        }
    }
    for (export, args) in calls {
        let expected = unmetered(export, &args);
        for slice in [1, 2, 5, 1000, u64::MAX] {
            let (results, _, fuel) = run_sliced_in(&unrolled, export, &args, slice);
            let (_, _, reference) = run_sliced_in(&plain, export, &args, slice);
            assert_eq!(
                i64s(&results),
                i64s(&expected),
                "{export} {args:?} slice {slice}"
            );
            assert_eq!(fuel, reference, "{export} {args:?} slice {slice}");
        }
    }
}

#[test]
fn zero_budget_is_an_error() {
    let mut instance = instance();
    let err = instance.call_with_fuel("forever", &[], 0).unwrap_err();
    assert!(matches!(err, Error::InvalidBudget(_)), "{err}");
    let FuelOutcome::OutOfFuel(call) = instance.call_with_fuel("forever", &[], 10).unwrap() else {
        panic!("an infinite loop cannot finish");
    };
    let err = instance.resume_with_fuel(call, 0).unwrap_err();
    assert!(matches!(err, Error::InvalidBudget(_)), "{err}");
}

#[test]
fn unmetered_module_is_an_error() {
    let engine = Engine::default();
    let plain = rewind_transform::asyncify(WAT.as_bytes(), &Default::default())
        .unwrap()
        .wasm;
    let module = Module::new(&engine, plain).unwrap();
    let mut instance = Linker::<()>::new(&engine).instantiate(&module, ()).unwrap();
    let err = instance
        .call_with_fuel("sum", &[Val::I32(3)], 100)
        .unwrap_err();
    assert!(matches!(err, Error::NotMetered), "{err}");
}

#[test]
fn other_yields_continue_within_the_slice() {
    let wat = r#"(module
  (import "env" "tick" (func $tick))
  (memory (export "memory") 1)
  (func (export "ticks") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $tick)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i)))"#;
    let options = rewind_transform::Options {
        imports: Some(vec!["env.tick".into()]),
        ..Default::default()
    };
    let wasm =
        rewind_transform::meter(&wat::parse_str(wat).unwrap(), &Default::default(), &options)
            .unwrap()
            .wasm;
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_yield("env", "tick", wasmi::FuncType::new([], []))
        .unwrap();
    let run = |slice: u64| {
        let mut instance = linker.instantiate(&module, ()).unwrap();
        let (mut ticks, mut slices) = (0, 1);
        let mut outcome = instance
            .call_with_fuel("ticks", &[Val::I32(50)], slice)
            .unwrap();
        let results = loop {
            outcome = match outcome {
                FuelOutcome::Finished(values) => break values,
                FuelOutcome::Suspended(call) => {
                    assert_eq!(call.import(), "env.tick");
                    ticks += 1;
                    instance.continue_with_fuel(call).unwrap()
                }
                FuelOutcome::OutOfFuel(call) => {
                    slices += 1;
                    instance.resume_with_fuel(call, slice).unwrap()
                }
            };
        };
        assert_eq!(i64s(&results), [50]);
        assert_eq!(ticks, 50);
        (slices, instance.fuel_consumed())
    };
    let (one, total) = run(u64::MAX);
    assert_eq!(one, 1);
    let (many, sliced) = run(20);
    assert!(many > 10, "{many} slices");
    assert_eq!(sliced, total);
}

#[test]
fn the_guest_reads_and_sets_its_counter() {
    let wat = r#"(module
      (import "rewind" "get_fuel" (func $get (result i64)))
      (import "rewind" "set_fuel" (func $set (param i64)))
      (memory (export "memory") 1)
      (func (export "remaining") (result i64) (call $get))
      (func (export "give") (param i64) (result i64)
        (call $set (local.get 0))
        (call $get)))"#;
    let wasm = wat::parse_str(wat).unwrap();
    let metered = rewind_transform::meter(&wasm, &Default::default(), &Default::default())
        .unwrap()
        .wasm;
    let engine = Engine::default();
    let module = Module::new(&engine, metered).unwrap();
    let mut instance = Linker::new(&engine).instantiate(&module, ()).unwrap();
    let results = instance
        .call_with_fuel("remaining", &[], 500)
        .unwrap()
        .into_finished()
        .unwrap();
    // The function's only run, `call $get`, costs one call (5) and is
    // charged before the call reads the counter.
    assert_eq!(i64s(&results), [495]);
    let results = instance
        .call_with_fuel("give", &[Val::I64(77)], 500)
        .unwrap()
        .into_finished()
        .unwrap();
    assert_eq!(i64s(&results), [77]);
}

#[test]
fn an_imported_fuel_global_is_defined_per_instance() {
    let wasm = wat::parse_str(WAT).unwrap();
    let options = rewind_transform::FuelOptions {
        import_fuel: true,
        ..Default::default()
    };
    let metered = rewind_transform::meter(&wasm, &options, &Default::default())
        .unwrap()
        .wasm;
    let engine = Engine::default();
    let module = Module::new(&engine, metered).unwrap();
    let linker = Linker::new(&engine);
    let config = || Config::default().buffer_size(1 << 20);
    let mut a = linker
        .instantiate_with_config(&module, (), config())
        .unwrap();
    let mut b = linker
        .instantiate_with_config(&module, (), config())
        .unwrap();
    let (expected, _, fuel) = run_sliced("sum", &[Val::I32(300)], u64::MAX);
    let mut outcome = a.call_with_fuel("sum", &[Val::I32(300)], 100).unwrap();
    let mut slices = 1;
    while let FuelOutcome::OutOfFuel(call) = outcome {
        // The other instance's counter is its own.
        assert!(
            b.call_with_fuel("mix", &[Val::I32(10)], 1 << 40)
                .unwrap()
                .is_finished()
        );
        slices += 1;
        outcome = a.resume_with_fuel(call, 100).unwrap();
    }
    assert_eq!(i64s(&outcome.into_finished().unwrap()), i64s(&expected));
    assert!(slices > 10, "{slices} slices");
    assert_eq!(a.fuel_consumed(), fuel);
    assert_eq!(a.fuel_remaining(), Some(100 - a.last_slice_fuel() as i64));
}
