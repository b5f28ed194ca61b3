//! Modules that export `__asyncify_state` and `__asyncify_data`
//! (`--export-globals`) are driven through those globals instead of the ABI
//! exports, with the same results and the same checks: an unwind that ran
//! past its buffer (Binaryen's after-the-fact overflow) and a buffer header
//! the guest wrote over while suspended.

mod common;

use rewind_host::wasmi::{Engine, FuncType, Val, ValType};
use rewind_host::{CallOutcome, Error, Linker, Module, Phase};

/// A hand-written "instrumented" module whose ABI exports trap: only a
/// driver that uses the globals gets through. `main` yields once (nothing
/// to save: no locals) and returns 42; on the way out of an unwind it adds
/// `$bump` to `stack_pos`, as a frame that saved `$bump` bytes would
/// (past the buffer's end if large), and takes it off again on the way in
/// unless `$pop` is zero; it traps on the way in when `$trap` is set.
const HAND_WRITTEN: &str = r#"(module
  (import "rewind" "yield_to_host" (func $yield))
  (memory (export "memory") 1)
  (global $state (export "__asyncify_state") (mut i32) (i32.const 0))
  (global $data (export "__asyncify_data") (mut i32) (i32.const 0))
  (global $bump (export "bump") (mut i32) (i32.const 0))
  (global $pop (export "pop") (mut i32) (i32.const 1))
  (global $trap (export "trap") (mut i32) (i32.const 0))
  (func (export "asyncify_start_unwind") (param i32) unreachable)
  (func (export "asyncify_stop_unwind") unreachable)
  (func (export "asyncify_start_rewind") (param i32) unreachable)
  (func (export "asyncify_stop_rewind") unreachable)
  (func (export "asyncify_get_state") (result i32) unreachable)
  (func (export "main") (result i32)
    (if (i32.and (i32.eq (global.get $state) (i32.const 2)) (global.get $trap))
      (then unreachable))
    (if (i32.and (i32.eq (global.get $state) (i32.const 2)) (global.get $pop))
      (then
        (i32.store (global.get $data)
          (i32.sub (i32.load (global.get $data)) (global.get $bump)))))
    (call $yield)
    (if (i32.eq (global.get $state) (i32.const 1))
      (then
        (i32.store (global.get $data)
          (i32.add (i32.load (global.get $data)) (global.get $bump)))
        (return (i32.const 0))))
    (i32.const 42)))"#;

fn hand_written() -> rewind_host::Instance<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, wat::parse_str(HAND_WRITTEN).unwrap()).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_yield("rewind", "yield_to_host", FuncType::new([], []))
        .unwrap();
    linker.instantiate(&module, ()).unwrap()
}

fn set_bump(instance: &mut rewind_host::Instance<()>, bump: i32) {
    set(instance, "bump", bump);
}

fn set(instance: &mut rewind_host::Instance<()>, name: &str, value: i32) {
    let global = instance.wasmi().get_global(instance.store(), name).unwrap();
    global.set(instance.store_mut(), Val::I32(value)).unwrap();
}

#[test]
fn the_globals_drive_the_call_without_the_exports() {
    let mut instance = hand_written();
    set_bump(&mut instance, 4);
    for _ in 0..3 {
        let call = match instance.call_resumable("main", &[]).unwrap() {
            CallOutcome::Yielded(call) => call,
            other => panic!("expected a yield, got {other:?}"),
        };
        let out = instance.resume(call).unwrap().into_finished().unwrap();
        assert_eq!(out[0].i32(), Some(42));
    }
}

#[test]
fn an_unwind_past_the_buffer_is_caught_when_it_stops() {
    let mut instance = hand_written();
    set_bump(&mut instance, 1 << 20);
    let error = instance.call_resumable("main", &[]).unwrap_err();
    assert!(
        matches!(&error, Error::SaveStackOverflow { export, import, .. }
            if export == "main" && import == "rewind.yield_to_host"),
        "{error:?}"
    );
    assert!(matches!(
        instance.call_resumable("main", &[]),
        Err(Error::Poisoned(_))
    ));
}

