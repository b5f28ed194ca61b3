//! Generators with `rewind-guest`: an infinite Fibonacci generator in
//! static memory, an in-order walk of a binary search tree that yields from
//! inside its recursion, a generator that consumes another one (nested
//! coroutines), and two generators advanced in lock step.
//!
//! Export `run()` prints the trace through `env.print`.
#![no_std]

extern crate alloc;

use alloc::boxed::Box;

use rewind_example_support::println;
use rewind_guest::{Generator, StaticMemory, Yielder};

/// A node of a binary search tree.
struct Node {
    value: u32,
    left: Tree,
    right: Tree,
}

type Tree = Option<Box<Node>>;

fn insert(tree: &mut Tree, value: u32) {
    match tree {
        None => {
            *tree = Some(Box::new(Node {
                value,
                left: None,
                right: None,
            }))
        }
        Some(node) if value < node.value => insert(&mut node.left, value),
        Some(node) => insert(&mut node.right, value),
    }
}

/// In-order walk: yields from every level of the recursion.
fn walk(tree: &Tree, y: &Yielder<(), u32>) {
    if let Some(node) = tree {
        walk(&node.left, y);
        y.yield_(node.value);
        walk(&node.right, y);
    }
}

/// Fibonacci numbers, forever.
fn fibonacci(y: &Yielder<(), u64>) {
    let (mut a, mut b) = (0u64, 1u64);
    loop {
        y.yield_(a);
        (a, b) = (b, a + b);
    }
}

/// The Fibonacci generator's control block: no allocator involved.
static FIB_MEMORY: StaticMemory<8192> = StaticMemory::new();

/// Runs the example.
#[unsafe(no_mangle)]
pub extern "C" fn run() {
    // An infinite generator; `take` stops asking after ten values and the
    // generator is dropped while suspended.
    let fib = Generator::in_memory(FIB_MEMORY.take().unwrap(), 1024, fibonacci).unwrap();
    for (i, v) in fib.take(10).enumerate() {
        println!("fib {i} = {v}");
    }

    let mut tree = None;
    for v in [50, 30, 70, 20, 40, 60, 80, 35, 45, 65] {
        insert(&mut tree, v);
    }
    let in_order = Generator::new(|y| walk(&tree, y)).unwrap();
    for v in in_order {
        println!("tree {v}");
    }

    // A generator that resumes another generator inside itself.
    let even_fib = Generator::new(|y| {
        let all = Generator::new(fibonacci).unwrap();
        for v in all.filter(|v| v % 2 == 0) {
            y.yield_(v);
        }
    })
    .unwrap();
    for v in even_fib.take(4) {
        println!("even fib {v}");
    }

    // Two generators alive at once, advanced alternately by `zip`, which
    // stops when the countdown ends.
    let walk_again = Generator::new(|y| walk(&tree, y)).unwrap();
    let countdown = Generator::new(|y| {
        for i in (1..=4).rev() {
            y.yield_(i);
        }
    })
    .unwrap();
    for (v, i) in walk_again.zip(countdown) {
        println!("zip {v} {i}");
    }
    println!("generators done");
}
