//! Slowdown of fuel metering under wasmi, side by side in one run:
//!
//! * **(a) plain**: the uninstrumented module under plain wasmi.
//! * **(b) wasmi fuel**: the same module under wasmi with
//!   `Config::consume_fuel(true)` and a huge budget (wasmi's own metering).
//! * **(c) rewind 1 slice**: the module metered by `rewind_transform::meter`
//!   (default costs and options), run through rewind-host
//!   `Instance::call_with_fuel` with a huge budget: never runs out.
//! * **(d) rewind ~100 slices**: the same with a budget of about 1/100 of
//!   the fuel the call consumes, resumed with `Instance::resume_with_fuel`
//!   until it finishes (each slice is a real unwind and rewind).
//! * **(e) rewind fast path**: as (c), metered with `Options::fast_path`
//!   (a guard-free copy of each instrumented body for normal state).
//! * **(f) wasm-instrument**: the engine-agnostic peer of (c): gas metering
//!   injected by parity's `wasm-instrument` crate (its mutable-global
//!   backend, one unit per instruction: a call of its gas function in every
//!   metered block, a trap when the gas runs out), under plain wasmi with a
//!   huge budget. It traps where rewind suspends.
//!
//! Three CPU-bound kernels: a tight counting/arithmetic loop, recursive
//! fib, and a loop writing then summing an array in linear memory. Each
//! module has a memory (unused by the first two) because the Asyncify
//! stage of `meter` keeps its save stack there; all four columns run the
//! same module.
//!
//! A second table takes the loop kernel apart: the same loop with
//! hand-written loop heads (a charge into a local, through the global, a
//! whole check), to show where the remaining cost of (c) is. A third lays
//! the kernel out K times a turn, as `--unroll-loops` does, bare and with
//! one branch-free charge a turn: what one instruction every K iterations
//! costs under the interpreter. A fourth does for fib what the second does
//! for the loop: the least any Asyncify-style metering must add to it,
//! written by hand (an unwind check after each recursive call, a charge and
//! check at entry), without guards, spills or frames.
//!
//! `cargo bench -p rewind-host --bench fuel` (add `-- --quick` for a short
//! run). Numbers are medians of several runs of one call, the four
//! columns taking turns call by call; ratios are against (a) and (b).

use std::hint::black_box;
use std::time::{Duration, Instant};

use rewind_host::wasmi::{self, Config, Engine, Linker as WasmiLinker, Store, Val};
use rewind_host::{FuelOutcome, Linker, Module};
use rewind_transform::Options;

/// `run(n)`: `n` iterations of a few dependent i32 ops.
const LOOP_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $again
      (local.set $acc
        (i32.xor
          (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $i))
          (i32.shr_u (local.get $acc) (i32.const 7))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))"#;

/// `run(n)`: naive recursive fib(n).
const FIB_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "run") (param $n i32) (result i32)
    (call $fib (local.get $n))))"#;

/// `run(n)`: `n` passes over a 16 Ki-element i32 array (64 KiB), each
/// writing every element from its neighbour and summing it.
const MEMORY_WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "run") (param $n i32) (result i32)
    (local $pass i32) (local $p i32) (local $sum i32)
    (loop $passes
      (local.set $p (i32.const 4))
      (loop $elems
        (i32.store (local.get $p)
          (i32.add
            (i32.load (i32.sub (local.get $p) (i32.const 4)))
            (i32.add (local.get $p) (local.get $pass))))
        (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $elems (i32.lt_u (local.get $p) (i32.const 65536))))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br_if $passes (i32.lt_u (local.get $pass) (local.get $n))))
    (local.get $sum)))"#;

/// Slices aimed at for (d).
const SLICES: u64 = 100;
/// A budget that never runs out.
const HUGE: u64 = 1 << 62;

