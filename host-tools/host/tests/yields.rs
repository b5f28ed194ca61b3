//! Exports that yield to the host: the caller resumes them explicitly, for
//! example once per frame.

mod common;

use common::{after_polls, instantiate, load};
use rewind_host::wasmi::{FuncType, Val, ValType};
use rewind_host::{CallOutcome, Config, Error, Instance, block_on};

const WAT: &str = r#"
(module
  (import "rewind" "yield_to_host" (func $yield (param i32) (result i32)))
  (import "env" "load" (func $load (result i32)))
  (memory (export "memory") 1)
  (func (export "game") (param $frames i32) (result i32)
    (local $frame i32) (local $score i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $frame) (local.get $frames)))
        (local.set $score (i32.add (local.get $score) (call $yield (local.get $frame))))
        (local.set $frame (i32.add (local.get $frame) (i32.const 1)))
        (br $next)))
    (local.get $score))
  (func (export "load_then_yield") (result i32)
    (local $x i32)
    (local.set $x (call $load))
    (i32.add (local.get $x) (call $yield (local.get $x))))
)
"#;

fn i32s(values: &[Val]) -> Vec<i32> {
    values.iter().map(|v| v.i32().unwrap()).collect()
}

fn instance() -> Instance<()> {
    let (module, mut linker) = load::<()>(WAT);
    linker
        .func_yield(
            "rewind",
            "yield_to_host",
            FuncType::new([ValType::I32], [ValType::I32]),
        )
        .unwrap()
        .func_async("env", "load", FuncType::new([], [ValType::I32]), |_, _| {
            after_polls(1, Ok(vec![Val::I32(40)]))
        })
        .unwrap();
    instantiate(&linker, &module, (), Config::default())
}

#[test]
fn one_resume_per_frame_with_values() {
    let mut instance = instance();
    let mut outcome = instance.call_resumable("game", &[Val::I32(60)]).unwrap();
    let mut frame = 0;
    let score = loop {
        outcome = match outcome {
            CallOutcome::Finished(values) => break values[0].i32().unwrap(),
            CallOutcome::Yielded(call) => {
                assert_eq!(call.import(), "rewind.yield_to_host");
                assert!(call.is_yield());
                assert_eq!(i32s(call.yielded_values().unwrap()), [frame]);
                frame += 1;
                // ... the host renders a frame, then hands back a value.
                instance.resume_with(call, &[Val::I32(10 * frame)]).unwrap()
            }
            CallOutcome::Suspended(_) => panic!("nothing waits on a future"),
        };
    };
    assert_eq!(frame, 60);
    assert_eq!(score, (1..=60).map(|f| 10 * f).sum::<i32>());
    assert_eq!(instance.buffers_placed(), 1);
}

#[test]
fn plain_resume_returns_zeros() {
    let mut instance = instance();
    let out = instance.call_blocking("game", &[Val::I32(5)]).unwrap();
    assert_eq!(out[0].i32(), Some(0));
}

#[test]
fn yields_under_an_executor_are_cooperative() {
    let mut instance = instance();
    let out = block_on(instance.call_async("game", &[Val::I32(20)])).unwrap();
    assert_eq!(out[0].i32(), Some(0));
    let out = block_on(instance.call_async("load_then_yield", &[])).unwrap();
    assert_eq!(out[0].i32(), Some(40));
}

#[test]
fn future_then_yield_in_one_call() {
    let mut instance = instance();
    let outcome = instance.call_resumable("load_then_yield", &[]).unwrap();
    let CallOutcome::Suspended(call) = outcome else {
        panic!("load suspends first")
    };
    assert!(call.yielded_values().is_none());
    instance.check_resume(&call).unwrap();
    let outcome = instance.resume_blocking(call).unwrap();
    let CallOutcome::Yielded(call) = outcome else {
        panic!("then it yields")
    };
    assert_eq!(i32s(call.yielded_values().unwrap()), [40]);
    let out = instance.resume_with(call, &[Val::I32(2)]).unwrap();
    assert_eq!(out.into_finished().unwrap()[0].i32(), Some(42));
}

#[test]
fn wrong_resume_values() {
    let mut instance = instance();
    let call = instance
        .call_resumable("game", &[Val::I32(3)])
        .unwrap()
        .into_suspended()
        .unwrap();
    let error = instance.resume_with(call, &[Val::I64(1)]).unwrap_err();
    assert!(matches!(error, Error::ResumeValues { .. }), "{error:?}");
    assert!(
        instance.unfinished_calls().is_empty(),
        "the call was let go"
    );

    let call = instance
        .call_resumable("load_then_yield", &[])
        .unwrap()
        .into_suspended()
        .unwrap();
    let error = instance.resume_with(call, &[Val::I32(1)]).unwrap_err();
    assert!(matches!(error, Error::ResumeValues { .. }), "{error:?}");
}
