//! Execution tests: every program in `tests/exec/` runs uninstrumented (the
//! oracle) and instrumented under every suspension policy and option set,
//! and the traces must be identical (see `rewind_tests::differential`).
//! Concrete values asserted on top are derived by hand from the program and
//! the harness's import results (`rewind_tests::host`: the k-th call of an
//! import returns `10k`, `10k + 0.5` as f32, `10k + 0.25` as f64, lanes
//! `[10k, 10k+1, 10k+2, 10k+3]` as v128; a second result adds 1).

use rewind_tests::differential::default_option_sets;
use rewind_tests::instrument::{instrument, package_dir, validate};
use rewind_tests::module_info::ModuleInfo;
use rewind_tests::{Event, Exec, Mode, Outcome, Policy, Trace, Value, run};
use rewind_transform::{Options, abi};

use Value::{I32, I64};

fn import(name: &str, args: &[Value]) -> (String, Vec<Value>) {
    (name.to_string(), args.to_vec())
}

fn i32_at(trace: &Trace, addr: usize) -> i32 {
    i32::from_le_bytes(trace.memory[addr..addr + 4].try_into().unwrap())
}

/// Every file in `tests/exec/` must be used by a test below.
const PROGRAMS: &[&str] = &[
    "block_loop_params",
    "br",
    "branch_to_function_label",
    "br_if",
    "br_table",
    "call_as_argument",
    "call_in_br_if_condition",
    "call_in_if_condition",
    "call_in_local_tee",
    "call_in_select",
    "call_indirect",
    "coroutines",
    "dead_code",
    "if_condition_local_modified",
    "if_else_arms",
    "if_params_results",
    "imported_memory",
    "indirect_runtime_table",
    "intrinsic_get_state",
    "locals_params",
    "loop_carried_values",
    "loop_nth_iteration",
    "memory64",
    "multi_memory",
    "multi_value_import",
    "one_sleep",
    "operand_stack",
    "overflow",
    "recomputed_values",
    "recursion",
    "references",
    "reentrant_callback",
    "repeated_sleeps",
    "result_from_call",
    "rewind_args",
    "several_calls_one_expression",
    "shared_spill_slots",
    "stack_pointer",
    "tail_calls",
    "unreachable_tail",
    "value_before_block",
    "value_types",
];

#[test]
fn every_program_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(package_dir().join("exec"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".wat").map(String::from))
        .collect();
    found.sort();
    let mut listed: Vec<&str> = PROGRAMS.to_vec();
    listed.sort();
    assert_eq!(found, listed, "update PROGRAMS and add a test");
}

#[test]
fn one_sleep() {
    let t = Exec::file("one_sleep").call("main", &[I32(5)]).run();
    assert_eq!(t.returned(), [I32(15)]);
    assert_eq!(
        t.imports(),
        [
            import("env.log", &[I32(1)]),
            import("env.sleep", &[]),
            import("env.log", &[I32(2)])
        ]
    );
}

#[test]
fn repeated_sleeps() {
    let t = Exec::file("repeated_sleeps")
        .call("main", &[])
        .call("main", &[])
        .run();
    assert_eq!(t.returned(), [I32(5)]);
    assert_eq!(t.globals, [("counter".to_string(), I32(10))]);
    assert_eq!(t.args_of("env.sleep").len(), 16);
}

#[test]
fn locals_params() {
    let t = Exec::file("locals_params")
        .call("main", &[I32(3), I32(4)])
        .run();
    // c = 30, d = 11, a = 4 after the first sleep; 4 + 4 + 30 + 11 + inner(11) = 49 + 22.
    assert_eq!(t.returned(), [I32(71)]);
    let logs: Vec<_> = t.args_of("env.log").concat();
    assert_eq!(logs, [I32(4), I32(4), I32(30), I32(11)]);
}

#[test]
fn operand_stack() {
    let t = Exec::file("operand_stack")
        .call("main", &[I32(5)])
        .call("deep", &[I32(3)])
        .call("stale_local", &[I32(50)])
        .call("stale_global", &[])
        .run();
    let results: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finished {
                outcome: Outcome::Returned(v),
                ..
            } => Some(v[0]),
            _ => None,
        })
        .collect();
    // main: 5 + 10; deep: 3 - (100 + 3 * (7 - 20)); stale_local: 50 - 30;
    // stale_global: 1000 (pushed before the bump) - 5.
    assert_eq!(results, [I32(15), I32(-58), I32(20), I32(995)]);
    assert_eq!(t.globals, [("g".to_string(), I32(1001))]);
}

