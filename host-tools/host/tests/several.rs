//! Several calls suspended at once on one instance, each with its own save
//! buffer; the resume order with and without a shadow stack.

mod common;

use common::{Sender, instantiate, load, oneshot};
use rewind_host::wasmi::{FuncType, Val, ValType};
use rewind_host::{
    CallOutcome, Config, Error, Instance, Linker, Module, ResumeOrder, SuspendedCall,
};
use std::collections::HashMap;

/// `env.wait(n)` answers whenever the test sends the answer for `n`.
#[derive(Default)]
struct Waits {
    senders: HashMap<i32, Sender<i32>>,
}

impl Waits {
    fn answer(&mut self, n: i32, value: i32) {
        self.senders
            .remove(&n)
            .expect("someone waits on n")
            .send(value);
    }
}

fn linker(wat: &str) -> (Module, Linker<Waits>) {
    let (module, mut linker) = load::<Waits>(wat);
    linker
        .func_async(
            "env",
            "wait",
            FuncType::new([ValType::I32], [ValType::I32]),
            |caller, args| {
                let n = args[0].i32().unwrap();
                let (tx, rx) = oneshot();
                caller.data_mut().senders.insert(n, tx);
                async move { Ok(vec![Val::I32(rx.await)]) }
            },
        )
        .unwrap();
    (module, linker)
}

