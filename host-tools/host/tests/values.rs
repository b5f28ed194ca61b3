//! Async imports returning values of every number type, through every way
//! of driving a call: resumable, blocking, async.

mod common;

use common::{after_polls, instantiate, load};
use rewind_host::wasmi::{FuncType, Val, ValType};
use rewind_host::{CallOutcome, Config, Instance, Linker, block_on};

const WAT: &str = r#"
(module
  (import "env" "get_i32" (func $get_i32 (param i32) (result i32)))
  (import "env" "get_i64" (func $get_i64 (param i64) (result i64)))
  (import "env" "get_f32" (func $get_f32 (param f32) (result f32)))
  (import "env" "get_f64" (func $get_f64 (param f64) (result f64)))
  (memory (export "memory") 1)

  ;; Every parameter and every result stays live across the later
  ;; suspensions, so each type is saved and restored more than once.
  (func (export "mix") (param $a i32) (param $b i64) (param $c f32) (param $d f64) (result f64)
    (local $x i32) (local $y i64) (local $z f32) (local $w f64)
    (local.set $x (call $get_i32 (local.get $a)))
    (local.set $y (call $get_i64 (local.get $b)))
    (local.set $z (call $get_f32 (local.get $c)))
    (local.set $w (call $get_f64 (local.get $d)))
    (f64.add
      (f64.add
        (f64.convert_i32_s (i32.add (local.get $x) (local.get $a)))
        (f64.convert_i64_s (i64.add (local.get $y) (local.get $b))))
      (f64.add
        (f64.promote_f32 (f32.add (local.get $z) (local.get $c)))
        (f64.add (local.get $w) (local.get $d)))))

  ;; The export's result is the suspending call's result itself.
  (func (export "pass_i32") (param i32) (result i32) (call $get_i32 (local.get 0)))
  (func (export "pass_i64") (param i64) (result i64) (call $get_i64 (local.get 0)))
  (func (export "pass_f32") (param f32) (result f32) (call $get_f32 (local.get 0)))
  (func (export "pass_f64") (param f64) (result f64) (call $get_f64 (local.get 0)))

  ;; A value on the operand stack across the suspension.
  (func (export "stack_i64") (param i64) (result i64)
    (i64.sub (local.get 0) (call $get_i64 (i64.const 5))))
)
"#;

fn get_i32(x: i32) -> i32 {
    x.wrapping_mul(2)
}
fn get_i64(x: i64) -> i64 {
    x.wrapping_mul(3)
}
fn get_f32(x: f32) -> f32 {
    x * 0.5
}
fn get_f64(x: f64) -> f64 {
    x + 0.25
}

/// Each import answers after `polls` pending polls.
fn linker_with(polls: usize) -> (rewind_host::Module, Linker<()>) {
    let (module, mut linker) = load::<()>(WAT);
    linker
        .func_async(
            "env",
            "get_i32",
            FuncType::new([ValType::I32], [ValType::I32]),
            move |_, args| {
                let x = args[0].i32().unwrap();
                after_polls(polls, Ok(vec![Val::I32(get_i32(x))]))
            },
        )
        .unwrap()
        .func_async(
            "env",
            "get_i64",
            FuncType::new([ValType::I64], [ValType::I64]),
            move |_, args| {
                let x = args[0].i64().unwrap();
                after_polls(polls, Ok(vec![Val::I64(get_i64(x))]))
            },
        )
        .unwrap()
        .func_async(
            "env",
            "get_f32",
            FuncType::new([ValType::F32], [ValType::F32]),
            move |_, args| {
                let x = f32::from(args[0].f32().unwrap());
                after_polls(polls, Ok(vec![Val::from(get_f32(x))]))
            },
        )
        .unwrap()
        .func_async(
            "env",
            "get_f64",
            FuncType::new([ValType::F64], [ValType::F64]),
            move |_, args| {
                let x = f64::from(args[0].f64().unwrap());
                after_polls(polls, Ok(vec![Val::from(get_f64(x))]))
            },
        )
        .unwrap();
    (module, linker)
}

fn instance(polls: usize) -> Instance<()> {
    let (module, linker) = linker_with(polls);
    assert!(linker.is_suspending("env", "get_f64"));
    instantiate(&linker, &module, (), Config::default())
}

fn mix_expected(a: i32, b: i64, c: f32, d: f64) -> f64 {
    f64::from(get_i32(a).wrapping_add(a))
        + get_i64(b).wrapping_add(b) as f64
        + (f64::from(get_f32(c) + c) + (get_f64(d) + d))
}

fn mix_args(a: i32, b: i64, c: f32, d: f64) -> [Val; 4] {
    [Val::I32(a), Val::I64(b), Val::from(c), Val::from(d)]
}

#[test]
fn resumable_call_suspends_once_per_import() {
    let mut instance = instance(1);
    let (a, b, c, d) = (-7, 1i64 << 40, 3.5f32, -1.125f64);
    let mut outcome = instance
        .call_resumable("mix", &mix_args(a, b, c, d))
        .unwrap();
    let mut suspensions = Vec::new();
    let values = loop {
        outcome = match outcome {
            CallOutcome::Finished(values) => break values,
            CallOutcome::Yielded(_) => panic!("nothing yields here"),
            CallOutcome::Suspended(call) => {
                suspensions.push(call.import().to_string());
                instance.resume(call).unwrap()
            }
        };
    };
    assert_eq!(
        suspensions,
        ["env.get_i32", "env.get_i64", "env.get_f32", "env.get_f64"]
    );
    assert_eq!(values.len(), 1);
    assert_eq!(
        f64::from(values[0].f64().unwrap()),
        mix_expected(a, b, c, d)
    );
    assert_eq!(instance.buffers_placed(), 1);
    assert!(instance.unfinished_calls().is_empty());
}