#[test]
fn value_before_block() {
    let t = Exec::file("value_before_block")
        .call("block", &[I32(10)])
        .call("loop", &[I32(10)])
        .call("if", &[I32(4)])
        .call("if", &[I32(0)])
        .run();
    assert_eq!(t.first_results(), [I32(15), I32(-990), I32(8), I32(0)]);
}

#[test]
fn block_loop_params() {
    let t = Exec::file("block_loop_params")
        .call("block_param", &[I32(4)])
        .call("loop_param", &[I32(3)])
        .run();
    assert_eq!(t.first_results(), [I32(12), I32(10 + 20 + 30)]);
}

#[test]
fn if_params_results() {
    let t = Exec::file("if_params_results")
        .call("main", &[I32(5), I32(1)])
        .call("main", &[I32(5), I32(0)])
        .call("main", &[I32(7), I32(1)])
        .run();
    assert_eq!(t.first_results(), [I32(15), I32(10), I32(27)]);
}

#[test]
fn br_carries_values() {
    let t = Exec::file("br")
        .call("main", &[I32(1)])
        .call("outer", &[I32(3)])
        .run();
    assert_eq!(t.results(), [vec![I32(11)], vec![I32(3), I64(20)]]);
    assert!(t.args_of("env.log").is_empty());
}

#[test]
fn br_if_carries_values() {
    let t = Exec::file("br_if")
        .call("value_from_sleep", &[I32(1)])
        .call("value_from_sleep", &[I32(0)])
        .call("value_before_sleep", &[I32(1)])
        .call("value_before_sleep", &[I32(0)])
        .run();
    assert_eq!(t.first_results(), [I32(10), I32(-1), I32(7), I32(8)]);
    assert_eq!(t.args_of("env.log"), [vec![I32(99)]]);
}

#[test]
fn br_table_carries_values() {
    let t = Exec::file("br_table")
        .call("main", &[I32(0)])
        .call("main", &[I32(1)])
        .call("main", &[I32(2)])
        .call("main", &[I32(9)])
        .call("index_from_sleep", &[I32(5)])
        .call("index_from_sleep", &[I32(5)])
        .call("index_from_sleep", &[I32(5)])
        .run();
    // main: sleep_i32 k = 1..4; index_from_sleep: k = 5, 6, 7 -> 10k % 3 = 2, 0, 1.
    assert_eq!(
        t.first_results(),
        [
            I32(10),
            I32(120),
            I32(1130),
            I32(1140),
            I32(1105),
            I32(5),
            I32(105)
        ]
    );
}

#[test]
fn call_in_if_condition() {
    let t = Exec::file("call_in_if_condition")
        .call("main", &[I32(15)])
        .call("main", &[I32(15)])
        .run();
    assert_eq!(t.first_results(), [I32(2), I32(1)]);
}

#[test]
fn call_in_br_if_condition() {
    let t = Exec::file("call_in_br_if_condition")
        .call("main", &[I32(5)])
        .call("main", &[I32(5)])
        .run();
    assert_eq!(t.first_results(), [I32(1005), I32(5)]);
}

#[test]
fn call_in_select() {
    let t = Exec::file("call_in_select")
        .call("second", &[I32(3)])
        .call("second", &[I32(4)])
        .call("cond", &[I32(7), I32(8)])
        .call("first", &[I32(5)])
        .call("typed", &[I32(1)])
        .call("typed", &[I32(0)])
        .run();
    assert_eq!(
        t.first_results(),
        [
            I32(3),
            I32(20),
            I32(8),
            I32(40),
            Value::f64(10.25),
            Value::f64(1.5)
        ]
    );
}

#[test]
fn call_in_local_tee() {
    let t = Exec::file("call_in_local_tee")
        .call("main", &[])
        .call("stack", &[I32(3)])
        .run();
    assert_eq!(t.first_results(), [I32(20), I32(40)]);
}

#[test]
fn call_as_argument() {
    let t = Exec::file("call_as_argument")
        .call("main", &[I32(5)])
        .call("nested", &[])
        .run();
    assert_eq!(t.first_results(), [I32(26), I32(10)]);
    assert_eq!(t.args_of("env.log2"), [vec![I32(5), I32(10)]]);
    assert_eq!(t.args_of("env.sleep_take"), [vec![I32(30)]]);
}

