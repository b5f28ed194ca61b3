//! Exports that the `rewind-guest` integration tests and benchmark call.
//! Each prints its findings through `env.print`; the tests compare the
//! lines with what the program must print.
#![no_std]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use core::arch::wasm32::{memory_grow, memory_size};
use core::cell::Cell;
use core::convert::Infallible;
use core::hint::black_box;

use rewind_example_support::{allocator_calls, println};
use rewind_guest::sched::{self, Scheduler};
use rewind_guest::{
    Config, Coroutine, Error, Generator, Resume, StaticMemory, Yielder, try_yield_to_host,
    yield_to_host,
};

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// A host import that suspends the guest (Binaryen protocol), like
    /// `rewind.yield_to_host`, but without the guest's own check.
    #[link_name = "suspend"]
    fn env_suspend();
    /// A host import that the benchmark's `call_resumable` baseline
    /// interrupts.
    #[link_name = "pause"]
    fn env_pause();
}

/// Allocator calls made while a coroutine, a generator and two scheduler
/// tasks each switch `n` times (all created beforehand).
#[unsafe(no_mangle)]
pub extern "C" fn alloc_calls_over_yields(n: u32) -> u32 {
    let mut co = Coroutine::new(|y: &Yielder<u32, u32>, mut x: u32| -> Infallible {
        loop {
            x = y.yield_(x.wrapping_mul(3));
        }
    })
    .unwrap();
    let mut counter = Generator::new(|y| {
        let mut i = 0u32;
        loop {
            y.yield_(i);
            i = i.wrapping_add(1);
        }
    })
    .unwrap();
    let ticks = Cell::new(0u32);
    let mut s: Scheduler<'_, 2> = Scheduler::new();
    s.spawn(|| {
        loop {
            sched::yield_now();
            ticks.set(ticks.get() + 1);
        }
    })
    .unwrap();
    s.spawn(|| {
        loop {
            sched::sleep(1);
        }
    })
    .unwrap();

    let before = allocator_calls();
    let mut check = 0u32;
    for i in 0..n {
        match co.resume_with(i) {
            Ok(Resume::Yielded(v)) => check = check.wrapping_add(v),
            other => panic!("{other:?}"),
        }
        check = check.wrapping_add(counter.next().unwrap());
        assert!(s.step().unwrap());
    }
    let calls = allocator_calls() - before;
    println!(
        "{n} rounds: {calls} allocator calls, check {check}, ticks {}, scheduler clock {}",
        ticks.get(),
        s.now()
    );
    calls as u32
}

/// `count` coroutines alive at once, resumed round-robin; then a full
/// scheduler of 128 tasks.
#[unsafe(no_mangle)]
pub extern "C" fn many_coroutines(count: u32) -> u32 {
    let mut cos: Vec<Coroutine<'static, (), u32, u32>> = Vec::with_capacity(count as usize);
    for i in 0..count {
        let co = Coroutine::with_config(Config::new(1024, 4096), move |y, ()| {
            let mut acc = 0;
            for k in 1..=5 {
                acc += i * k;
                y.yield_(acc);
            }
            acc
        })
        .unwrap();
        cos.push(co);
    }
    let (mut yielded, mut results, mut completed) = (0u32, 0u32, 0u32);
    for round in 0..6 {
        for co in cos.iter_mut() {
            match co.resume().unwrap() {
                Resume::Yielded(v) => yielded += v,
                Resume::Complete(r) => {
                    results += r;
                    completed += 1;
                }
            }
        }
        let alive = cos.iter().filter(|c| !c.is_done()).count();
        println!("round {round}: {alive} alive");
    }
    println!("{count} coroutines: yielded {yielded}, results {results}, completed {completed}");

    let finished = Cell::new(0u32);
    let mut s: Scheduler<'_, 128> = Scheduler::with_config(Config::new(512, 2048));
    for i in 0..128u64 {
        let finished = &finished;
        s.spawn(move || {
            for _ in 0..3 {
                sched::sleep(1 + i % 4);
            }
            finished.set(finished.get() + 1);
        })
        .unwrap();
    }
    println!("spawn 129th: {}", s.spawn(|| {}).unwrap_err());
    s.run().unwrap();
    println!("128 tasks: {} finished at tick {}", finished.get(), s.now());
    yielded
}

