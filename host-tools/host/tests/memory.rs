//! Memory growth inside a suspending import and between suspension and
//! resumption; where save buffers are placed.

mod common;

use common::{after_polls, instantiate, load};
use rewind_host::wasmi::{FuncType, Val, ValType};
use rewind_host::{CallOutcome, Config, Linker, Module, Placement};

const WAT: &str = r#"
(module
  (import "env" "slow_grow" (func $slow_grow (param i32) (result i32)))
  (import "env" "pause" (func $pause))
  (memory (export "memory") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))

  ;; Grows through the import (which suspends), then uses the new last word.
  (func (export "grow_and_touch") (param $pages i32) (param $v i32) (result i32)
    (local $addr i32)
    (local.set $addr
      (i32.sub (i32.mul (call $slow_grow (local.get $pages)) (i32.const 65536)) (i32.const 4)))
    (i32.store (local.get $addr) (i32.add (local.get $v) (i32.const 1)))
    (i32.load (local.get $addr)))

  ;; Keeps a value in a local and one in memory across a suspension.
  (func (export "hold") (param $v i32) (result i32)
    (i32.store (i32.const 1024) (i32.mul (local.get $v) (i32.const 3)))
    (call $pause)
    (i32.add (local.get $v) (i32.load (i32.const 1024))))
)
"#;

/// `slow_grow(n)`: grows the memory by `n` pages through the guest's `grow`
/// export and by one more page from the host, then answers the new size
/// (in pages) after one pending poll. `pause()`: pending once.
fn linker() -> (Module, Linker<()>) {
    let (module, mut linker) = load::<()>(WAT);
    linker
        .func_async(
            "env",
            "slow_grow",
            FuncType::new([ValType::I32], [ValType::I32]),
            |caller, args| {
                let grow = caller
                    .get_export("grow")
                    .and_then(|e| e.into_func())
                    .unwrap();
                let mut old = [Val::I32(0)];
                grow.call(&mut *caller, &[args[0].clone()], &mut old)
                    .unwrap();
                assert_ne!(old[0].i32(), Some(-1), "guest memory.grow failed");
                let memory = caller
                    .get_export("memory")
                    .and_then(|e| e.into_memory())
                    .unwrap();
                memory.grow(&mut *caller, 1).unwrap();
                let pages = memory.size(&*caller) as i32;
                after_polls(1, Ok(vec![Val::I32(pages)]))
            },
        )
        .unwrap()
        .func_async("env", "pause", FuncType::new([], []), |_, _| {
            after_polls(1, Ok(vec![]))
        })
        .unwrap();
    (module, linker)
}

fn pages(instance: &rewind_host::Instance<()>) -> u64 {
    instance.memory().size(instance.store())
}

#[test]
fn memory_grows_inside_the_suspending_import() {
    for placement in [Placement::Auto, Placement::GrowMemory] {
        let (module, linker) = linker();
        let config = Config::default().placement(placement.clone());
        let mut instance = instantiate(&linker, &module, (), config);
        for (i, grow_by) in [2, 0, 5, 1].into_iter().enumerate() {
            let v = 1000 + i as i32;
            let out = instance
                .call_blocking("grow_and_touch", &[Val::I32(grow_by), Val::I32(v)])
                .unwrap();
            assert_eq!(out[0].i32(), Some(v + 1), "{placement:?}, round {i}");
        }
        assert_eq!(instance.buffers_placed(), 1);
    }
}

#[test]
fn memory_grows_between_suspension_and_resumption() {
    let (module, linker) = linker();
    let mut instance = instantiate(&linker, &module, (), Config::default());
    let outcome = instance.call_resumable("hold", &[Val::I32(7)]).unwrap();
    let CallOutcome::Suspended(call) = outcome else {
        panic!("pause suspends")
    };
    let before = pages(&instance);
    // The host grows the memory, and so does another guest call.
    let memory = instance.memory();
    memory.grow(instance.store_mut(), 4).unwrap();
    let old = instance.call_blocking("grow", &[Val::I32(3)]).unwrap();
    assert_eq!(old[0].i32(), Some(before as i32 + 4));
    // A second call suspends and finishes in between, reusing nothing of the first.
    let out = instance
        .call_blocking("grow_and_touch", &[Val::I32(1), Val::I32(5)])
        .unwrap();
    assert_eq!(out[0].i32(), Some(6));
    assert!(pages(&instance) > before + 7);
    let out = instance.resume_blocking(call).unwrap();
    assert_eq!(out.into_finished().unwrap()[0].i32(), Some(7 + 21));
}

