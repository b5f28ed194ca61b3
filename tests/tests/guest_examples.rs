//! `rewind-guest` end to end: the examples in `examples/` are built for
//! wasm32 (release, LTO), instrumented with `rewind_transform::asyncify`,
//! and run under wasmi (see `guest_common`). Every expected trace below is
//! derived by hand from the program's source, as the comments explain.

mod guest_common;

use guest_common::{Guest, example_wasm, instrument, lines, option_sets};
use rewind_transform::{Options, abi};
use wasmi::Val;

/// Runs `export` of `example` under each option set and checks the trace.
fn check_trace(example: &str, suspending: &[&str], export: &str, expected: &[&str]) {
    let wasm = example_wasm(example);
    for (label, options) in option_sets(suspending) {
        let out = instrument(&wasm, &options);
        let mut guest = Guest::new(&out.wasm).unwrap();
        let result = guest.call(export, &[]);
        assert!(
            result.is_ok(),
            "{example} ({label}): {result:?}\n{:#?}",
            guest.lines()
        );
        assert_eq!(guest.lines(), lines(expected), "{example} ({label})");
        assert_eq!(guest.state(), abi::STATE_NORMAL);
    }
}

#[test]
fn generators_trace() {
    check_trace(
        "rewind_example_generators",
        &[],
        "run",
        &[
            // Fibonacci from (0, 1), ten values.
            "fib 0 = 0",
            "fib 1 = 1",
            "fib 2 = 1",
            "fib 3 = 2",
            "fib 4 = 3",
            "fib 5 = 5",
            "fib 6 = 8",
            "fib 7 = 13",
            "fib 8 = 21",
            "fib 9 = 34",
            // The inserted values, sorted (in-order walk of a search tree).
            "tree 20",
            "tree 30",
            "tree 35",
            "tree 40",
            "tree 45",
            "tree 50",
            "tree 60",
            "tree 65",
            "tree 70",
            "tree 80",
            // Even Fibonacci numbers: 0, 2, 8, 34.
            "even fib 0",
            "even fib 2",
            "even fib 8",
            "even fib 34",
            // zip: four tree values against 4, 3, 2, 1; stops when the
            // countdown ends.
            "zip 20 4",
            "zip 30 3",
            "zip 35 2",
            "zip 40 1",
            "generators done",
        ],
    );
}

#[test]
fn ping_pong_trace() {
    check_trace(
        "rewind_example_ping_pong",
        &[],
        "run",
        &[
            // ball 1 -> ping adds 1 -> pong doubles -> ping adds 1 ...
            "ping 1: got 1, send 2",
            "pong hit 1: got 2, send 4",
            "ping 2: got 4, send 5",
            "pong hit 2: got 5, send 10",
            "ping 3: got 10, send 11",
            "pong hit 3: got 11, send 22",
            // ping's fourth input ends its three rounds.
            "ping: got 22, stop",
            "main: ping won",
            "main: ping done true, pong suspended true",
            "main: resume finished ping: Some(Finished)",
            "main: dropped pong while suspended",
        ],
    );
}

/// The schedule, round by round (tasks P, C, M spawned in that order; the
/// channel holds 2; `sleep(2)` in round r runs again in round r + 2;
/// woken joiners are queued behind the tasks of the current round):
///
/// * 0: P sends 1, 2, finds the channel full, yields; C gets 1, sleeps
///   until 2; M joins P.
/// * 1: P sends 3 (C took 1), full again. 2: P full; C gets 2 (until 4).
/// * 3: P sends 4, full. 4: P full; C gets 3 (until 6).
/// * 5: P sends 5, is done: M is queued. 6: M reports, joins C; C gets 4
///   (until 8). 7: idle, skipped. 8: C gets 5 (until 10). 9: skipped.
/// * 10: C is done: M queued. 11: M reports. The clock ends at 12.
#[test]
fn producer_consumer_trace() {
    check_trace(
        "rewind_example_producer_consumer",
        &[],
        "run",
        &[
            "[0] producer: sent 1",
            "[0] producer: sent 2",
            "[0] producer: channel full",
            "[0] consumer: got 1",
            "[1] producer: sent 3",
            "[1] producer: channel full",
            "[2] producer: channel full",
            "[2] consumer: got 2",
            "[3] producer: sent 4",
            "[3] producer: channel full",
            "[4] producer: channel full",
            "[4] consumer: got 3",
            "[5] producer: sent 5",
            "[5] producer: done",
            "[6] monitor: producer finished",
            "[6] consumer: got 4",
            "[8] consumer: got 5",
            "[10] consumer: done",
            "[11] monitor: consumer finished",
            "scheduler idle at tick 12",
        ],
    );
}