#[test]
fn rewind_args() {
    let t = Exec::file("rewind_args").call("main", &[I32(5)]).run();
    assert_eq!(t.returned(), [I32(10)]);
    assert_eq!(t.args_of("env.sleep_take"), [vec![I32(5)]]);
}

#[test]
fn loop_nth_iteration() {
    let t = Exec::file("loop_nth_iteration")
        .call("main", &[I32(10)])
        .call("every_third", &[I32(10)])
        .run();
    assert_eq!(t.first_results(), [I32(55), I32(10)]);
    let logs = t.args_of("env.log").concat();
    let expected: Vec<_> = [0, 1, 3, 6, 10, 15, 21, 38, 46, 55].map(I32).to_vec();
    assert_eq!(logs, expected);
    for i in 0..10 {
        assert_eq!(i32_at(&t, i * 4), 1, "counter {i} incremented once");
    }
    // Sleeps at i = 0, 3, 6, 9 are calls k = 2..5 of sleep_i32.
    for (n, i) in [0, 3, 6, 9].into_iter().enumerate() {
        assert_eq!(i32_at(&t, 400 + i * 4), 10 * (n as i32 + 2));
    }
}

#[test]
fn several_calls_one_expression() {
    let t = Exec::file("several_calls_one_expression")
        .call("main", &[])
        .call("mixed", &[I64(2)])
        .run();
    assert_eq!(
        t.first_results(),
        [I32(10 * 20 - (30 + 40)), I64(2 * 10 + 50 + 60)]
    );
}

#[test]
fn shared_spill_slots() {
    let t = Exec::file("shared_spill_slots")
        .call("main", &[I32(2)])
        .run();
    // sleep_i32 returns 10, 20, 30, 40 and sleep_f64 10.25: keep = x + 10,
    // acc = x + 20.25, mix(keep, mix(20, x)) = 4x - 30, mix(30, 40) = 50,
    // then + trunc(acc) + keep: 6x + 50; a - b = 7x - (x + 5).
    assert_eq!(t.first_results(), [I32(6 * 2 + 50 + (7 * 2 - (2 + 5)))]);
}

#[test]
fn recursion() {
    let t = Exec::file("recursion").call("rec", &[I32(200)]).run();
    // Levels 200..1 add n and sleep values k = 1..200; level 0 returns k = 201.
    let n: i32 = (1..=200).sum();
    let sleeps: i32 = (1..=201).map(|k| 10 * k).sum();
    assert_eq!(t.returned(), [I32(n + sleeps)]);
}

#[test]
fn multi_value_import() {
    let t = Exec::file("multi_value_import")
        .call("main", &[I32(2)])
        .call("through", &[I32(3)])
        .call("block", &[I32(4)])
        .run();
    assert_eq!(t.first_results(), [I64(3011), I64(5021), I64(7031)]);
}

#[test]
fn result_from_call() {
    let t = Exec::file("result_from_call")
        .call("main", &[])
        .call("direct", &[])
        .call("returned", &[])
        .call("float", &[])
        .run();
    assert_eq!(
        t.first_results(),
        [I32(10), I32(20), I32(30), Value::f64(10.25)]
    );
}

#[test]
fn unreachable_tail() {
    let t = Exec::file("unreachable_tail")
        .call("ok", &[])
        .call("main", &[I32(4)])
        .run();
    assert_eq!(
        t.last_outcome(),
        Some(&Outcome::Trapped("UnreachableCodeReached".into()))
    );
    assert_eq!(t.args_of("env.log"), [vec![I32(4)], vec![I32(2)]]);
    assert_eq!(t.args_of("env.sleep").len(), 2);
}

#[test]
fn call_indirect() {
    let t = Exec::file("call_indirect")
        .call("main", &[I32(0), I32(5)])
        .call("main", &[I32(1), I32(5)])
        .call("main", &[I32(2), I32(5)])
        .call("index_from_sleep", &[I32(5)])
        .call("index_from_sleep", &[I32(5)])
        .call("index_from_sleep", &[I32(5)])
        .call("index_from_sleep", &[I32(5)])
        .call("main", &[I32(7), I32(5)])
        .run();
    let outcomes: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .collect();
    // sleep_i32: k = 1 in $sleepy; then the indices 20 % 3 = 2 ($sleepy2),
    // 30 % 3 = 0 ($sleepy, which takes k = 4), 50 % 3 = 2, 60 % 3 = 0 (k = 7).
    let r = |v| Outcome::Returned(vec![I32(v)]);
    assert_eq!(
        outcomes,
        [
            r(1015),
            r(1010),
            r(1004),
            r(4),
            r(45),
            r(4),
            r(75),
            Outcome::Trapped("TableOutOfBounds".into()),
        ]
    );
}

