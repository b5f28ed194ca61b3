//! Execution tests for the constructs beyond Binaryen's reach: exception
//! handling (legacy and new), references live across a suspension
//! (externref, funcref, GC references), tail calls and `call_ref` to
//! suspending functions, and a 10,000-deep `br_table` ladder. The programs
//! are `tests/exec/proposals/*.wat` (the ladder is generated).
//!
//! Each program has two tests:
//!
//! * `NAME_original` runs the uninstrumented program on its engine (wasmi,
//!   wasmtime or node: `rewind_tests::engine`) and checks results derived by
//!   hand (imports return `10k` for their k-th call, see
//!   `rewind_tests::host`): proof that the program and the harness work;
//! * `NAME` is the differential test (`rewind_tests::differential`): the
//!   program instrumented with every default option set, run under every
//!   suspension policy, must behave exactly like the original.

use rewind_tests::instrument::{package_dir, wat};
use rewind_tests::value::Reference;
use rewind_tests::{EngineKind, Exec, Outcome, Policy, Trace, Value};
use rewind_transform::Options;

use Value::{I32, I64};

/// Every file in `tests/exec/proposals/` must be used by a test below.
const PROGRAMS: &[&str] = &[
    "br_on_values",
    "call_ref",
    "eh_legacy_catch",
    "eh_legacy_delegate",
    "eh_legacy_nested",
    "eh_legacy_rethrow",
    "eh_legacy_try",
    "eh_throw_ref_live",
    "eh_try_table",
    "gc_refs",
    "non_null_spill",
    "ref_locals",
    "tail_call_in_legacy_try",
    "tail_call_in_try_table",
    "tail_call_ref",
    "tail_calls",
];

#[test]
fn every_program_has_a_test() {
    let mut found: Vec<String> = std::fs::read_dir(package_dir().join("exec/proposals"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".wat").map(String::from))
        .collect();
    found.sort();
    assert_eq!(found, PROGRAMS, "update PROGRAMS and add a test");
}

fn program(name: &str) -> Exec {
    Exec::file(&format!("proposals/{name}"))
}

/// Runs the original of `exec`, which must get `engine`.
fn original(exec: &Exec, engine: EngineKind) -> Trace {
    assert_eq!(exec.engine(), engine, "the program runs on another engine");
    exec.oracle()
}

fn logs(t: &Trace) -> Vec<Value> {
    t.args_of("env.log").concat()
}

// Legacy exception handling (node).

fn eh_legacy_try_program() -> Exec {
    program("eh_legacy_try")
        .call("body_suspends", &[I32(5)])
        .call("body_suspends", &[I32(95)])
        .call("callee_throws", &[I32(7)])
}

#[test]
fn eh_legacy_try_original() {
    let t = original(&eh_legacy_try_program(), EngineKind::Node);
    // 5 + 10 doubled; 95 + 20 thrown and negated; 7 thrown after a sleep.
    assert_eq!(t.first_results(), [I32(30), I32(-115), I32(1007)]);
    assert_eq!(logs(&t), [I32(15), I32(115)]);
}

#[test]
fn eh_legacy_try() {
    eh_legacy_try_program().run();
}

fn eh_legacy_catch_program() -> Exec {
    program("eh_legacy_catch")
        .call("in_catch_locals", &[I32(5)])
        .call("in_catch_stack", &[I32(6)])
        .call("in_catch_all", &[I32(4)])
}

#[test]
fn eh_legacy_catch_original() {
    let t = original(&eh_legacy_catch_program(), EngineKind::Node);
    // (5, 500) summed; (6, 600) summed; 3 * 4 + 20.
    assert_eq!(t.first_results(), [I64(505), I64(606), I32(32)]);
    assert_eq!(logs(&t), [I32(10)]);
}

#[test]
fn eh_legacy_catch() {
    eh_legacy_catch_program().run();
}

fn eh_legacy_rethrow_program() -> Exec {
    program("eh_legacy_rethrow")
        .call("main", &[I32(5)])
        .call("main", &[I32(-3)])
}

#[test]
fn eh_legacy_rethrow_original() {
    let t = original(&eh_legacy_rethrow_program(), EngineKind::Node);
    // 5 rethrown after the sleep, + 10; -3 rethrown at once, + 20.
    assert_eq!(t.first_results(), [I32(15), I32(17)]);
    assert_eq!(logs(&t), [I32(5), I32(6)]);
    assert_eq!(t.args_of("env.sleep").len(), 1);
}