/// Recursion with a value live across each level's call.
#[inline(never)]
fn nest(y: &Yielder<(), u32>, depth: u32) -> u32 {
    if depth == 0 {
        y.yield_(depth);
        return 1;
    }
    let a = black_box(depth);
    let r = black_box(nest(y, depth - 1));
    a.wrapping_add(r)
}

/// A coroutine with a `save_stack`-byte save stack that yields at
/// `depth`.
#[unsafe(no_mangle)]
pub extern "C" fn save_stack_overflow(depth: u32, save_stack: u32) -> u32 {
    let config = Config::new(save_stack as usize, 16384);
    let mut co = Coroutine::with_config(config, move |y, ()| nest(y, depth)).unwrap();
    println!("yield at depth {depth} with a {save_stack}-byte save stack");
    let r = co.resume();
    let used = co.save_stack_used();
    println!(
        "resume: {r:?}, used within the save stack: {}",
        used > 0 && used <= save_stack as usize
    );
    println!("resume: {:?}", co.resume());
    used as u32
}

/// Uses `512 * (depth + 1)` bytes of shadow stack, then yields.
#[inline(never)]
fn hog(y: &Yielder<(), u32>, depth: u32) -> u32 {
    let mut buf = [depth as u8; 512];
    black_box(&mut buf);
    if depth == 0 {
        y.yield_(7);
        return u32::from(buf[0]);
    }
    let r = black_box(hog(y, depth - 1));
    r + u32::from(buf[depth as usize % 512])
}

/// A coroutine with a 1 KiB shadow stack (and an 8 KiB save stack) that
/// recurses `depth` levels of 512-byte frames before yielding.
#[unsafe(no_mangle)]
pub extern "C" fn shadow_stack_overflow(depth: u32) {
    let mut co =
        Coroutine::with_config(Config::new(8192, 1024), move |y, ()| hog(y, depth)).unwrap();
    println!("depth {depth}: first resume {:?}", co.resume());
    println!("depth {depth}: second resume {:?}", co.resume());
    println!("depth {depth}: done {}", co.is_done());
}

/// Reserve below the block of `shadow_stack_overflow_into_header`: the
/// overflow runs into it, and nothing else.
static GUARDED: StaticMemory<65536> = StaticMemory::new();

/// A coroutine with a 64-byte save stack whose shadow-stack overflow runs
/// through the save stack into its header.
#[unsafe(no_mangle)]
pub extern "C" fn shadow_stack_overflow_into_header(depth: u32) {
    let memory = GUARDED.take().unwrap();
    let (reserve, block) = memory.split_at_mut(49152);
    black_box(reserve);
    let mut co = Coroutine::in_memory(block, 64, move |y, ()| hog(y, depth)).unwrap();
    println!("depth {depth}: resuming");
    let r = co.resume();
    println!("depth {depth}: not reached {r:?}");
}

/// Memory grows (in the coroutine, in the resumer, and through the
/// allocator) while a coroutine that holds pointers into memory is
/// suspended.
#[unsafe(no_mangle)]
pub extern "C" fn memory_growth() -> u32 {
    let mut co = Coroutine::new(|y: &Yielder<u32, u32>, mut grow: u32| -> u32 {
        let mut data: Vec<u32> = (1..=1000).collect();
        let local = black_box([3u32; 64]);
        let local_ref = &local;
        for _ in 0..3 {
            memory_grow(0, grow as usize);
            data.extend(0..1000);
            grow = y.yield_(data.len() as u32);
        }
        data.iter().sum::<u32>() + local_ref.iter().sum::<u32>()
    })
    .unwrap();
    let mut keep = Vec::new();
    loop {
        let pages = memory_size(0);
        match co.resume_with(2).unwrap() {
            Resume::Yielded(len) => {
                let grown_inside = memory_size(0) >= pages + 2;
                memory_grow(0, 3);
                let big = vec![1u8; 256 * 1024];
                keep.push(big);
                println!("suspended holding {len} items; grew inside {grown_inside}");
            }
            Resume::Complete(sum) => {
                println!("completed: sum {sum}");
                return sum;
            }
        }
    }
}

/// A game loop: one frame per host resume. A generator lives across the
/// host yields.
#[unsafe(no_mangle)]
pub extern "C" fn frames(n: u32) -> u32 {
    let mut squares = Generator::new(|y| {
        let mut i = 0u32;
        loop {
            y.yield_(i * i);
            i += 1;
        }
    })
    .unwrap();
    let first = memory_size(0);
    let mut total = 0;
    for frame in 0..n {
        let sq = squares.next().unwrap();
        total += sq;
        println!(
            "frame {frame}: square {sq}, memory +{} pages",
            memory_size(0) - first
        );
        yield_to_host();
    }
    println!("frames done: total {total}");
    total
}