#[test]
fn dead_code() {
    let t = Exec::file("dead_code")
        .call("after_br", &[I32(4)])
        .call("after_return", &[I32(6)])
        .call("after_unreachable", &[I32(1)])
        .call("after_unreachable", &[I32(0)])
        .run();
    let outcomes: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Returned(vec![I32(5)]),
            Outcome::Returned(vec![I32(6)]),
            Outcome::Returned(vec![I32(10)]),
            Outcome::Trapped("UnreachableCodeReached".into()),
        ]
    );
}

#[test]
fn loop_carried_values() {
    let t = Exec::file("loop_carried_values")
        .call("main", &[I32(3)])
        .run();
    // n = 3, 2, 1 with sleep_i32 = 10, 20, 30: 30 + 40 + 30.
    assert_eq!(t.returned(), [I32(100)]);
}

#[test]
fn if_else_arms() {
    let t = Exec::file("if_else_arms")
        .call("main", &[I32(1)])
        .call("main", &[I32(0)])
        .call("nested", &[I32(1), I32(1)])
        .call("nested", &[I32(1), I32(0)])
        .call("nested", &[I32(0), I32(1)])
        .call("nested", &[I32(0), I32(0)])
        .run();
    assert_eq!(
        t.first_results(),
        [I32(100), I32(200), I32(11), I32(12), I32(21), I32(22)]
    );
    let logs = t.args_of("env.log").concat();
    assert_eq!(logs, [1, 100, 2, 200, 12, 22].map(I32));
}

#[test]
fn reentrant_callback() {
    let t = Exec::file("reentrant_callback")
        .call("main", &[I32(5)])
        .run();
    assert_eq!(t.returned(), [I32(11)]);
    let depths: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Import { depth, name, .. } => Some((name.as_str(), *depth)),
            _ => None,
        })
        .collect();
    assert_eq!(
        depths,
        [
            ("env.sleep", 1),
            ("env.call_double", 1),
            ("env.log", 2),
            ("env.sleep", 2),
            ("env.sleep", 1)
        ]
    );
}

#[test]
fn coroutines_in_wasm() {
    let t = Exec::file("coroutines")
        .call("main", &[])
        .policies(vec![Policy::Never])
        .no_suspension_expected()
        .run_instrumented_only();
    // Round 1: a logs (0,0) and yields; b yields before its first log.
    // Round 2: a logs (0,1); b logs (1,100). Round 3: a logs (0,2); b logs
    // (1,101) and finishes. Round 4: a finishes.
    assert_eq!(
        t.args_of("env.log"),
        [[0, 0], [0, 1], [1, 100], [0, 2], [1, 101]].map(|p| p.map(I32).to_vec())
    );
    assert_eq!(t.returned(), [I32(4)]);
    assert_eq!(t.suspensions, 0, "the host never suspended");
}

#[test]
fn intrinsic_get_state() {
    let t = Exec::file("intrinsic_get_state")
        .call("main", &[])
        .policies(vec![Policy::Never])
        .no_suspension_expected()
        .run_instrumented_only();
    assert_eq!(t.args_of("env.log"), [vec![I32(0)], vec![I32(1)]]);
    assert_eq!(t.returned(), [I32(0)]);
}