const NO_SHADOW_STACK: &str = r#"
(module
  (import "env" "wait" (func $wait (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "twice") (param $x i32) (result i32)
    (local $a i32)
    (local.set $a (call $wait (local.get $x)))
    (i32.add (local.get $a) (call $wait (i32.add (local.get $x) (i32.const 1)))))
)
"#;

fn suspended(outcome: CallOutcome) -> SuspendedCall {
    match outcome {
        CallOutcome::Suspended(call) => call,
        other => panic!("expected a suspension, got {other:?}"),
    }
}

fn finished(outcome: CallOutcome) -> i32 {
    match outcome {
        CallOutcome::Finished(values) => values[0].i32().unwrap(),
        other => panic!("expected the call to finish, got {other:?}"),
    }
}

fn start(instance: &mut Instance<Waits>, x: i32) -> SuspendedCall {
    suspended(instance.call_resumable("twice", &[Val::I32(x)]).unwrap())
}

#[test]
fn any_order_without_a_shadow_stack() {
    let (module, linker) = linker(NO_SHADOW_STACK);
    let config = Config::default().resume_order(ResumeOrder::Any);
    let mut instance = instantiate(&linker, &module, Waits::default(), config);
    let a = start(&mut instance, 10);
    let b = start(&mut instance, 20);
    let c = start(&mut instance, 30);
    assert_eq!(
        instance.buffers_placed(),
        3,
        "one buffer per suspended call"
    );
    assert_eq!(instance.unfinished_calls(), [a.id(), b.id(), c.id()]);

    // Resume the oldest first, then interleave.
    instance.data_mut().answer(10, 1000);
    let a = suspended(instance.resume(a).unwrap());
    assert_eq!(a.import(), "env.wait");
    instance.data_mut().answer(30, 3000);
    let c = suspended(instance.resume(c).unwrap());
    // Not ready: resume gives the call back untouched.
    let b = suspended(instance.resume(b).unwrap());
    instance.data_mut().answer(11, 1100);
    assert_eq!(finished(instance.resume(a).unwrap()), 2100);
    instance.data_mut().answer(20, 2000);
    let b = suspended(instance.resume(b).unwrap());
    instance.data_mut().answer(31, 3100);
    instance.data_mut().answer(21, 2100);
    assert_eq!(finished(instance.resume(c).unwrap()), 6100);
    assert_eq!(finished(instance.resume(b).unwrap()), 4100);
    assert_eq!(
        instance.buffers_placed(),
        3,
        "buffers are reused, not placed again"
    );
    assert!(instance.unfinished_calls().is_empty());
}

#[test]
fn lifo_refuses_to_resume_an_older_call() {
    let (module, linker) = linker(NO_SHADOW_STACK);
    let config = Config::default().resume_order(ResumeOrder::Lifo);
    let mut instance = instantiate(&linker, &module, Waits::default(), config);
    let a = start(&mut instance, 1);
    let b = start(&mut instance, 5);
    // Not ready yet: resuming does nothing, whatever the order.
    let a = suspended(instance.resume(a).unwrap());
    instance.data_mut().answer(1, 10);
    instance.data_mut().answer(5, 50);
    let error = instance.check_resume(&a).unwrap_err();
    assert!(
        matches!(error, Error::ResumeOrder { call, blocking } if call == a.id() && blocking == b.id()),
        "{error:?}"
    );
    assert!(error.to_string().contains("shadow stack"), "{error}");
    // The newest call runs to completion first, then the older one may go on.
    let b = suspended(instance.resume(b).unwrap());
    instance.data_mut().answer(6, 60);
    assert_eq!(finished(instance.resume(b).unwrap()), 110);
    instance.check_resume(&a).unwrap();
    let a = suspended(instance.resume(a).unwrap());
    instance.data_mut().answer(2, 20);
    assert_eq!(finished(instance.resume(a).unwrap()), 30);
}

#[test]
fn resuming_out_of_order_is_an_error_and_dropping_abandons() {
    let (module, linker) = linker(NO_SHADOW_STACK);
    let config = Config::default().resume_order(ResumeOrder::Lifo);
    let mut instance = instantiate(&linker, &module, Waits::default(), config);
    let a = start(&mut instance, 1);
    let b = start(&mut instance, 5);
    let (a_id, b_id) = (a.id(), b.id());
    instance.data_mut().answer(1, 10);
    assert!(matches!(instance.resume(a), Err(Error::ResumeOrder { .. })));
    // `a` was consumed by the failed resume: abandoned, buffer back in the pool.
    assert_eq!(instance.unfinished_calls(), [b_id]);
    drop(b);
    assert!(instance.unfinished_calls().is_empty());
    // Both buffers are free again: two new suspended calls place none.
    let c = start(&mut instance, 100);
    let d = start(&mut instance, 200);
    assert_eq!(instance.buffers_placed(), 2);
    assert!(c.id() > b_id && a_id < b_id);
    drop((c, d));
}

#[test]
fn a_suspended_call_belongs_to_its_instance() {
    let (module, linker) = linker(NO_SHADOW_STACK);
    let mut one = instantiate(&linker, &module, Waits::default(), Config::default());
    let mut two = instantiate(&linker, &module, Waits::default(), Config::default());
    let call = start(&mut one, 1);
    assert!(matches!(
        two.check_resume(&call),
        Err(Error::ForeignCall { .. })
    ));
    drop(call);
    let _ = &mut two;
}

/// A function that keeps a value in a frame on the shadow stack across the
/// suspension, as compiled C or Rust does.
const SHADOW_STACK: &str = r#"
(module
  (import "env" "wait" (func $wait (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $__stack_pointer (export "__stack_pointer") (mut i32) (i32.const 65536))
  (func (export "framed") (param $x i32) (result i32)
    (local $sp i32)
    (local.set $sp (i32.sub (global.get $__stack_pointer) (i32.const 16)))
    (global.set $__stack_pointer (local.get $sp))
    (i32.store (local.get $sp) (local.get $x))
    (i32.store offset=4 (local.get $sp) (call $wait (local.get $x)))
    (local.set $x (i32.add (i32.load (local.get $sp)) (i32.load offset=4 (local.get $sp))))
    (global.set $__stack_pointer (i32.add (local.get $sp) (i32.const 16)))
    (local.get $x))
  (func (export "sp") (result i32) (global.get $__stack_pointer))
)
"#;

#[test]
fn shadow_stack_means_nested_resumption() {
    let (module, linker) = linker(SHADOW_STACK);
    assert_eq!(module.shadow_stack(), Some(true));
    let mut instance = instantiate(&linker, &module, Waits::default(), Config::default());
    assert_eq!(instance.resume_order(), ResumeOrder::Lifo);
    let sp = |instance: &mut Instance<Waits>| finished(instance.call_resumable("sp", &[]).unwrap());

    let a = suspended(instance.call_resumable("framed", &[Val::I32(1)]).unwrap());
    assert_eq!(
        sp(&mut instance),
        65536 - 16,
        "a's frame stays on the shadow stack"
    );
    let b = suspended(instance.call_resumable("framed", &[Val::I32(2)]).unwrap());
    assert_eq!(sp(&mut instance), 65536 - 32, "b's frame lies below a's");
    instance.data_mut().answer(1, 100);
    instance.data_mut().answer(2, 200);
    assert!(matches!(
        instance.check_resume(&a),
        Err(Error::ResumeOrder { .. })
    ));
    assert_eq!(finished(instance.resume(b).unwrap()), 202);
    assert_eq!(sp(&mut instance), 65536 - 16);
    assert_eq!(finished(instance.resume(a).unwrap()), 101);
    assert_eq!(sp(&mut instance), 65536);
}

#[test]
fn auto_order_is_lifo_unless_the_module_has_no_shadow_stack() {
    let (module, linker) = linker(NO_SHADOW_STACK);
    let instance = instantiate(&linker, &module, Waits::default(), Config::default());
    let expected = match module.shadow_stack() {
        // The name section survived instrumentation and names no `__stack_pointer`.
        Some(false) => ResumeOrder::Any,
        // No name section (Binaryen drops it without `-g`): cannot tell.
        _ => ResumeOrder::Lifo,
    };
    assert_eq!(instance.resume_order(), expected);
}