/// A handler that suspends and then rethrows its own exception cannot be
/// resumed: the unwind leaves the handler, and the exception it would
/// rethrow exists nowhere else. The transform keeps such a handler in its
/// `try` (`catch_handlers_unresumable`), the unwind works, and the rewind
/// into it traps in `__rewind_resume_in_catch_with_rethrow`, named so in a
/// host's backtrace. Without a suspension it behaves like the original.
#[test]
fn eh_legacy_rethrow() {
    let exec = eh_legacy_rethrow_program();
    let oracle = original(&exec, EngineKind::Node);
    let options = Options {
        imports: Some(vec!["env.sleep*".to_string()]),
        ..Options::default()
    };
    let out = rewind_transform::asyncify(exec.wasm(), &options).expect("instrumented");
    assert_eq!(out.report.catch_handlers_unresumable, 1);
    let wasm = out.wasm;
    assert!(
        walrus::Module::from_buffer(&wasm)
            .expect("parses")
            .funcs
            .by_name("__rewind_resume_in_catch_with_rethrow")
            .is_some(),
        "the trap is named"
    );

    let quiet = exec.run_instrumented(&wasm, Policy::Never);
    quiet
        .diff(&oracle)
        .expect("no suspension: the original's behaviour");

    // Suspending in `$handler` unwinds (the sleep is seen once, as in the
    // original), then resuming it traps before the second log.
    let suspended = exec.run_instrumented(&wasm, Policy::Always);
    assert_eq!(suspended.imports(), &oracle.imports()[..2]);
    match suspended.last_outcome() {
        Some(Outcome::Protocol(why)) => assert!(
            why.contains("rewinding") && why.contains("UnreachableCodeReached"),
            "{why}"
        ),
        other => panic!("expected a trap while rewinding, got {other:?}"),
    }
}

fn eh_legacy_delegate_program() -> Exec {
    program("eh_legacy_delegate")
        .call("main", &[I32(4)])
        .call("through_caller", &[I32(21)])
}

#[test]
fn eh_legacy_delegate_original() {
    let t = original(&eh_legacy_delegate_program(), EngineKind::Node);
    assert_eq!(t.first_results(), [I32(14), I32(42)]);
    assert!(logs(&t).is_empty(), "the delegate skipped the catch_all");
}

#[test]
fn eh_legacy_delegate() {
    eh_legacy_delegate_program().run();
}

fn eh_legacy_nested_program() -> Exec {
    program("eh_legacy_nested")
        .call("main", &[I32(5)])
        .call("main", &[I32(0)])
}

#[test]
fn eh_legacy_nested_original() {
    let t = original(&eh_legacy_nested_program(), EngineKind::Node);
    // 10 + 20 + 5 rethrown as $f, + 30; then 40 + 50 after the inner catch.
    assert_eq!(t.first_results(), [I32(65), I32(90)]);
    assert_eq!(logs(&t), [I32(0), I32(90)]);
}

#[test]
fn eh_legacy_nested() {
    eh_legacy_nested_program().run();
}

// Exception handling with try_table and exnref (wasmtime).

fn eh_try_table_program() -> Exec {
    program("eh_try_table")
        .call("catch", &[I32(3)])
        .call("catch_ref", &[I32(8)])
        .call("catch_all", &[I32(1)])
        .call("catch_all_ref", &[I32(9)])
}

#[test]
fn eh_try_table_original() {
    let t = original(&eh_try_table_program(), EngineKind::Wasmtime);
    assert_eq!(t.first_results(), [I32(26), I32(9), I32(77), I32(509)]);
    assert_eq!(logs(&t), [I32(20)]);
}

#[test]
fn eh_try_table() {
    eh_try_table_program().run();
}

fn eh_throw_ref_live_program() -> Exec {
    program("eh_throw_ref_live").call("main", &[I32(9)])
}

#[test]
fn eh_throw_ref_live_original() {
    let t = original(&eh_throw_ref_live_program(), EngineKind::Wasmtime);
    assert_eq!(t.first_results(), [I32(1009)]);
    assert_eq!(logs(&t), [I32(10)]);
}

#[test]
fn eh_throw_ref_live() {
    eh_throw_ref_live_program().run();
}

// References (wasmi for externref/funcref, wasmtime for GC).

fn ref_locals_program() -> Exec {
    program("ref_locals")
        .call("extern_local", &[Value::host(7)])
        .call("extern_stack", &[Value::host(8)])
        .call("extern_select", &[Value::host(9), I32(1)])
        .call("extern_select", &[Value::host(9), I32(0)])
        .call("func_local", &[I32(2)])
        .call("func_stack", &[I32(1)])
}

#[test]
fn ref_locals_original() {
    let t = original(&ref_locals_program(), EngineKind::Wasmi);
    assert_eq!(
        t.results(),
        [
            vec![Value::host(7), Value::host(10)],
            vec![Value::host(8)],
            vec![I32(0)],
            vec![I32(1)],
            vec![I32(3)],
            vec![I32(2)],
        ]
    );
    assert_eq!(
        t.args_of("env.log_ref"),
        [vec![Value::host(10)], vec![Value::host(20)]]
    );
}