/// `try_yield_to_host` inside a coroutine is an error, not a suspension.
#[unsafe(no_mangle)]
pub extern "C" fn yield_to_host_inside_coroutine() {
    let mut co = Coroutine::new(|_: &Yielder<(), ()>, ()| try_yield_to_host()).unwrap();
    println!("inside a coroutine: {:?}", co.resume());
    println!("{}", Error::InsideCoroutine);
}

/// A host import that suspends, called inside a coroutine: reported.
#[unsafe(no_mangle)]
pub extern "C" fn host_suspend_inside_coroutine() {
    let mut co = Coroutine::new(|_: &Yielder<(), ()>, ()| {
        // SAFETY: a host import without arguments.
        unsafe { env_suspend() }
    })
    .unwrap();
    println!("resuming");
    let r = co.resume();
    println!("not reached {r:?}");
}

/// An inner coroutine that yields its outer coroutine's `Yielder`.
#[unsafe(no_mangle)]
pub extern "C" fn wrong_yielder() {
    let mut outer = Coroutine::new(|outer_y: &Yielder<(), u32>, ()| {
        let mut inner = Coroutine::new(|inner_y: &Yielder<(), u32>, ()| {
            inner_y.yield_(1);
            outer_y.yield_(2);
        })
        .unwrap();
        println!("inner: {:?}", inner.resume());
        println!("inner: {:?}", inner.resume());
    })
    .unwrap();
    println!("outer: {:?}", outer.resume());
}

/// Nested coroutines: each level resumes the next and yields what it got,
/// doubled.
#[unsafe(no_mangle)]
pub extern "C" fn nested(levels: u32) -> u32 {
    fn level(n: u32) -> Coroutine<'static, (), u32, u32> {
        Coroutine::with_config(Config::new(1024, 8192), move |y, ()| {
            if n == 0 {
                for i in 1..=3 {
                    y.yield_(i);
                }
                return 100;
            }
            let mut inner = level(n - 1);
            loop {
                match inner.resume().unwrap() {
                    Resume::Yielded(v) => y.yield_(v * 2),
                    Resume::Complete(r) => return r + 1,
                }
            }
        })
        .unwrap()
    }
    let mut top = level(levels);
    loop {
        match top.resume().unwrap() {
            Resume::Yielded(v) => println!("nested: yielded {v}"),
            Resume::Complete(r) => {
                println!("nested: complete {r}");
                return r;
            }
        }
    }
}

// ---- benchmark exports ----

#[inline(never)]
fn plain_callee(x: u32) -> u32 {
    black_box(x).wrapping_add(1)
}

/// `n` ordinary calls.
#[unsafe(no_mangle)]
pub extern "C" fn bench_plain_calls(n: u32) -> u32 {
    let mut x = 0;
    for _ in 0..n {
        x = plain_callee(x);
    }
    x
}

/// `n` yield + resume round trips of one coroutine.
#[unsafe(no_mangle)]
pub extern "C" fn bench_coroutine(n: u32) -> u32 {
    let mut co = Coroutine::new(|y: &Yielder<u32, u32>, mut x: u32| -> Infallible {
        loop {
            x = y.yield_(x.wrapping_add(1));
        }
    })
    .unwrap();
    let mut x = 0;
    for _ in 0..n {
        match co.resume_with(x) {
            Ok(Resume::Yielded(v)) => x = v,
            _ => unreachable!(),
        }
    }
    x
}

/// `n` calls of the import `env.pause` (interrupted by the host in the
/// `call_resumable` baseline, run uninstrumented).
#[unsafe(no_mangle)]
pub extern "C" fn bench_pause(n: u32) -> u32 {
    let mut x = 0;
    for _ in 0..n {
        // SAFETY: a host import without arguments.
        unsafe { env_pause() };
        x = plain_callee(x);
    }
    x
}

/// `n` yields to the host.
#[unsafe(no_mangle)]
pub extern "C" fn bench_yield_to_host(n: u32) -> u32 {
    let mut x = 0;
    for _ in 0..n {
        yield_to_host();
        x = plain_callee(x);
    }
    x
}