/// One call of `run(arg)` under plain wasmi (`fuel` false) or wasmi with
/// its fuel metering on and a huge budget.
fn wasmi_runner(wasm: &[u8], arg: i32, fuel: bool) -> impl FnMut() -> i32 + use<> {
    let mut config = Config::default();
    config.consume_fuel(fuel);
    let engine = Engine::new(&config);
    let module = wasmi::Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let linker = WasmiLinker::<()>::new(&engine);
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    move || {
        if fuel {
            store.set_fuel(HUGE).unwrap();
        }
        let mut out = [Val::I32(0)];
        run.call(&mut store, &[Val::I32(arg)], &mut out).unwrap();
        out[0].i32().unwrap()
    }
}

/// The global `wasm-instrument` keeps the gas left in (exported).
const GAS_GLOBAL: &str = "gas_left";

/// `wasm` with gas metering injected by `wasm-instrument` (column (f)).
fn gas_metered(wasm: &[u8]) -> Vec<u8> {
    use wasm_instrument::gas_metering::{self, ConstantCostRules, mutable_global};
    use wasm_instrument::parity_wasm;
    let module = parity_wasm::deserialize_buffer(wasm).unwrap();
    let injector = mutable_global::Injector::new(GAS_GLOBAL);
    let module = gas_metering::inject(module, injector, &ConstantCostRules::default())
        .unwrap_or_else(|_| panic!("wasm-instrument could not meter the kernel"));
    parity_wasm::serialize(module).unwrap()
}

/// One call of `run(arg)` of a module metered by `wasm-instrument`, under
/// plain wasmi with a budget that never runs out.
fn gas_runner(gas_metered: &[u8], arg: i32) -> impl FnMut() -> i32 + use<> {
    let engine = Engine::default();
    let module = wasmi::Module::new(&engine, gas_metered).unwrap();
    let mut store = Store::new(&engine, ());
    let linker = WasmiLinker::<()>::new(&engine);
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    let gas = instance.get_global(&store, GAS_GLOBAL).unwrap();
    move || {
        gas.set(&mut store, Val::I64(HUGE as i64)).unwrap();
        let mut out = [Val::I32(0)];
        run.call(&mut store, &[Val::I32(arg)], &mut out).unwrap();
        out[0].i32().unwrap()
    }
}

/// One call of `run(arg)` of the metered module through rewind-host with
/// slices of `budget` fuel; returns the result and the number of slices.
fn rewind_runner(
    engine: &Engine,
    metered: &[u8],
    arg: i32,
    budget: u64,
) -> impl FnMut() -> (i32, u64) {
    let module = Module::new(engine, metered).unwrap();
    let linker = Linker::<()>::new(engine);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    move || {
        let mut slices = 1;
        let mut outcome = instance
            .call_with_fuel("run", &[Val::I32(arg)], budget)
            .unwrap();
        loop {
            outcome = match outcome {
                FuelOutcome::Finished(values) => {
                    return (values[0].i32().unwrap(), slices);
                }
                FuelOutcome::OutOfFuel(call) => {
                    slices += 1;
                    instance.resume_with_fuel(call, budget).unwrap()
                }
                FuelOutcome::Suspended(_) => unreachable!("only fuel suspends"),
            };
        }
    }
}

/// Fuel one call of `run(arg)` consumes under the rewind metering.
fn rewind_fuel(engine: &Engine, metered: &[u8], arg: i32) -> u64 {
    let module = Module::new(engine, metered).unwrap();
    let linker = Linker::<()>::new(engine);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let outcome = instance
        .call_with_fuel("run", &[Val::I32(arg)], HUGE)
        .unwrap();
    assert!(outcome.is_finished());
    instance.fuel_consumed()
}

/// A runner that checks every result against `expect`.
fn checked<'a, R: PartialEq + std::fmt::Debug + 'a>(
    expect: R,
    mut call: impl FnMut() -> R + 'a,
) -> Box<dyn FnMut() + 'a> {
    Box::new(move || assert_eq!(black_box(call()), expect, "same result on every engine"))
}