#[test]
fn a_header_overwritten_while_suspended_stops_the_resume() {
    let mut instance = hand_written();
    let call = instance
        .call_resumable("main", &[])
        .unwrap()
        .into_suspended()
        .unwrap();
    // `stack_pos` beyond `stack_end`.
    let data = instance
        .wasmi()
        .get_global(instance.store(), "__asyncify_data")
        .unwrap()
        .get(instance.store())
        .i32()
        .unwrap() as usize;
    let memory = instance.memory();
    memory
        .write(instance.store_mut(), data, &u32::MAX.to_le_bytes())
        .unwrap();
    let error = instance.resume(call).unwrap_err();
    assert!(
        matches!(&error, Error::Trap { export, phase: Phase::Resuming, .. } if export == "main"),
        "{error:?}"
    );
    // Back in the normal state: the next call runs.
    assert!(instance.poisoned().is_none());
    assert!(
        instance
            .call_resumable("main", &[])
            .unwrap()
            .into_suspended()
            .is_some()
    );
}

/// The transform's own output, with and without exported globals, gives
/// the same results through yields and futures.
#[test]
fn exported_globals_and_exports_agree() {
    let wat = r#"(module
      (import "env" "twice" (func $twice (param i64) (result i64)))
      (import "rewind" "yield_to_host" (func $yield))
      (memory (export "memory") 1)
      (func (export "run") (param $n i32) (result i64)
        (local $sum i64)
        (loop $again
          (local.set $sum
            (i64.add (local.get $sum) (call $twice (i64.extend_i32_u (local.get $n)))))
          (call $yield)
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $again (local.get $n)))
        (local.get $sum)))"#;
    let wasm = wat::parse_str(wat).unwrap();
    let engine = Engine::default();
    let run = |export_globals| {
        let options = rewind_transform::Options {
            export_globals,
            ..Default::default()
        };
        let instrumented = rewind_transform::asyncify(&wasm, &options).unwrap().wasm;
        let module = Module::new(&engine, instrumented).unwrap();
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_async(
                "env",
                "twice",
                FuncType::new([ValType::I64], [ValType::I64]),
                |_, args| {
                    let v = args[0].i64().unwrap();
                    common::after_polls(1, Ok(vec![Val::I64(2 * v)]))
                },
            )
            .unwrap()
            .func_yield("rewind", "yield_to_host", FuncType::new([], []))
            .unwrap();
        let mut instance = linker.instantiate(&module, ()).unwrap();
        let mut outcome = instance.call_resumable("run", &[Val::I32(5)]).unwrap();
        let mut suspensions = 0;
        loop {
            outcome = match outcome {
                CallOutcome::Finished(values) => break (values[0].i64(), suspensions),
                CallOutcome::Suspended(call) => {
                    suspensions += 1;
                    instance.resume_blocking(call).unwrap()
                }
                CallOutcome::Yielded(call) => {
                    suspensions += 1;
                    instance.resume(call).unwrap()
                }
            };
        }
    };
    assert_eq!(run(true), (Some(2 * (5 + 4 + 3 + 2 + 1)), 10));
    assert_eq!(run(false), run(true));
}

/// Calls `main`, which yields, and resumes it: the resume must fail with
/// [`Error::NotSuspendable`] naming `rewind.yield_to_host` and poison the
/// instance. Returns what the error says the guest did instead.
fn not_suspendable_on_resume(instance: &mut rewind_host::Instance<()>) -> String {
    let call = match instance.call_resumable("main", &[]).unwrap() {
        CallOutcome::Yielded(call) => call,
        other => panic!("expected a yield, got {other:?}"),
    };
    let error = instance.resume(call).unwrap_err();
    let Error::NotSuspendable { import, found, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!(import, "rewind.yield_to_host");
    assert!(instance.poisoned().is_some());
    found
}

/// A rewind that reaches the import that suspended with frames still in
/// the save stack did not come back the way the unwind went out (code
/// that was not instrumented went on running and saved them): the error
/// names the import, and the instance is poisoned.
#[test]
fn frames_left_over_when_the_rewind_reaches_the_import_are_caught() {
    let mut instance = hand_written();
    set_bump(&mut instance, 4);
    set(&mut instance, "pop", 0);
    assert_eq!(
        not_suspendable_on_resume(&mut instance),
        "rewound into it with 4 bytes of saved frames not restored"
    );
}

/// A resumed call that traps before its rewind reaches the import that
/// suspended: the saved frames did not lead back to it.
#[test]
fn a_trap_before_the_rewind_reaches_the_import_names_it() {
    let mut instance = hand_written();
    set(&mut instance, "trap", 1);
    let found = not_suspendable_on_resume(&mut instance);
    assert!(
        found.starts_with("trapped while rewinding toward it ("),
        "{found}"
    );
}
