//! `--asserts`: a function missing from the lists that ends up on the stack
//! during a suspension traps at once, and the exported globals and the
//! `rewind.asserts` custom section name it and the call it was in.

use rewind_tests::instrument::{instrument, wat};
use rewind_tests::{Call, Event, Mode, Outcome, Policy, RunConfig, Trace, Value, run};
use rewind_transform::{Options, abi};

/// `main` → `middle` → `inner` → `env.sleep`.
const CHAIN: &str = r#"(module
    (import "env" "sleep" (func $sleep))
    (memory (export "memory") 1)
    (global $g (export "g") (mut i32) (i32.const 0))
    (func $inner (call $sleep))
    (func $middle
      (call $inner)
      ;; Runs during the unwind when `middle` is not instrumented.
      (global.set $g (i32.add (global.get $g) (i32.const 1))))
    (func $outer (export "main") (call $middle)))"#;

fn options(only: &[&str], asserts: bool) -> Options {
    Options {
        only_list: Some(only.iter().map(|s| s.to_string()).collect()),
        asserts,
        ..Options::default()
    }
}

fn run_main(wasm: &[u8], policy: Policy) -> Trace {
    run(
        wasm,
        &RunConfig::new(Mode::Instrumented, policy),
        &[Call::new("main", &[])],
    )
    .expect("the module runs")
}

fn global(trace: &Trace, name: &str) -> Value {
    trace
        .globals
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no global {name}: {:?}", trace.globals))
}

/// The names of the `rewind.asserts` section, by id.
fn names(wasm: &[u8]) -> Vec<String> {
    let section = wasmparser::Parser::new(0)
        .parse_all(wasm)
        .find_map(|p| match p.ok()? {
            wasmparser::Payload::CustomSection(s) if s.name() == abi::ASSERTS_SECTION => {
                Some(String::from_utf8(s.data().to_vec()).unwrap())
            }
            _ => None,
        })
        .expect("the asserts section");
    let mut lines = section.lines();
    assert_eq!(lines.next(), Some(abi::ASSERTS_SECTION_HEADER));
    assert_eq!(lines.next(), Some("lists only-list"));
    lines.map(str::to_owned).collect()
}

#[test]
fn a_function_missing_from_the_only_list_is_named() {
    let out = instrument(&wat(CHAIN), &options(&["inner", "outer"], true)).unwrap();
    assert!(out.report.assert_checks > 0, "{:?}", out.report);
    let trace = run_main(&out.wasm, Policy::Always);
    // The check traps in the middle of the unwind, which the driver calls
    // a protocol violation.
    assert!(
        matches!(trace.last_outcome(), Some(Outcome::Protocol(m))
            if m.contains("trapped while unwinding") && m.contains("Unreachable")),
        "{trace:?}"
    );
    let names = names(&out.wasm);
    let name = |v: Value| match v {
        Value::I32(i) => names[i as usize].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(name(global(&trace, abi::MISSING_FUNCTION_GLOBAL)), "middle");
    assert_eq!(name(global(&trace, abi::MISSING_CALLEE_GLOBAL)), "inner");
    // It trapped before running on during the unwind.
    assert_eq!(global(&trace, "g"), Value::I32(0));
}

#[test]
fn with_a_complete_list_the_checks_stay_quiet() {
    let out = instrument(&wat(CHAIN), &options(&["inner", "middle", "outer"], true)).unwrap();
    for policy in Policy::standard() {
        let trace = run_main(&out.wasm, policy);
        assert!(
            trace.last_outcome().is_some_and(Outcome::is_return),
            "{trace:?}"
        );
        assert_eq!(global(&trace, abi::MISSING_FUNCTION_GLOBAL), Value::I32(-1));
        assert_eq!(global(&trace, "g"), Value::I32(1));
    }
}

/// What the checks prevent: without them, the missing function's code
/// after the call runs during the unwind, and again after the rewind.
#[test]
fn without_asserts_the_missing_function_runs_twice() {
    let out = instrument(&wat(CHAIN), &options(&["inner", "outer"], false)).unwrap();
    let trace = run_main(&out.wasm, Policy::Always);
    let sleeps = trace
        .events
        .iter()
        .filter(|e| matches!(e, Event::Import { name, .. } if name == "env.sleep"))
        .count();
    assert_eq!(sleeps, 1);
    assert_eq!(global(&trace, "g"), Value::I32(2), "{trace:?}");
}
