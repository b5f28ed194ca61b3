//! Save buffers are placed once and reused: the number of placements does
//! not grow with the number of suspensions.

mod common;

use common::{after_polls, instantiate, load};
use rewind_host::wasmi::{FuncType, Val, ValType};
use rewind_host::{CallOutcome, Config, Instance};

const WAT: &str = r#"
(module
  (import "env" "tick" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "ticks") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $tick (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
)
"#;

const SUSPENSIONS: i32 = 10_000;

fn instance() -> Instance<()> {
    let (module, mut linker) = load::<()>(WAT);
    linker
        .func_async(
            "env",
            "tick",
            FuncType::new([ValType::I32], [ValType::I32]),
            |_, args| {
                let i = args[0].i32().unwrap();
                after_polls(1, Ok(vec![Val::I32(2 * i)]))
            },
        )
        .unwrap();
    instantiate(&linker, &module, (), Config::default())
}

#[test]
fn ten_thousand_suspensions_of_one_call_place_one_buffer() {
    let mut instance = instance();
    let mut outcome = instance
        .call_resumable("ticks", &[Val::I32(SUSPENSIONS)])
        .unwrap();
    let pages = instance.memory().size(instance.store());
    let mut suspensions = 0;
    let values = loop {
        outcome = match outcome {
            CallOutcome::Finished(values) => break values,
            CallOutcome::Suspended(call) => {
                suspensions += 1;
                instance.resume(call).unwrap()
            }
            CallOutcome::Yielded(_) => unreachable!(),
        };
        assert_eq!(instance.buffers_placed(), 1);
    };
    assert_eq!(suspensions, SUSPENSIONS);
    assert_eq!(
        values[0].i32(),
        Some((0..SUSPENSIONS).map(|i| 2 * i).sum::<i32>())
    );
    assert_eq!(instance.buffers_placed(), 1);
    assert_eq!(instance.memory().size(instance.store()), pages);
}

#[test]
fn ten_thousand_calls_share_one_buffer() {
    let mut instance = instance();
    for i in 0..SUSPENSIONS {
        let out = instance.call_blocking("ticks", &[Val::I32(2)]).unwrap();
        assert_eq!(out[0].i32(), Some(2), "call {i}");
    }
    assert_eq!(instance.buffers_placed(), 1);
}