#[test]
fn grow_memory_placement_takes_whole_pages_once() {
    let (module, linker) = linker();
    let config = Config::default().placement(Placement::GrowMemory);
    let mut instance = instantiate(&linker, &module, (), config);
    let before = pages(&instance);
    for v in 0..50 {
        let out = instance.call_blocking("hold", &[Val::I32(v)]).unwrap();
        assert_eq!(out[0].i32(), Some(4 * v));
    }
    assert_eq!(instance.buffers_placed(), 1);
    assert_eq!(
        pages(&instance),
        before + 1,
        "one 64 KiB buffer = one page, once"
    );
}

const WITH_ALLOCATOR: &str = r#"
(module
  (import "env" "pause" (func $pause))
  (memory (export "memory") 3)
  (global $heap (mut i32) (i32.const 4096))
  (global $allocs (mut i32) (i32.const 0))
  (func (export "rewind_alloc") (param $size i32) (result i32)
    (local $p i32)
    (global.set $allocs (i32.add (global.get $allocs) (i32.const 1)))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $size)))
    (local.get $p))
  (func (export "allocs") (result i32) (global.get $allocs))
  (func (export "heap") (result i32) (global.get $heap))
  (func (export "hold") (param $v i32) (result i32)
    (call $pause)
    (i32.mul (local.get $v) (i32.const 2)))
)
"#;

#[test]
fn buffers_come_from_the_guest_allocator_when_it_has_one() {
    let (module, mut linker) = load::<()>(WITH_ALLOCATOR);
    linker
        .func_async("env", "pause", FuncType::new([], []), |_, _| {
            after_polls(1, Ok(vec![]))
        })
        .unwrap();
    let mut instance = instantiate(&linker, &module, (), Config::default().buffer_size(4096));
    let before = pages(&instance);
    for v in 0..100 {
        let out = instance.call_blocking("hold", &[Val::I32(v)]).unwrap();
        assert_eq!(out[0].i32(), Some(2 * v));
    }
    let allocs = instance.call_blocking("allocs", &[]).unwrap();
    assert_eq!(allocs[0].i32(), Some(1), "the allocator is called once");
    let heap = instance.call_blocking("heap", &[]).unwrap();
    assert_eq!(heap[0].i32(), Some(4096 + 4096));
    assert_eq!(pages(&instance), before, "memory does not grow");

    // reserve_buffers places ahead of time, through the allocator too.
    instance.reserve_buffers(3).unwrap();
    assert_eq!(instance.buffers_placed(), 3);
    let allocs = instance.call_blocking("allocs", &[]).unwrap();
    assert_eq!(allocs[0].i32(), Some(3));
}

#[test]
fn an_allocator_that_is_not_exported_is_a_config_error() {
    let (module, linker) = linker();
    let config = Config::default().placement(Placement::Allocator("malloc".into()));
    let error = linker
        .instantiate_with_config(&module, (), config)
        .unwrap_err();
    assert!(error.to_string().contains("malloc"), "{error}");
}

const MEMORY64: &str = r#"
(module
  (import "env" "pause" (func $pause))
  (memory (export "memory") i64 1)
  (func (export "hold") (param $v i64) (result i64)
    (i64.store (i64.const 64) (local.get $v))
    (call $pause)
    (i64.add (local.get $v) (i64.load (i64.const 64))))
)
"#;

#[test]
fn memory64_buffers_have_64_bit_headers() {
    let (module, mut linker) = load::<()>(MEMORY64);
    assert!(module.memory64());
    linker
        .func_async("env", "pause", FuncType::new([], []), |_, _| {
            after_polls(1, Ok(vec![]))
        })
        .unwrap();
    for placement in [Placement::Auto, Placement::GrowMemory] {
        let mut instance =
            instantiate(&linker, &module, (), Config::default().placement(placement));
        for v in [1i64, -5, 1 << 50] {
            let out = instance.call_blocking("hold", &[Val::I64(v)]).unwrap();
            assert_eq!(out[0].i64(), Some(2 * v));
        }
        assert_eq!(instance.buffers_placed(), 1);
    }
}
