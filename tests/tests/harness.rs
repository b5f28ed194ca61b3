//! The harness must catch broken instrumentation: these tests instrument
//! modules with options that are wrong for them and require the
//! differential driver to notice, on every engine, so a passing execution
//! test means something.

use rewind_tests::instrument::{instrument, wat};
use rewind_tests::{EngineKind, Exec, Mode, Outcome, Policy, Value::I32, run};
use rewind_transform::Options;

const NESTED: &str = r#"(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func $leaf (param $x i32) (result i32)
    (call $sleep)
    (i32.add (local.get $x) (i32.const 1)))
  (func $main (export "main") (param $x i32) (result i32)
    (local $y i32)
    (local.set $y (i32.mul (local.get $x) (i32.const 3)))
    (call $log (call $leaf (local.get $x)))
    (i32.add (local.get $y) (i32.const 1))))"#;

/// Every engine.
const ENGINES: [EngineKind; 3] = [EngineKind::Wasmi, EngineKind::Wasmtime, EngineKind::Node];

/// `NESTED` with one more function that only `engine` runs (it cannot
/// reach a suspension, so the transform leaves it alone).
fn nested_on(engine: EngineKind) -> Vec<u8> {
    let extra = match engine {
        EngineKind::Wasmi => "",
        EngineKind::Wasmtime => {
            r#"(type $s (struct (field i32)))
               (func (export "gc") (result i32) (struct.get $s 0 (struct.new $s (i32.const 3))))"#
        }
        EngineKind::Node => {
            r#"(tag $e)
               (func (export "eh") (result i32) try (result i32) (throw $e) catch $e (i32.const 3) end)"#
        }
    };
    let module = NESTED.strip_suffix(')').expect("a module");
    wat(&format!("{module}\n{extra})"))
}

/// Runs the instrumented module on `engine` under `Always` and returns
/// whether the driver saw a difference from the original.
fn detected(engine: EngineKind, options: &Options) -> bool {
    let exec = Exec::bytes("nested", nested_on(engine)).call("main", &[I32(4)]);
    assert_eq!(exec.engine(), engine);
    let oracle = exec.oracle();
    let wasm = instrument(exec.wasm(), options).expect("the transform runs");
    let cfg = exec.config(Mode::Instrumented, Policy::Always);
    let trace = run(&wasm.wasm, &cfg, exec.calls()).expect("instantiates");
    trace.diff(&oracle).is_err()
}

/// Whether every engine's driver sees a difference.
fn detected_everywhere(options: Options) -> bool {
    ENGINES.iter().all(|engine| detected(*engine, &options))
}

#[test]
fn correct_options_pass() {
    for engine in ENGINES {
        assert!(!detected(engine, &Options::default()), "{engine:?}");
    }
}

#[test]
fn missing_caller_instrumentation_is_caught() {
    // `$main` is left plain: after `$leaf` unwinds, `$main` keeps running.
    assert!(detected_everywhere(Options {
        only_list: Some(vec!["leaf".into()]),
        ..Options::default()
    }));
}

#[test]
fn missing_leaf_instrumentation_is_caught() {
    assert!(detected_everywhere(Options {
        remove_list: Some("leaf").into_iter().map(String::from).collect(),
        ..Options::default()
    }));
}

#[test]
fn uninstrumented_module_is_caught() {
    // Instrumenting nothing at all: the unwind never happens.
    assert!(detected_everywhere(Options {
        ignore_imports: true,
        ..Options::default()
    }));
}

/// The instrumented module suspends on every engine, and each engine's
/// trace equals wasmi's: one trace format.
#[test]
fn engines_agree() {
    let traces: Vec<_> = ENGINES
        .iter()
        .map(|engine| {
            let exec = Exec::bytes("nested", nested_on(*engine)).call("main", &[I32(4)]);
            let wasm = instrument(exec.wasm(), &Options::default()).expect("the transform runs");
            let trace = exec.run_instrumented(&wasm.wasm, Policy::Always);
            assert_eq!(trace.suspensions, 1, "{engine:?}: {trace:?}");
            trace
        })
        .collect();
    for (engine, trace) in ENGINES.iter().zip(&traces) {
        trace
            .diff(&traces[0])
            .unwrap_or_else(|d| panic!("{engine:?} differs from wasmi: {d}"));
    }
}

#[test]
fn original_with_intrinsic_imports_is_refused() {
    let m = wat(r#"(module
      (import "asyncify" "start_unwind" (func (param i32)))
      (memory (export "memory") 1))"#);
    let cfg = rewind_tests::RunConfig::new(Mode::Original, Policy::Never);
    let err = run(&m, &cfg, &[]).unwrap_err();
    assert!(
        format!("{err:#}").contains("asyncify.start_unwind"),
        "{err:#}"
    );
}

#[test]
fn original_run_records_calls_once() {
    let t = Exec::bytes("nested", wat(NESTED))
        .call("main", &[I32(4)])
        .oracle();
    assert_eq!(t.returned(), [I32(13)]);
    assert_eq!(t.args_of("env.log"), [vec![I32(5)]]);
    assert!(matches!(t.last_outcome(), Some(Outcome::Returned(_))));
}