/// Median wall time of each runner over `runs` rounds, after one warm-up
/// call each. Every round calls each runner once, in turn, so a change in
/// the machine's speed during the run affects all columns alike.
fn measure(runs: usize, runners: &mut [Box<dyn FnMut() + '_>]) -> Vec<Duration> {
    runners.iter_mut().for_each(|run| run());
    let mut times = vec![Vec::with_capacity(runs); runners.len()];
    for _ in 0..runs {
        for (run, times) in runners.iter_mut().zip(&mut times) {
            let start = Instant::now();
            run();
            times.push(start.elapsed());
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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 21 };
    let engine = Engine::default();
    let kernels: [(&str, &str, i32); 3] = [
        ("loop", LOOP_WAT, if quick { 500_000 } else { 2_500_000 }),
        ("fib", FIB_WAT, if quick { 22 } else { 27 }),
        ("memory", MEMORY_WAT, if quick { 20 } else { 100 }),
    ];

    println!("fuel metering slowdown under wasmi (median of {runs} calls, columns interleaved)\n");
    println!(
        "{:<7} {:>11}  {:>17}  {:>26}  {:>26}  {:>26}  {:>26}  {:>15}",
        "kernel",
        "(a) plain",
        "(b) wasmi fuel",
        "(c) rewind 1 slice",
        "(d) rewind ~100 slices",
        "(e) fast path 1 slice",
        "(f) wasm-instrument",
        "fuel / slices"
    );
    for (name, wat, arg) in kernels {
        let wasm = wat::parse_str(wat).unwrap();
        let metered = rewind_transform::meter(&wasm, &Default::default(), &Default::default())
            .unwrap()
            .wasm;
        let fast = Options {
            fast_path: rewind_transform::FastPath::All,
            ..Options::default()
        };
        let fast = rewind_transform::meter(&wasm, &Default::default(), &fast)
            .unwrap()
            .wasm;
        assert_eq!(
            rewind_fuel(&engine, &fast, arg),
            rewind_fuel(&engine, &metered, arg)
        );
        let gas = gas_metered(&wasm);
        let expect = wasmi_runner(&wasm, arg, false)();
        let fuel = rewind_fuel(&engine, &metered, arg);
        let budget = (fuel / SLICES).max(1);
        let (_, slices) = rewind_runner(&engine, &metered, arg, budget)();

        let times = measure(
            runs,
            &mut [
                checked(expect, wasmi_runner(&wasm, arg, false)),
                checked(expect, wasmi_runner(&wasm, arg, true)),
                checked((expect, 1), rewind_runner(&engine, &metered, arg, HUGE)),
                checked(
                    (expect, slices),
                    rewind_runner(&engine, &metered, arg, budget),
                ),
                checked((expect, 1), rewind_runner(&engine, &fast, arg, HUGE)),
                checked(expect, gas_runner(&gas, arg)),
            ],
        );
        let [a, b, c, d, e, f] = times[..] else {
            unreachable!("six runners")
        };

        let ms = |t: Duration| t.as_secs_f64() * 1e3;
        let vs = |t: Duration, base: Duration| t.as_secs_f64() / base.as_secs_f64();
        println!(
            "{name:<7} {:>8.2} ms  {:>8.2} ms {:>4.2}x  {:>8.2} ms {:>5.2}x {:>5.2}xb  {:>8.2} ms {:>5.2}x {:>5.2}xb  {:>8.2} ms {:>5.2}x {:>5.2}xb  {:>8.2} ms {:>5.2}x {:>5.2}xb  {fuel:>9} / {slices}",
            ms(a),
            ms(b),
            vs(b, a),
            ms(c),
            vs(c, a),
            vs(c, b),
            ms(d),
            vs(d, a),
            vs(d, b),
            ms(e),
            vs(e, a),
            vs(e, b),
            ms(f),
            vs(f, a),
            vs(f, b),
        );
    }
    println!(
        "\nNx = ratio vs (a) plain wasmi; Nxb = ratio vs (b) wasmi's built-in fuel. \
         \"fuel\" is what one call consumes under rewind's default costs; \
         (d) resumes with budget fuel/{SLICES} until done."
    );
    pieces(runs, if quick { 500_000 } else { 2_500_000 });
    unrolled(runs, if quick { 500_000 } else { 2_500_000 });
    recursion_floor(runs, if quick { 22 } else { 27 });
}

/// What each piece of a loop-head check costs, on the loop kernel with
/// hand-written heads (no asyncify): nothing; the charge into a local (what
/// `rewind fuel` emits for a run); the charge through the global (what it
/// emitted before); the charge and the test branching to a handler call
/// (a whole check, as emitted); the charge and a test branching out of the
/// loop (a check whose handler call sits outside the loop).
fn pieces(runs: usize, arg: i32) {
    const LOCAL: &str = "local.get $f i64.const 7 i64.sub local.set $f";
    const GLOBAL: &str = "global.get $g i64.const 7 i64.sub global.set $g";
    const CHECK: &str =
        "local.get $f i64.const 7 i64.sub local.tee $f i64.const 0 i64.lt_s if call $h end";
    const OUT: &str =
        "local.get $f i64.const 7 i64.sub local.tee $f i64.const 0 i64.lt_s br_if $out";
    let heads = [
        ("plain", ""),
        ("charge in a local", LOCAL),
        ("charge in the global", GLOBAL),
        ("charge + check", CHECK),
        ("charge + branch out", OUT),
    ];
    let mut runners: Vec<Box<dyn FnMut()>> = Vec::new();
    let mut expect = None;
    for (_, head) in heads {
        let wat = LOOP_WAT
            .replace(
                "(local $i i32) (local $acc i32)",
                "(local $i i32) (local $acc i32) (local $f i64)
    (local.set $f (i64.const 0x7fff_ffff_ffff))",
            )
            .replace("(loop $again", &format!("(block $out (loop $again {head}"))
            .replace("(local.get $n))))", "(local.get $n)))))")
            .replace(
                "(memory (export \"memory\") 1)",
                "(memory 1) (global $g (mut i64) (i64.const 0x7fff_ffff_ffff)) (func $h)",
            );
        let mut run = wasmi_runner(&wat::parse_str(&wat).unwrap(), arg, false);
        let expect = *expect.get_or_insert_with(&mut run);
        runners.push(checked(expect, run));
    }
    let times = measure(runs, &mut runners);
    print_variants(
        "loop kernel, what the pieces of a loop-head check cost (hand-written, no asyncify)",
        heads.iter().map(|(name, _)| *name),
        &times,
    );
}

/// The loop kernel laid out `K` times per turn of the wasm loop, as
/// `--unroll-loops` lays out a metered loop (a forward `br_if` from each
/// copy to the next, leaving after any), with nothing at the head of the
/// copies or with one branch-free charge of `K` iterations into a local:
/// what an interpreter makes of an instruction that runs once per `K`
/// iterations. Under wasmi the charge costs far more than its share of
/// the instructions, and not monotonically in `K`: the rest of a metered
/// loop's cost is not its instruction count.
fn unrolled(runs: usize, arg: i32) {
    let start = LOOP_WAT
        .find("(loop $again")
        .expect("the kernel has a loop")
        + 12;
    let end = LOOP_WAT
        .find("(br_if $again")
        .expect("the kernel loops with br_if");
    let (body, test) = (
        &LOOP_WAT[start..end],
        "(i32.lt_u (local.get $i) (local.get $n))",
    );
    let layout = |copies: usize, head: &str| {
        let mut code = format!("(block $out (loop $again {head}");
        for k in (1..copies).rev() {
            code += &format!("(block $c{k} ");
        }
        for k in 1..copies {
            code += &format!("{body} (br_if $c{k} {test}) (br $out))");
        }
        code += &format!("{body} (br_if $again {test})))");
        let loop_start = LOOP_WAT.find("(loop $again").expect("checked above");
        let loop_end = LOOP_WAT
            .rfind("(local.get $acc)")
            .expect("the kernel returns $acc");
        format!(
            "{}{code}\n    {}",
            &LOOP_WAT[..loop_start],
            &LOOP_WAT[loop_end..]
        )
        .replace(
            "(local $i i32) (local $acc i32)",
            "(local $i i32) (local $acc i32) (local $f i64)",
        )
    };
    let charge = |copies: usize| {
        format!(
            "(local.set $f (i64.sub (local.get $f) (i64.const {})))",
            7 * copies
        )
    };
    let variants: Vec<(String, String)> = [4, 8, 16]
        .into_iter()
        .flat_map(|k| {
            [
                (format!("x{k}"), layout(k, "")),
                (format!("x{k} + one charge"), layout(k, &charge(k))),
            ]
        })
        .collect();
    let mut runners: Vec<Box<dyn FnMut()>> = Vec::new();
    let mut plain = wasmi_runner(&wat::parse_str(LOOP_WAT).unwrap(), arg, false);
    let expect = plain();
    runners.push(checked(expect, plain));
    for (_, wat) in &variants {
        let run = wasmi_runner(&wat::parse_str(wat).unwrap(), arg, false);
        runners.push(checked(expect, run));
    }
    let times = measure(runs, &mut runners);
    print_variants(
        "loop kernel laid out K times a turn (hand-written, no asyncify), bare or with one charge a turn",
        std::iter::once("plain").chain(variants.iter().map(|(name, _)| name.as_str())),
        &times,
    );
}

/// A table of hand-written variants: time and ratio to the first.
fn print_variants<'a>(title: &str, names: impl Iterator<Item = &'a str>, times: &[Duration]) {
    println!("\n{title}:");
    for (name, t) in names.zip(times) {
        println!(
            "  {name:<22} {:>8.2} ms {:>5.2}x",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / times[0].as_secs_f64()
        );
    }
}

/// The least an Asyncify-style metering adds to fib, hand-written: every
/// recursive call is followed by an unwind check (`state != NORMAL` leaves
/// the function), and the entry charges the counter in the global and
/// calls the handler when it is negative. Nothing is guarded or spilled.
fn recursion_floor(runs: usize, arg: i32) {
    const UNWIND: &str = "(br_if 0 (global.get $state))";
    const ENTRY: &str = "(if (i64.lt_s (local.tee $t (i64.sub (global.get $fuel) (i64.const 15))) \
        (i64.const 0)) (then (call $h))) (global.set $fuel (local.get $t))";
    let variants = [
        ("plain", "", ""),
        ("unwind checks", UNWIND, ""),
        ("entry charge + check", "", ENTRY),
        ("both", UNWIND, ENTRY),
    ];
    let mut runners: Vec<Box<dyn FnMut()>> = Vec::new();
    let mut expect = None;
    for (_, unwind, entry) in variants {
        let call = |k: i32| {
            format!(
                "(block (result i32) (call $fib (i32.sub (local.get $n) (i32.const {k}))) {unwind})"
            )
        };
        let wat = format!(
            r#"(module
  (memory 1) (func $h)
  (global $state (mut i32) (i32.const 0))
  (global $fuel (mut i64) (i64.const 0x7fff_ffff_ffff))
  (func $fib (param $n i32) (result i32) (local $t i64)
    {entry}
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add {} {}))))
  (func (export "run") (param $n i32) (result i32) (call $fib (local.get $n))))"#,
            call(1),
            call(2)
        );
        let mut run = wasmi_runner(&wat::parse_str(&wat).unwrap(), arg, false);
        let expect = *expect.get_or_insert_with(&mut run);
        runners.push(checked(expect, run));
    }
    let times = measure(runs, &mut runners);
    print_variants(
        "fib, the least an Asyncify-style metering adds (hand-written, no guards or spills)",
        variants.iter().map(|(name, _, _)| *name),
        &times,
    );
}