const CHECKS: &str = "rewind_example_guest_checks";
const CHECKS_SUSPENDING: &[&str] = &["rewind.yield_to_host", "env.suspend"];

/// A fresh instance of the checks module per option set.
fn checks() -> Vec<(&'static str, Guest)> {
    let wasm = example_wasm(CHECKS);
    option_sets(CHECKS_SUSPENDING)
        .into_iter()
        .map(|(label, options)| {
            (
                label,
                Guest::new(&instrument(&wasm, &options).wasm).unwrap(),
            )
        })
        .collect()
}

#[test]
fn no_allocation_across_10000_yields() {
    for (label, mut g) in checks() {
        let calls = g.call_i32("alloc_calls_over_yields", 10_000).unwrap();
        assert_eq!(calls, 0, "{label}");
        // check = sum of 3i (the coroutine triples each input but the first,
        // 0) plus sum of i (the counter): 4 * (0 + ... + 9999) = 199980000.
        // The yielding task counts one tick per resume after its first run;
        // the clock counts the 10000 rounds.
        assert_eq!(
            g.lines(),
            lines(&[
                "10000 rounds: 0 allocator calls, check 199980000, ticks 9999, scheduler clock 10000"
            ]),
            "{label}"
        );
    }
}

#[test]
fn more_than_100_coroutines_alive_at_once() {
    for (label, mut g) in checks() {
        let yielded = g.call_i32("many_coroutines", 128).unwrap();
        // Coroutine i yields i*1, i*3, i*6, i*10, i*15 (running sums of
        // i*k) = 35i in total and returns 15i; the sum of i over 0..128 is
        // 8128.
        assert_eq!(yielded, 35 * 8128, "{label}");
        // Task i sleeps 1 + i % 4 ticks three times: those with 4 run in
        // rounds 0, 4, 8 and finish in round 12; the clock then reads 13.
        assert_eq!(
            g.lines(),
            lines(&[
                "round 0: 128 alive",
                "round 1: 128 alive",
                "round 2: 128 alive",
                "round 3: 128 alive",
                "round 4: 128 alive",
                "round 5: 0 alive",
                "128 coroutines: yielded 284480, results 121920, completed 128",
                "spawn 129th: the scheduler is full: it holds at most 128 tasks",
                "128 tasks: 128 finished at tick 13",
            ]),
            "{label}"
        );
    }
}

#[test]
fn save_stack_that_fits() {
    for (label, mut g) in checks() {
        g.call("save_stack_overflow", &[Val::I32(3), Val::I32(4096)])
            .unwrap();
        // nest(3) = 3 + (2 + (1 + 1)) = 7.
        assert_eq!(
            g.lines(),
            lines(&[
                "yield at depth 3 with a 4096-byte save stack",
                "resume: Ok(Yielded(0)), used within the save stack: true",
                "resume: Ok(Complete(7))",
            ]),
            "{label}"
        );
    }
}

#[test]
fn save_stack_overflow_is_an_identifiable_trap() {
    for (label, mut g) in checks() {
        let err = g
            .call("save_stack_overflow", &[Val::I32(100), Val::I32(64)])
            .unwrap_err();
        // 100 frames cannot fit in 64 bytes: the unwind traps before
        // writing past the save stack, in state 3.
        assert_eq!(g.state(), abi::STATE_OVERFLOWED, "{label}: {err}");
        assert_eq!(
            g.lines(),
            lines(&["yield at depth 100 with a 64-byte save stack"]),
            "{label}"
        );
    }
}

