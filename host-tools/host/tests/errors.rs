//! Errors with context: a module that was not instrumented, a failing host
//! future, save-stack overflow, bad calls, protocol violations.

mod common;

use common::{after_polls, instantiate, load};
use rewind_host::wasmi::{Engine, FuncType, Val, ValType};
use rewind_host::{BoxError, CallOutcome, Config, Error, Linker, Module, Phase};

const WAT: &str = r#"
(module
  (import "env" "read" (func $read (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "read_plus_one") (param i32) (result i32)
    (i32.add (call $read (local.get 0)) (i32.const 1)))
  (func (export "boom") (unreachable))
  ;; Eight i64 values live across the suspension: more than a tiny buffer holds.
  (func (export "many_locals") (param $x i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64) (local $d i64)
    (local $e i64) (local $f i64) (local $g i64) (local $h i64)
    (local.set $a (i64.add (local.get $x) (i64.const 1)))
    (local.set $b (i64.add (local.get $x) (i64.const 2)))
    (local.set $c (i64.add (local.get $x) (i64.const 3)))
    (local.set $d (i64.add (local.get $x) (i64.const 4)))
    (local.set $e (i64.add (local.get $x) (i64.const 5)))
    (local.set $f (i64.add (local.get $x) (i64.const 6)))
    (local.set $g (i64.add (local.get $x) (i64.const 7)))
    (local.set $h (i64.add (local.get $x) (i64.const 8)))
    (drop (call $read (i32.const 0)))
    (i64.add
      (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $d)))
      (i64.add (i64.add (local.get $e) (local.get $f)) (i64.add (local.get $g) (local.get $h)))))
)
"#;

/// `env.read(n)`: fails with "disk on fire" for n < 0 (after `polls`
/// pending polls), else answers `n * 10` after one pending poll.
fn linker(polls: usize) -> (Module, Linker<()>) {
    let (module, mut linker) = load::<()>(WAT);
    linker
        .func_async(
            "env",
            "read",
            FuncType::new([ValType::I32], [ValType::I32]),
            move |_, args| {
                let n = args[0].i32().unwrap();
                let result: Result<Vec<Val>, BoxError> = if n < 0 {
                    Err("disk on fire".into())
                } else {
                    Ok(vec![Val::I32(n * 10)])
                };
                after_polls(if n < 0 { polls } else { 1 }, result)
            },
        )
        .unwrap();
    (module, linker)
}