#[test]
fn ref_locals() {
    ref_locals_program().run();
}

fn gc_refs_program() -> Exec {
    program("gc_refs")
        .call("struct_local", &[I32(5)])
        .call("non_null_local", &[I32(4)])
        .call("array_stack", &[I32(6)])
        .call("array_local", &[])
        .call("i31", &[I32(7)])
        .call("anyref_cast", &[I32(11)])
        .call("i31_result", &[I32(-4)])
}

#[test]
fn gc_refs_original() {
    let t = original(&gc_refs_program(), EngineKind::Wasmtime);
    assert_eq!(
        t.first_results(),
        [
            I32(6 + 10),
            I32(8),
            I32(6),
            I32(1 + 20 + 3),
            I32(12),
            I32(11),
            Value::Ref(Reference::I31(-4))
        ]
    );
}

#[test]
fn gc_refs() {
    gc_refs_program().run();
}

fn non_null_spill_program() -> Exec {
    program("non_null_spill")
        .call("main", &[])
        .call("main", &[])
}

#[test]
fn non_null_spill_original() {
    let t = original(&non_null_spill_program(), EngineKind::Wasmtime);
    assert_eq!(t.first_results(), [I32(10), I32(20)]);
}

#[test]
fn non_null_spill() {
    non_null_spill_program().run();
}

// Tail calls and call_ref.

/// Iterations of the deep tail recursion: enough that keeping one native
/// frame per iteration overflows every engine's stack.
const DEEP: i32 = 100_000;

fn tail_calls_program() -> Exec {
    program("tail_calls")
        .call("deep", &[I32(DEEP), I32(DEEP / 4)])
        .call("indirect", &[I32(3)])
}

#[test]
fn tail_calls_original() {
    let t = original(&tail_calls_program(), EngineKind::Wasmi);
    // deep: DEEP + 10 after sleeps at DEEP, 3/4, 1/2 and 1/4 of it;
    // indirect: 3 + 2 + 1 + 20 after four sleeps.
    assert_eq!(t.first_results(), [I32(DEEP + 10), I32(26)]);
    assert_eq!(t.args_of("env.sleep").len(), 4 + 4);
}

/// The tail calls stay tail calls (`tail_calls.rs`): the instrumented
/// recursion runs in constant native stack, and each suspension saves one
/// frame, not one per iteration (the default save stack holds it).
#[test]
fn tail_calls() {
    let exec = tail_calls_program();
    let out = rewind_transform::asyncify(exec.wasm(), &Options::default()).expect("instrumented");
    assert_eq!(
        (out.report.tail_calls_kept, out.report.tail_calls_lowered),
        (4, 0),
        "every return_call of the program is kept"
    );
    exec.run();
}

fn tail_call_in_try_table_program() -> Exec {
    program("tail_call_in_try_table")
        .call("by_ref", &[I32(7)])
        .call("by_ref", &[I32(0)])
        .call("direct", &[I32(7)])
        .call("direct", &[I32(-1)])
}

#[test]
fn tail_call_in_try_table_original() {
    let t = original(&tail_call_in_try_table_program(), EngineKind::Wasmtime);
    // 7: 107 thrown past the tail-calling function's handlers, caught by
    // the export: 1107; 0: 5 returned; -1: the first sleep_i32, 10.
    assert_eq!(t.first_results(), [I32(1107), I32(5), I32(1107), I32(10)]);
}

/// The tail calls are lowered (none can be kept), and made outside the
/// handlers: nothing a callee throws is caught by its tail caller.
#[test]
fn tail_call_in_try_table() {
    let exec = tail_call_in_try_table_program();
    let out = rewind_transform::asyncify(exec.wasm(), &Options::default()).expect("instrumented");
    assert_eq!(
        (out.report.tail_calls_kept, out.report.tail_calls_lowered),
        (0, 3)
    );
    exec.run();
}

fn tail_call_in_legacy_try_program() -> Exec {
    program("tail_call_in_legacy_try")
        .call("main", &[I32(7)])
        .call("main", &[I32(0)])
}

#[test]
fn tail_call_in_legacy_try_original() {
    let t = original(&tail_call_in_legacy_try_program(), EngineKind::Node);
    // 7: 107 thrown past $tail's catch: 1107; 0: the first sleep_i32, 10.
    assert_eq!(t.first_results(), [I32(1107), I32(10)]);
}

#[test]
fn tail_call_in_legacy_try() {
    let exec = tail_call_in_legacy_try_program();
    let out = rewind_transform::asyncify(exec.wasm(), &Options::default()).expect("instrumented");
    assert_eq!(
        (out.report.tail_calls_kept, out.report.tail_calls_lowered),
        (0, 2)
    );
    exec.run();
}