#[test]
fn shadow_stack_overflow_is_an_error() {
    for (label, mut g) in checks() {
        // One 512-byte frame fits in 1 KiB; hog(0) returns buf[0] = 0.
        g.call("shadow_stack_overflow", &[Val::I32(0)]).unwrap();
        // Five frames (2.5 KiB) do not: the overflow stays in the 8 KiB
        // save-stack area, so it is an error and the coroutine is dead.
        g.call("shadow_stack_overflow", &[Val::I32(4)]).unwrap();
        assert_eq!(
            g.lines(),
            lines(&[
                "depth 0: first resume Ok(Yielded(7))",
                "depth 0: second resume Ok(Complete(0))",
                "depth 0: done true",
                "depth 4: first resume Err(ShadowStackOverflow)",
                "depth 4: second resume Err(Finished)",
                "depth 4: done true",
            ]),
            "{label}"
        );
        assert_eq!(g.state(), abi::STATE_NORMAL);
    }
}

#[test]
fn shadow_stack_overflow_into_the_header_panics_before_using_it() {
    for (label, mut g) in checks() {
        // 41 frames of 512 bytes run through the 64-byte save stack of a
        // 16 KiB block into its header.
        let err = g
            .call("shadow_stack_overflow_into_header", &[Val::I32(40)])
            .unwrap_err();
        assert_eq!(
            g.lines(),
            lines(&[
                "depth 40: resuming",
                "panic: rewind-guest: shadow stack overflow: a coroutine ran past its shadow \
                 stack and save stack into its control block header; increase \
                 Config::shadow_stack",
            ]),
            "{label}: {err}"
        );
        assert_eq!(g.state(), abi::STATE_NORMAL);
    }
}

#[test]
fn memory_growth_while_suspended() {
    for (label, mut g) in checks() {
        let before = g.pages();
        let sum = g
            .call("memory_growth", &[])
            .map(|out| out[0].i32())
            .map_err(|e| e.to_string());
        // 1..=1000 plus three times 0..1000, plus 64 threes on the
        // coroutine's stack: 500500 + 1498500 + 192.
        assert_eq!(sum, Ok(Some(1999192)), "{label}");
        assert_eq!(
            g.lines(),
            lines(&[
                "suspended holding 2000 items; grew inside true",
                "suspended holding 3000 items; grew inside true",
                "suspended holding 4000 items; grew inside true",
                "completed: sum 1999192",
            ]),
            "{label}"
        );
        // Three times: 2 pages in the coroutine, 3 in the resumer, 4 or more
        // through the allocator.
        assert!(g.pages() >= before + 27, "{label}");
    }
}

#[test]
fn yield_to_host_drives_a_frame_loop_while_the_host_grows_memory() {
    for (label, mut g) in checks() {
        g.store.data_mut().grow_pages_per_yield = 1;
        let total = g.call_i32("frames", 5).unwrap();
        // Squares 0, 1, 4, 9, 16 from a generator that lives across the
        // host yields; the host adds one page at each of the five yields.
        assert_eq!(total, 30, "{label}");
        assert_eq!(g.store.data().yields, 5, "{label}");
        assert_eq!(
            g.lines(),
            lines(&[
                "frame 0: square 0, memory +0 pages",
                "frame 1: square 1, memory +1 pages",
                "frame 2: square 4, memory +2 pages",
                "frame 3: square 9, memory +3 pages",
                "frame 4: square 16, memory +4 pages",
                "frames done: total 30",
            ]),
            "{label}"
        );
    }
}

#[test]
fn yield_to_host_inside_a_coroutine_is_an_error() {
    for (label, mut g) in checks() {
        g.call("yield_to_host_inside_coroutine", &[]).unwrap();
        assert_eq!(g.store.data().yields, 0);
        assert_eq!(
            g.lines(),
            lines(&[
                "inside a coroutine: Ok(Complete(Err(InsideCoroutine)))",
                "yield_to_host called inside a coroutine; yield to the host from the main \
                 context only",
            ]),
            "{label}"
        );
    }
}