#[test]
fn module_not_instrumented() {
    let engine = Engine::default();
    let wasm = wat::parse_str(WAT).unwrap();
    let error = Module::new(&engine, wasm).unwrap_err();
    assert!(
        matches!(error, Error::ModuleNotInstrumented { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("module was not instrumented (run `rewind asyncify`)"),
        "{text}"
    );
}

#[test]
fn abi_export_with_wrong_type() {
    let engine = Engine::default();
    let wasm = wat::parse_str(
        r#"(module
            (func (export "asyncify_start_unwind") (param i32))
            (func (export "asyncify_stop_unwind"))
            (func (export "asyncify_start_rewind") (param i32))
            (func (export "asyncify_stop_rewind"))
            (func (export "asyncify_get_state") (result i64) (i64.const 0)))"#,
    )
    .unwrap();
    let error = Module::new(&engine, wasm).unwrap_err();
    assert!(
        matches!(
            error,
            Error::AbiMismatch {
                export: "asyncify_get_state",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn host_future_failing_after_suspension() {
    let (module, linker) = linker(2);
    let mut instance = instantiate(&linker, &module, (), Config::default());
    let outcome = instance
        .call_resumable("read_plus_one", &[Val::I32(-1)])
        .unwrap();
    let CallOutcome::Suspended(call) = outcome else {
        panic!("the future is pending at first")
    };
    let error = instance.resume_blocking(call).unwrap_err();
    match &error {
        Error::HostFuture {
            export,
            import,
            message,
        } => {
            assert_eq!(export, "read_plus_one");
            assert_eq!(import, "env.read");
            assert_eq!(message, "disk on fire");
        }
        other => panic!("expected HostFuture, got {other:?}"),
    }
    assert!(error.to_string().contains("disk on fire"), "{error}");
    // The failure was a trap in the guest, not a broken instance.
    assert!(instance.poisoned().is_none());
    assert!(instance.unfinished_calls().is_empty());
    let out = instance
        .call_blocking("read_plus_one", &[Val::I32(4)])
        .unwrap();
    assert_eq!(out[0].i32(), Some(41));
}

#[test]
fn host_future_failing_at_once() {
    let (module, linker) = linker(0);
    let mut instance = instantiate(&linker, &module, (), Config::default());
    let error = instance
        .call_resumable("read_plus_one", &[Val::I32(-5)])
        .unwrap_err();
    assert!(
        matches!(&error, Error::HostFuture { message, .. } if message == "disk on fire"),
        "{error:?}"
    );
    let out = instance
        .call_blocking("read_plus_one", &[Val::I32(1)])
        .unwrap();
    assert_eq!(out[0].i32(), Some(11));
}

#[test]
fn guest_trap_has_context() {
    let (module, linker) = linker(1);
    let mut instance = instantiate(&linker, &module, (), Config::default());
    let error = instance.call_blocking("boom", &[]).unwrap_err();
    assert!(
        matches!(&error, Error::Trap { export, phase: Phase::Running, .. } if export == "boom"),
        "{error:?}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn bad_calls() {
    let (module, linker) = linker(1);
    let mut instance = instantiate(&linker, &module, (), Config::default());
    assert!(matches!(
        instance.call_blocking("nope", &[]),
        Err(Error::NoSuchExport(name)) if name == "nope"
    ));
    assert!(matches!(
        instance.call_blocking("read_plus_one", &[Val::I64(1)]),
        Err(Error::BadArguments { .. })
    ));
}

#[test]
fn save_stack_overflow_with_a_tiny_buffer() {
    let (module, linker) = linker(1);
    let mut instance = instantiate(&linker, &module, (), Config::default().buffer_size(16));
    let error = instance
        .call_resumable("many_locals", &[Val::I64(100)])
        .unwrap_err();
    match &error {
        Error::SaveStackOverflow {
            export,
            import,
            buffer_size,
        } => {
            assert_eq!(export, "many_locals");
            assert_eq!(import, "env.read");
            assert_eq!(*buffer_size, 16);
        }
        other => panic!("expected SaveStackOverflow, got {other:?}"),
    }
    assert!(error.to_string().contains("save stack overflow"), "{error}");
    assert!(instance.unfinished_calls().is_empty());
    if common::binaryen_instruments() {
        // Binaryen finds the overflow after writing past the buffer.
        assert!(matches!(
            instance.call_blocking("read_plus_one", &[Val::I32(1)]),
            Err(Error::Poisoned(_))
        ));
    } else {
        // Rewind stops before writing past the buffer: the instance goes on.
        assert!(instance.poisoned().is_none(), "{:?}", instance.poisoned());
        let out = instance
            .call_blocking("read_plus_one", &[Val::I32(1)])
            .unwrap();
        assert_eq!(out[0].i32(), Some(11));
        assert!(matches!(
            instance.call_resumable("many_locals", &[Val::I64(1)]),
            Err(Error::SaveStackOverflow { .. })
        ));
    }
}

#[test]
fn a_large_enough_buffer_does_not_overflow() {
    let (module, linker) = linker(1);
    let mut instance = instantiate(&linker, &module, (), Config::default().buffer_size(1024));
    let out = instance
        .call_blocking("many_locals", &[Val::I64(100)])
        .unwrap();
    assert_eq!(out[0].i64(), Some(8 * 100 + 36));
}

#[test]
fn buffer_too_small_for_its_header() {
    let (module, linker) = linker(1);
    let error = linker
        .instantiate_with_config(&module, (), Config::default().buffer_size(8))
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}

/// A module with a hand-written Asyncify runtime whose code is not
/// instrumented: the import starts an unwind, but the export just keeps
/// running and returns. The driver must notice.
#[test]
fn unwind_that_the_guest_ignores_is_a_protocol_error() {
    let engine = Engine::default();
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "read" (func $read (param i32) (result i32)))
            (memory (export "memory") 1)
            (global $state (mut i32) (i32.const 0))
            (func (export "asyncify_start_unwind") (param i32) (global.set $state (i32.const 1)))
            (func (export "asyncify_stop_unwind") (global.set $state (i32.const 0)))
            (func (export "asyncify_start_rewind") (param i32) (global.set $state (i32.const 2)))
            (func (export "asyncify_stop_rewind") (global.set $state (i32.const 0)))
            (func (export "asyncify_get_state") (result i32) (global.get $state))
            (func (export "run") (result i32)
              (drop (call $read (i32.const 1)))
              (global.set $state (i32.const 0))
              (i32.const 7)))"#,
    )
    .unwrap();
    let module = Module::new(&engine, wasm).unwrap();
    let linker = linker_with_read(&engine, 0);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let error = instance.call_resumable("run", &[]).unwrap_err();
    assert!(matches!(error, Error::Protocol { .. }), "{error:?}");
    assert!(error.to_string().contains("env.read"), "{error}");
    assert!(matches!(
        instance.call_resumable("run", &[]),
        Err(Error::Poisoned(_))
    ));
}

/// `env.read` suspends on the host side, but the module was instrumented
/// to suspend only at `env.wait`: the guest goes on running after
/// `env.read` starts an unwind. Whatever it does next — call the other
/// suspending import, or record another call site and rewind into it —
/// the error names the import that could not suspend, and the instance is
/// poisoned.
#[test]
fn an_import_the_module_cannot_suspend_at_is_named() {
    let wat = r#"(module
      (import "env" "read" (func $read (param i32) (result i32)))
      (import "env" "wait" (func $wait))
      (memory (export "memory") 1)
      (func (export "read_then_wait") (result i32)
        (local $v i32)
        (local.set $v (call $read (i32.const 1)))
        (call $wait)
        (local.get $v))
      ;; Waits only when its argument is not zero.
      (func $maybe_wait (param i32)
        (if (local.get 0) (then (call $wait))))
      (func (export "read_then_maybe_wait") (result i32)
        (local $v i32)
        (local.set $v (call $read (i32.const 1)))
        (call $maybe_wait (local.get $v))
        (local.get $v)))"#;
    let options = rewind_transform::Options {
        imports: Some(vec!["env.wait".to_string()]),
        ..rewind_transform::Options::default()
    };
    let wasm = rewind_transform::asyncify(&wat::parse_str(wat).unwrap(), &options)
        .unwrap()
        .wasm;
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut linker = linker_with_read(&engine, 10);
    linker
        .func_yield("env", "wait", FuncType::new([], []))
        .unwrap();

    let mut instance = linker.instantiate(&module, ()).unwrap();
    let error = instance.call_resumable("read_then_wait", &[]).unwrap_err();
    let Error::NotSuspendable { import, found, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(import, "env.read");
    assert_eq!(found, "called import `env.wait`");
    assert!(instance.poisoned().is_some());

    // `read` leaves 0 while unwinding, so `maybe_wait` returns: the unwind
    // looks complete, and the rewind goes to the call of `maybe_wait`.
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let outcome = instance
        .call_resumable("read_then_maybe_wait", &[])
        .unwrap();
    let CallOutcome::Suspended(call) = outcome else {
        panic!("{outcome:?}");
    };
    let error = instance.resume_blocking(call).unwrap_err();
    let Error::NotSuspendable { import, found, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(import, "env.read");
    assert_eq!(found, "rewound into import `env.wait`");
    assert!(
        error
            .to_string()
            .starts_with("import `env.read` suspended `read_then_maybe_wait`, but the guest did not unwind from it"),
        "{error}"
    );
    assert!(matches!(
        instance.call_resumable("read_then_wait", &[]),
        Err(Error::Poisoned(_))
    ));
}

#[test]
fn suspending_import_called_outside_the_driver() {
    let (module, linker) = linker(1);
    let mut instance = instantiate(&linker, &module, (), Config::default());
    // Calling the export through wasmi directly bypasses the driver: a
    // pending future cannot suspend there.
    let func = instance
        .wasmi()
        .get_func(instance.store(), "read_plus_one")
        .unwrap();
    let mut out = [Val::I32(0)];
    let error = func
        .call(instance.store_mut(), &[Val::I32(1)], &mut out)
        .unwrap_err();
    assert!(
        error.to_string().contains("cannot suspend outside"),
        "{error}"
    );
}

/// A linker whose `env.read(i32) -> i32` suspends once (pending on its
/// first poll), then returns `value`.
fn linker_with_read(engine: &Engine, value: i32) -> Linker<()> {
    let mut linker = Linker::<()>::new(engine);
    linker
        .func_async(
            "env",
            "read",
            FuncType::new([ValType::I32], [ValType::I32]),
            move |_, _| after_polls(1, Ok(vec![Val::I32(value)])),
        )
        .unwrap();
    linker
}