#[test]
fn ready_futures_do_not_suspend() {
    let mut instance = instance(0);
    let outcome = instance
        .call_resumable("mix", &mix_args(1, 2, 3.0, 4.0))
        .unwrap();
    let values = outcome.into_finished().expect("no suspension");
    assert_eq!(
        f64::from(values[0].f64().unwrap()),
        mix_expected(1, 2, 3.0, 4.0)
    );
    assert_eq!(
        instance.buffers_placed(),
        0,
        "no buffer is placed when nothing suspends"
    );
}

#[test]
fn every_type_round_trips_exactly() {
    let mut instance = instance(3);
    for x in [0, 1, -1, i32::MIN, i32::MAX, 0x1234_5678] {
        let out = instance.call_blocking("pass_i32", &[Val::I32(x)]).unwrap();
        assert_eq!(out[0].i32(), Some(get_i32(x)));
    }
    for x in [0, -1, i64::MIN + 7, i64::MAX / 3, 0x0123_4567_89ab_cdef] {
        let out = instance.call_blocking("pass_i64", &[Val::I64(x)]).unwrap();
        assert_eq!(out[0].i64(), Some(get_i64(x)));
        let out = instance.call_blocking("stack_i64", &[Val::I64(x)]).unwrap();
        assert_eq!(out[0].i64(), Some(x.wrapping_sub(15)));
    }
    for x in [
        0.0f32,
        -0.0,
        1.5,
        f32::MAX,
        f32::MIN_POSITIVE,
        f32::INFINITY,
    ] {
        let out = instance.call_blocking("pass_f32", &[Val::from(x)]).unwrap();
        assert_eq!(
            f32::from(out[0].f32().unwrap()).to_bits(),
            get_f32(x).to_bits()
        );
    }
    for x in [0.0f64, -2.5, f64::MAX, 1e-300, f64::NEG_INFINITY] {
        let out = instance.call_blocking("pass_f64", &[Val::from(x)]).unwrap();
        assert_eq!(
            f64::from(out[0].f64().unwrap()).to_bits(),
            get_f64(x).to_bits()
        );
    }
}

#[test]
fn call_async_completes_when_the_guest_returns() {
    let mut instance = instance(2);
    let values = block_on(instance.call_async("mix", &mix_args(5, -6, 7.25, 8.5))).unwrap();
    assert_eq!(
        f64::from(values[0].f64().unwrap()),
        mix_expected(5, -6, 7.25, 8.5)
    );
}

#[test]
fn future_completed_from_another_thread() {
    use std::sync::mpsc;
    let (module, mut linker) = load::<()>(WAT);
    // The import hands a sender to a worker thread, which answers later.
    let (to_worker, jobs) = mpsc::channel::<(i64, common::Sender<i64>)>();
    let to_worker = std::sync::Mutex::new(to_worker);
    linker
        .func_async(
            "env",
            "get_i64",
            FuncType::new([ValType::I64], [ValType::I64]),
            move |_, args| {
                let (tx, rx) = common::oneshot();
                to_worker
                    .lock()
                    .unwrap()
                    .send((args[0].i64().unwrap(), tx))
                    .unwrap();
                async move { Ok(vec![Val::I64(rx.await)]) }
            },
        )
        .unwrap()
        .func_wrap("env", "get_i32", get_i32)
        .unwrap()
        .func_wrap("env", "get_f32", get_f32)
        .unwrap()
        .func_wrap("env", "get_f64", get_f64)
        .unwrap();
    let worker = std::thread::spawn(move || {
        for (x, tx) in jobs {
            std::thread::sleep(std::time::Duration::from_millis(5));
            tx.send(get_i64(x));
        }
    });
    let mut instance = instantiate(&linker, &module, (), Config::default());

    // Blocking: parks the thread until the worker answers.
    let out = instance.call_blocking("pass_i64", &[Val::I64(21)]).unwrap();
    assert_eq!(out[0].i64(), Some(63));

    // Polling without blocking: nothing runs until the future is ready.
    let mut call = instance
        .call_resumable("mix", &mix_args(1, 2, 3.0, 4.0))
        .unwrap()
        .into_suspended()
        .expect("waits on the worker");
    let values = loop {
        if !call.was_woken() {
            std::thread::yield_now();
        }
        match instance.resume(call).unwrap() {
            CallOutcome::Finished(values) => break values,
            CallOutcome::Suspended(again) => call = again,
            CallOutcome::Yielded(_) => unreachable!(),
        }
    };
    assert_eq!(
        f64::from(values[0].f64().unwrap()),
        mix_expected(1, 2, 3.0, 4.0)
    );

    // Async.
    let out = block_on(instance.call_async("stack_i64", &[Val::I64(100)])).unwrap();
    assert_eq!(out[0].i64(), Some(85));

    drop(instance);
    drop(linker);
    worker.join().unwrap();
}