#[test]
fn value_types() {
    let nan32 = Value::F32(0x7fc0_1234);
    let nan64 = Value::F64(0x7ff8_0000_dead_beef);
    let v = Value::i32x4([1, 2, 3, 4]);
    let t = Exec::file("value_types")
        .call("params", &[I32(7), I64(1 << 40), nan32, nan64, v])
        .call("locals", &[I32(5)])
        .call(
            "stack",
            &[I32(1), I64(2), Value::f32(0.5), Value::f64(0.25), v],
        )
        .call("stack_raw", &[I32(7), I64(1 << 40), nan32, nan64, v])
        .call(
            "results",
            &[
                I64(1),
                Value::f32(0.5),
                Value::f64(0.25),
                Value::i32x4([0; 4]),
            ],
        )
        .run();
    assert_eq!(
        t.results(),
        [
            vec![I32(7), I64(1 << 40), nan32, nan64, v],
            vec![
                I32(15),
                I64(5 << 40),
                Value::f32(5.0 / 3.0),
                Value::f64(5.0 / 7.0),
                Value::i32x4([5, 5, 5, -1])
            ],
            vec![
                I32(2),
                I64(3),
                Value::f32(1.5),
                Value::f64(1.25),
                Value::i32x4([2, 3, 4, 5])
            ],
            vec![I32(7), I64(1 << 40), nan32, nan64, v],
            vec![
                I64(11),
                Value::f32(11.0),
                Value::f64(10.5),
                Value::i32x4([10, 11, 12, 13])
            ],
        ]
    );
}

#[test]
fn memory64() {
    let t = Exec::file("memory64").call("main", &[I64(100)]).run();
    assert_eq!(t.returned(), [I32(87)]);
    assert_eq!(i32_at(&t, 100), 77);
}

#[test]
fn save_stack_overflow() {
    let exec = Exec::file("overflow").call("main", &[I64(10)]);
    let oracle = exec.oracle();
    // p + q + r + deep = 30 + 11 + 9 + (10 + 2 + 3)
    assert_eq!(oracle.returned(), [I64(65)]);
    for (label, options) in default_option_sets() {
        let wasm = exec.instrumented(&options);
        assert!(
            function_names(&wasm).contains(&abi::OVERFLOW_FUNCTION.to_string()),
            "[{label}] the output has no function named {}",
            abi::OVERFLOW_FUNCTION
        );
        // Without a suspension a zero-sized save stack is never touched.
        let mut cfg = exec.config(Mode::Instrumented, Policy::Never);
        cfg.capacity = Some(0);
        let t = run(&wasm, &cfg, exec.calls()).unwrap();
        t.diff(&oracle).unwrap_or_else(|d| panic!("[{label}] {d}"));
        // Growing capacities: overflow up to some size, success from then on.
        let mut outcomes = Vec::new();
        for capacity in (0..=256).step_by(4) {
            let mut cfg = exec.config(Mode::Instrumented, Policy::Always);
            cfg.capacity = Some(capacity);
            let t = run(&wasm, &cfg, exec.calls()).unwrap();
            let ok = match t.last_outcome().unwrap() {
                Outcome::Returned(_) => {
                    t.diff(&oracle).unwrap_or_else(|d| panic!("[{label}] {d}"));
                    true
                }
                Outcome::SaveStackOverflow { header } => {
                    // Only the events up to the suspension happened.
                    assert_eq!(t.events[..2], oracle.events[..2], "[{label}]");
                    assert_eq!(t.events.len(), 3, "[{label}] {t:?}");
                    assert!(header.0 <= header.1, "[{label}] {header:?}");
                    false
                }
                other => panic!("[{label}] capacity {capacity}: {other:?}\n{t:?}"),
            };
            outcomes.push((capacity, ok));
        }
        assert!(
            !outcomes[0].1,
            "[{label}] a zero-sized save stack must overflow"
        );
        assert!(
            outcomes.last().unwrap().1,
            "[{label}] 256 bytes must hold two small frames: {outcomes:?}"
        );
        let first_ok = outcomes.iter().position(|o| o.1).unwrap();
        assert!(
            outcomes[first_ok..].iter().all(|o| o.1),
            "[{label}] success is not monotonic in the capacity: {outcomes:?}"
        );
    }
}

fn function_names(wasm: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::CustomSection(c)) = payload
            && let wasmparser::KnownCustom::Name(reader) = c.as_known()
        {
            for sub in reader.into_iter().flatten() {
                if let wasmparser::Name::Function(map) = sub {
                    names.extend(map.into_iter().flatten().map(|n| n.name.to_string()));
                }
            }
        }
    }
    names
}

fn export_kinds(wasm: &[u8]) -> Vec<(String, wasmparser::ExternalKind)> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(r)) = payload {
            out.extend(
                r.into_iter()
                    .flatten()
                    .map(|e| (e.name.to_string(), e.kind)),
            );
        }
    }
    out
}

