//! Valid but extreme modules (`rewind_tests::extreme`): deep nesting and
//! very many live locals are instrumented without native recursion and run
//! correctly, or give a clear error when the output would exceed an engine
//! limit.

use rewind_tests::{Exec, extreme};
use rewind_transform::{Error, Options, asyncify};

/// Runs `f` on a thread with a small native stack: a pass that recursed
/// in proportion to nesting depth would overflow it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the transform overflowed a small stack or panicked")
}

/// A big `switch` is a ladder of nested blocks: 100,000 of them around a
/// suspending call are instrumented on a small stack, and the result
/// suspends, resumes and returns what the original returns.
#[test]
fn deep_nesting_is_instrumented_and_runs() {
    let wasm = wat::parse_str(extreme::nested_blocks(100_000)).expect("valid text");
    let instrumented = {
        let wasm = wasm.clone();
        on_small_stack(move || asyncify(&wasm, &Options::default()))
    }
    .expect("instrumented");
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&instrumented.wasm)
        .expect("output validates");
    Exec::bytes("nested_blocks", wasm)
        .call("main", &[])
        .options(vec![("(defaults)".into(), Options::default())])
        .run();
}

/// A million nested blocks: valid output or a clear error naming the engine
/// limit the instrumented function would exceed, never an abort.
#[test]
fn a_million_nested_blocks_give_output_or_a_clear_error() {
    let wasm = wat::parse_str(extreme::nested_blocks(1_000_000)).expect("valid text");
    match on_small_stack(move || asyncify(&wasm, &Options::default())) {
        Ok(out) => {
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                .validate_all(&out.wasm)
                .expect("output validates");
        }
        Err(e @ Error::Limit { .. }) => {
            let text = e.to_string();
            assert!(text.contains("`func[1]`"), "{text}");
            assert!(text.contains("engine limit"), "{text}");
        }
        Err(e) => panic!("not a limit: {e}"),
    }
}

/// 10,000 locals (wasmi runs up to about that many), every one live across a
/// suspension: all are saved and restored.
#[test]
fn ten_thousand_live_locals_are_saved() {
    let wasm = wat::parse_str(extreme::many_live_locals(10_000)).expect("valid text");
    Exec::bytes("many_live_locals", wasm)
        .call("main", &[])
        .options(vec![("(defaults)".into(), Options::default())])
        .capacity(1 << 20)
        .run();
}