#[test]
fn a_host_suspension_inside_a_coroutine_is_reported() {
    for (label, mut g) in checks() {
        let err = g.call("host_suspend_inside_coroutine", &[]).unwrap_err();
        assert_eq!(
            g.lines(),
            lines(&[
                "resuming",
                "panic: rewind-guest: an unwind that the coroutine did not start (a suspending \
                 host import, or yield_to_host, called inside a coroutine) reached the \
                 coroutine's resume; suspend to the host from the main context only",
            ]),
            "{label}: {err}"
        );
        // The runtime stopped the unwind before panicking.
        assert_eq!(g.state(), abi::STATE_NORMAL);
    }
}

#[test]
fn yielding_another_coroutines_yielder_panics() {
    for (label, mut g) in checks() {
        let err = g.call("wrong_yielder", &[]).unwrap_err();
        assert_eq!(
            g.lines(),
            lines(&[
                "inner: Ok(Yielded(1))",
                "panic: rewind-guest: Yielder::yield_ called outside its own coroutine (from a \
                 nested coroutine, or from the resumer)",
            ]),
            "{label}: {err}"
        );
    }
}

#[test]
fn nested_coroutines() {
    for (label, mut g) in checks() {
        // Level 0 yields 1, 2, 3 and returns 100; each of the three levels
        // above doubles the values and adds 1 to the result.
        assert_eq!(g.call_i32("nested", 3).unwrap(), 103, "{label}");
        assert_eq!(
            g.lines(),
            lines(&[
                "nested: yielded 8",
                "nested: yielded 16",
                "nested: yielded 24",
                "nested: complete 103",
            ]),
            "{label}"
        );
    }
}

/// The examples are release builds with LTO (`examples/Cargo.toml`) that
/// keep the name section; after that, the two runtime functions that call
/// the Asyncify intrinsics must still be separate functions with their
/// runtime roles, and no other function may have taken over their calls.
#[test]
fn runtime_functions_stay_uninstrumented_after_lto() {
    let profile =
        std::fs::read_to_string(guest_common::workspace_root().join("examples/Cargo.toml"))
            .unwrap();
    assert!(profile.contains("lto = true") && profile.contains("strip = false"));
    for example in [
        "rewind_example_generators",
        "rewind_example_ping_pong",
        "rewind_example_producer_consumer",
        CHECKS,
    ] {
        let wasm = example_wasm(example);
        for options in [
            Options::default(),
            Options {
                ignore_imports: true,
                ..Options::default()
            },
        ] {
            let report = instrument(&wasm, &options).report;
            let find = |name: &str| {
                let found: Vec<_> = report
                    .decisions
                    .iter()
                    .filter(|d| d.function.contains("rewind_guest") && d.function.contains(name))
                    .collect();
                assert_eq!(found.len(), 1, "{example}: {name}: {found:#?}");
                found[0].clone()
            };
            let suspend = find("suspend_raw");
            assert!(!suspend.instrumented, "{example}: {suspend:?}");
            assert!(
                suspend.reason.starts_with("top-most runtime"),
                "{suspend:?}"
            );
            let resume = find("resume_raw");
            assert!(!resume.instrumented, "{example}: {resume:?}");
            assert!(
                resume.reason.starts_with("bottom-most runtime"),
                "{resume:?}"
            );
            for d in &report.decisions {
                if d.reason.starts_with("top-most") {
                    assert_eq!(d, &suspend, "{example}: another top-most runtime");
                }
                if d.reason.starts_with("bottom-most") {
                    assert_eq!(d, &resume, "{example}: another bottom-most runtime");
                }
            }
            // Their callers are instrumented: the code that yields.
            assert!(
                report
                    .decisions
                    .iter()
                    .any(|d| d.instrumented && d.reason.contains("suspend_raw")),
                "{example}"
            );
        }
    }
}