#[test]
fn export_globals() {
    use wasmparser::ExternalKind::{Func, Global};
    for (file, data_ty) in [
        ("one_sleep", wasmparser::ValType::I32),
        ("memory64", wasmparser::ValType::I64),
    ] {
        let exec = Exec::file(file);
        let plain = exec.instrumented(&Options::default());
        let exported = exec.instrumented(&Options {
            export_globals: true,
            ..Options::default()
        });
        let kinds = export_kinds(&exported);
        for name in [abi::STATE_GLOBAL, abi::DATA_GLOBAL] {
            assert!(
                kinds.contains(&(name.to_string(), Global)),
                "{file}: {kinds:?}"
            );
            assert!(!export_kinds(&plain).iter().any(|(n, _)| n == name));
        }
        for name in [
            abi::START_UNWIND,
            abi::STOP_UNWIND,
            abi::START_REWIND,
            abi::STOP_REWIND,
            abi::GET_STATE,
        ] {
            assert!(kinds.contains(&(name.to_string(), Func)), "{file}: {name}");
        }
        // Types.
        let info = ModuleInfo::read(&exported).unwrap();
        let ty = |name: &str| {
            let (_, global) = info.export_globals().find(|(n, _)| *n == name).unwrap();
            global.content_type
        };
        assert_eq!(ty(abi::STATE_GLOBAL), wasmparser::ValType::I32, "{file}");
        assert_eq!(ty(abi::DATA_GLOBAL), data_ty, "{file}");
    }
}

#[test]
fn import_globals_run() {
    // The harness defines the imported globals; the protocol must still work.
    let t = Exec::file("one_sleep")
        .call("main", &[I32(2)])
        .options(vec![(
            "--import-globals".into(),
            Options {
                import_globals: true,
                ..Options::default()
            },
        )])
        .run();
    assert_eq!(t.returned(), [I32(6)]);
}

#[test]
fn text_input_is_accepted() {
    let text = std::fs::read(package_dir().join("exec/one_sleep.wat")).unwrap();
    let binary = Exec::file("one_sleep").wasm().to_vec();
    let from_text = instrument(&text, &Options::default()).expect("text input");
    let from_binary = instrument(&binary, &Options::default()).expect("binary input");
    validate(&from_text.wasm).unwrap();
    assert_eq!(from_text.wasm, from_binary.wasm);
}

#[test]
fn multi_memory() {
    let select = |export_globals| Options {
        memory: Some("memory".into()),
        export_globals,
        ..Options::default()
    };
    let t = Exec::file("multi_memory")
        .call("main", &[I32(5)])
        .options(vec![
            ("--memory memory".into(), select(false)),
            ("--memory memory --export-globals".into(), select(true)),
        ])
        .run();
    assert_eq!(t.returned(), [I32(5 + 6 + 10)]);
}

#[test]
fn imported_memory() {
    let t = Exec::file("imported_memory").call("main", &[I32(7)]).run();
    assert_eq!(t.returned(), [I32(17)]);
}

#[test]
fn branch_to_function_label() {
    let t = Exec::file("branch_to_function_label")
        .call("br_out", &[I32(3)])
        .call("br_if_out", &[I32(1)])
        .call("br_if_out", &[I32(0)])
        .call("return_out", &[I32(1)])
        .call("return_out", &[I32(0)])
        .run();
    assert_eq!(
        t.results(),
        [
            vec![I32(3), I32(10)],
            vec![I32(20)],
            vec![I32(-2)],
            vec![I64(40)],
            vec![I64(-3)]
        ]
    );
}

#[test]
fn stack_pointer_extension() {
    let t = Exec::file("stack_pointer")
        .call("swap", &[I32(1000)])
        .call("swap", &[I32(2000)])
        .no_suspension_expected()
        .run_instrumented_only();
    assert_eq!(t.first_results(), [I32(4096), I32(1000)]);
    assert_eq!(t.globals, [("sp".to_string(), I32(2000))]);
    assert_eq!(t.args_of("env.sleep").len(), 2);
}

#[test]
fn indirect_runtime_table() {
    let t = Exec::file("indirect_runtime_table")
        .call("init", &[])
        .call("main", &[I32(0), I32(5)])
        .call("main", &[I32(1), I32(5)])
        .call("main", &[I32(2), I32(5)])
        .run();
    // sleep_i32 k = 1, 2, 3: 5 + 10, 5 - 20, 5 * 30.
    assert_eq!(
        t.results(),
        [vec![], vec![I32(1015)], vec![I32(985)], vec![I32(1150)]]
    );
}