fn tail_call_ref_program() -> Exec {
    program("tail_call_ref").call("main", &[I32(4)])
}

#[test]
fn tail_call_ref_original() {
    let t = original(&tail_call_ref_program(), EngineKind::Wasmtime);
    assert_eq!(t.first_results(), [I32(18)]);
}

#[test]
fn tail_call_ref() {
    tail_call_ref_program().run();
}

fn br_on_values_program() -> Exec {
    program("br_on_values")
        .call("on_null", &[I32(0)])
        .call("on_null", &[I32(5)])
        .call("on_non_null", &[I32(0)])
        .call("on_non_null", &[I32(4)])
        .call("on_cast", &[I32(0)])
        .call("on_cast", &[I32(21)])
        .call("on_cast_fail", &[I32(0)])
        .call("on_cast_fail", &[I32(6)])
        .call("on_null_subtype", &[I32(0)])
        .call("on_null_subtype", &[I32(5)])
        .call("if_subtype", &[I32(0)])
        .call("if_subtype", &[I32(7)])
}

#[test]
fn br_on_values_original() {
    let t = original(&br_on_values_program(), EngineKind::Wasmtime);
    // on_null: 0 + 10, 5 + 100 + 20; on_non_null: 1000, 8; on_cast: -1,
    // 42; on_cast_fail: -7, 36; on_null_subtype: 1000, 105; if_subtype:
    // 100, 1007.
    assert_eq!(
        t.first_results(),
        [
            I32(10),
            I32(125),
            I32(1000),
            I32(8),
            I32(-1),
            I32(42),
            I32(-7),
            I32(36),
            I32(1000),
            I32(105),
            I32(100),
            I32(1007)
        ]
    );
}

#[test]
fn br_on_values() {
    br_on_values_program().run();
}

fn call_ref_program() -> Exec {
    program("call_ref")
        .call("main", &[I32(5), I32(0)])
        .call("main", &[I32(6), I32(1)])
}

#[test]
fn call_ref_original() {
    let t = original(&call_ref_program(), EngineKind::Wasmtime);
    // $sleepy: 5 + 10 + 1; $plain: 3 * 6 + 1.
    assert_eq!(t.first_results(), [I32(16), I32(19)]);
}

#[test]
fn call_ref() {
    call_ref_program().run();
}

// A big switch.

/// Nesting of the ladder: real switches compile to ladders this deep.
const LADDER: usize = 10_000;

/// `switch(i)`: a suspending call inside `LADDER` nested blocks, then a
/// `br_table` to case `i` (the default sets -1); the case sets `r = i`,
/// sleeping first when `i` is a multiple of 1000; the result is
/// `r + sleep_i32()`. Flat text: the parser need not recurse.
fn ladder_text(depth: usize) -> String {
    let mut s = String::from(
        "(module\n\
         (import \"env\" \"sleep\" (func $sleep))\n\
         (import \"env\" \"sleep_i32\" (func $sleep_i32 (result i32)))\n\
         (memory (export \"memory\") 1)\n\
         (func (export \"switch\") (param $i i32) (result i32) (local $r i32)\n\
         i32.const -1\nlocal.set $r\nblock $exit\n",
    );
    s.push_str(&"block\n".repeat(depth));
    s.push_str("call $sleep\nlocal.get $i\nbr_table");
    for k in 0..=depth {
        s.push_str(&format!(" {k}"));
    }
    s.push('\n');
    for k in 0..depth {
        s.push_str(&format!("end\ni32.const {k}\nlocal.set $r\n"));
        if k % 1000 == 0 {
            s.push_str("call $sleep\n");
        }
        s.push_str(&format!("br {}\n", depth - 1 - k));
    }
    s.push_str("end\nlocal.get $r\ncall $sleep_i32\ni32.add))\n");
    s
}

fn br_table_ladder_program() -> Exec {
    Exec::bytes("br_table_ladder", wat(&ladder_text(LADDER)))
        .call("switch", &[I32(0)])
        .call("switch", &[I32(4321)])
        .call("switch", &[I32(9000)])
        .call("switch", &[I32(123_456)])
}

#[test]
fn br_table_ladder_original() {
    let t = original(&br_table_ladder_program(), EngineKind::Wasmi);
    assert_eq!(
        t.first_results(),
        [I32(10), I32(4321 + 20), I32(9000 + 30), I32(-1 + 40)]
    );
    // One sleep per call, and one more in cases 0 and 9000.
    assert_eq!(t.args_of("env.sleep").len(), 4 + 2);
}

#[test]
fn br_table_ladder() {
    br_table_ladder_program().run();
}