#[test]
fn if_condition_local_modified() {
    let t = Exec::file("if_condition_local_modified")
        .call("no_result", &[I32(1)])
        .call("with_result", &[I32(0)])
        .run();
    assert_eq!(t.first_results(), [I32(0), I32(2)]);
}

#[test]
fn recomputed_values() {
    // Each group from a fresh run: the harness counts import calls per run.
    let exec = |calls: &[(&str, &[Value])]| {
        calls
            .iter()
            .fold(Exec::file("recomputed_values"), |e, (f, args)| {
                e.call(f, args)
            })
            .run()
    };
    let t = exec(&[
        ("conditions", &[I32(0), I32(5)]),
        ("conditions", &[I32(7), I32(5)]),
        ("conditions", &[I32(2), I32(5)]),
    ]);
    // a == 0 logs 1; a < b zeroes b and logs it, else zeroes a and logs 3.
    assert_eq!(t.first_results(), [I32(0), I32(5), I32(2)]);
    assert_eq!(t.args_of("env.log").concat(), [1, 0, 3, 0].map(I32));

    let t = exec(&[("dead_after", &[I32(7)]), ("dead_after", &[I32(2)])]);
    assert_eq!(t.first_results(), [I32(9), I32(9)]);
    assert_eq!(t.args_of("env.log").concat(), [4, 5].map(I32));

    let t = exec(&[("arguments", &[I32(5)])]);
    assert_eq!(t.returned(), [I32(10)]);
    assert_eq!(t.args_of("env.sleep_take"), [vec![I32(12)]]);

    // x = 10: (10 - 3) * 2 + 10, plus 2 * 10 + 20, plus 1000 + the if's 1
    // or 2.
    for (c, expected) in [(1, 1065), (0, 1066)] {
        let t = exec(&[("carried", &[I32(10), I32(c)])]);
        assert_eq!(t.returned(), [I32(expected)], "c = {c}");
    }

    // 3a + 10, plus 5a + 20, plus a after the if (a & 4 == 0 sets it to 4).
    for (a, expected, log) in [(1, 42, 6), (4, 66, 7)] {
        let t = exec(&[("teed", &[I32(a)])]);
        assert_eq!(t.returned(), [I32(expected)], "a = {a}");
        assert_eq!(t.args_of("env.log"), [vec![I32(log)]]);
    }
}

#[test]
fn tail_calls() {
    let t = Exec::file("tail_calls")
        .call("direct", &[I32(300)])
        .call("indirect", &[I32(3)])
        .call("pure_tail", &[I32(7)])
        .call("to_import", &[])
        .run();
    // `direct(300)`: 301 sleeps, k = 1..=301.
    let direct: i32 = (1..=301).map(|k| 10 * k).sum();
    let first = t.events.iter().find_map(|e| match e {
        Event::Finished { outcome, .. } => Some(outcome.clone()),
        _ => None,
    });
    assert_eq!(first, Some(Outcome::Returned(vec![I32(direct)])));
    // `pure_tail(7)` adds 1 after its sleep, through a tail call that
    // stays; `to_import` returns sleep_i32's value: its call is the
    // 308th (301 in `direct`, 1 + 4 in `indirect`, 1 in `pure_tail`).
    assert_eq!(t.results()[2..], [vec![I32(8)], vec![I32(3080)]]);
    let out = instrument(Exec::file("tail_calls").wasm(), &Options::default()).unwrap();
    assert_eq!(
        (out.report.tail_calls_kept, out.report.tail_calls_lowered),
        (3, 1),
        "{:?}",
        out.report
    );
}

#[test]
fn references() {
    let t = Exec::file("references")
        .call("locals", &[I32(1)])
        .call("locals", &[I32(0)])
        .call("stack", &[])
        .call("levels", &[I32(5)])
        .run();
    // Levels 5..1 add 11 (odd) or 22 (even): 11 + 22 + 11 + 22 + 11.
    assert_eq!(t.returned(), [I32(77)]);
    let finished: Vec<Outcome> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Finished { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished[..3],
        [
            Outcome::Returned(vec![I32(111)]),
            Outcome::Returned(vec![I32(122)]),
            Outcome::Returned(vec![I32(22)]),
        ]
    );
}
