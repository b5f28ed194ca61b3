//! Bad input to the library: every case is an `Err` with a useful message,
//! never a panic, and never an invalid module.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rewind_tests::instrument::{error_chain, validate, wat};
use rewind_transform::{Error, Options, Output, asyncify};

/// Runs the transform, failing the test on a panic.
fn transform(input: &[u8], options: &Options) -> Result<Output, Error> {
    catch_unwind(AssertUnwindSafe(|| asyncify(input, options)))
        .unwrap_or_else(|_| panic!("the transform panicked"))
}

fn expect_err(input: &[u8], options: &Options) -> (Error, String) {
    match transform(input, options) {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            let text = error_chain(&e);
            (e, text)
        }
    }
}

const SLEEP: &str = r#"(import "env" "sleep" (func $sleep))"#;

#[test]
fn garbage_bytes() {
    for input in [
        &b""[..],
        b"hello, world",
        b"\0asm",
        b"\0asm\x02\0\0\0",
        &[0xff; 64],
    ] {
        let (e, text) = expect_err(input, &Options::default());
        assert!(matches!(e, Error::Parse(_)), "{input:?}: {text}");
    }
}

#[test]
fn truncated_module() {
    let full = wat(&format!(
        r#"(module {SLEEP} (memory 1)
            (func (export "main") (param i32) (result i32)
              (call $sleep) (i32.add (local.get 0) (i32.const 1))))"#
    ));
    for len in [9, 12, full.len() / 2, full.len() - 1] {
        let (e, text) = expect_err(&full[..len], &Options::default());
        assert!(matches!(e, Error::Parse(_)), "len {len}: {text}");
    }
}

#[test]
fn invalid_module() {
    // Well-formed but ill-typed: returns an i64 from an i32 function.
    let m = wat(r#"(module (memory 1) (func (result i32) (i64.const 0)))"#);
    let (e, text) = expect_err(&m, &Options::default());
    assert!(matches!(e, Error::Parse(_)), "{text}");
}

fn unsupported(module: &str, function: &str, construct_words: &[&str]) {
    let m = wat(module);
    let (e, text) = expect_err(&m, &Options::default());
    let display = e.to_string();
    assert!(
        matches!(e, Error::Unsupported { .. }),
        "expected Unsupported, got: {text}"
    );
    assert!(display.contains(function), "names the function: {display}");
    let lower = display.to_lowercase();
    assert!(
        construct_words.iter().any(|w| lower.contains(w)),
        "names the construct ({construct_words:?}): {display}"
    );
}

#[test]
fn result_of_a_type_with_no_placeholder_value() {
    // An unwinding function returns placeholder results; no value of type
    // `(ref none)` exists.
    unsupported(
        &format!(
            r#"(module {SLEEP} (memory 1)
                (func $bottom (export "f") (result (ref none))
                  (call $sleep)
                  (unreachable)))"#
        ),
        "bottom",
        &["(ref none)", "no value"],
    );
}

#[test]
fn branches_that_carry_values_to_a_suspending_loop() {
    // The loop's parameters move into locals; these branches carry values
    // with no place to store them on the way.
    unsupported(
        &format!(
            r#"(module {SLEEP} (memory 1)
                (func $table (export "t") (param i32) (result i32)
                  (local.get 0)
                  (loop $l (param i32) (result i32)
                    (call $sleep)
                    (local.get 0)
                    (br_table $l $l)))
                )"#
        ),
        "table",
        &["br_table"],
    );
    unsupported(
        &format!(
            r#"(module {SLEEP} (memory 1) (tag $e (param i32))
                (func $catch (export "c") (param i32) (result i32)
                  (local.get 0)
                  (loop $l (param i32) (result i32)
                    (drop)
                    (try_table (catch $e $l)
                      (call $sleep)
                      (throw $e (local.get 0)))
                    (i32.const 1)))
                )"#
        ),
        "catch",
        &["try_table"],
    );
}

#[test]
fn no_memory() {
    let m = wat(&format!(
        r#"(module {SLEEP} (func (export "f") (call $sleep)))"#
    ));
    let (e, text) = expect_err(&m, &Options::default());
    assert!(matches!(e, Error::NoMemory), "{text}");
    assert!(text.contains("memory"), "{text}");
}

#[test]
fn unknown_memory_option() {
    let m = wat(&format!(
        r#"(module {SLEEP} (memory (export "mem") 1) (func (export "f") (call $sleep)))"#
    ));
    let options = Options {
        memory: Some("nope".into()),
        ..Options::default()
    };
    let (e, text) = expect_err(&m, &options);
    assert!(matches!(e, Error::UnknownMemory(_)), "{text}");
    assert!(text.contains("nope"), "{text}");
    // The export name works.
    let ok = Options {
        memory: Some("mem".into()),
        ..Options::default()
    };
    transform(&m, &ok).unwrap_or_else(|e| panic!("{}", error_chain(&e)));
}

#[test]
fn already_instrumented() {
    let m = wat(&format!(
        r#"(module {SLEEP} (memory 1) (func (export "f") (call $sleep)))"#
    ));
    let once = transform(&m, &Options::default()).unwrap_or_else(|e| panic!("{}", error_chain(&e)));
    let (e, text) = expect_err(&once.wasm, &Options::default());
    assert!(matches!(e, Error::AlreadyInstrumented(_)), "{text}");
}

#[test]
fn mutated_bytes_never_panic() {
    // A deterministic smoke run: flip bytes of a valid module; the transform
    // must return Err or a valid module, never panic.
    let base = wat(&format!(
        r#"(module {SLEEP} (import "env" "log" (func $log (param i32)))
            (memory (export "memory") 1)
            (global $g (mut i32) (i32.const 0))
            (func $f (export "f") (param $x i32) (result i32)
              (local $y i64)
              (local.set $y (i64.extend_i32_u (local.get $x)))
              (block (result i32)
                (loop $l
                  (call $sleep)
                  (call $log (local.get $x))
                  (br_if $l (i32.eqz (global.get $g))))
                (i32.wrap_i64 (local.get $y)))))"#
    ));
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut ok = 0;
    for _ in 0..400 {
        let mut m = base.clone();
        for _ in 0..1 + next() % 3 {
            let at = 8 + (next() as usize) % (m.len() - 8);
            m[at] = next() as u8;
        }
        if let Ok(out) = transform(&m, &Options::default()) {
            ok += 1;
            validate(&out.wasm).unwrap_or_else(|e| panic!("invalid output for {m:?}: {e}"));
        }
    }
    assert!(
        ok > 0,
        "no mutant was accepted; the smoke run tests nothing"
    );
}

#[test]
fn extension_without_a_stack_pointer() {
    let m = wat(r#"(module
        (import "rewind" "get_stack_pointer" (func (result i32)))
        (memory 1))"#);
    let (e, text) = expect_err(&m, &Options::default());
    assert!(matches!(e, Error::Extension(_)), "{text}");
    assert!(text.contains("__stack_pointer"), "{text}");
}

#[test]
fn stack_pointer_index_out_of_range() {
    let m = wat(r#"(module
        (import "rewind" "get_stack_pointer" (func (result i32)))
        (memory 1)
        (global $sp (mut i32) (i32.const 0)))"#);
    let options = Options {
        stack_pointer_global: Some(99),
        ..Options::default()
    };
    let (e, text) = expect_err(&m, &options);
    assert!(matches!(e, Error::Options(_)), "{text}");
    assert!(text.contains("99"), "{text}");
}

#[test]
fn immutable_stack_pointer_cannot_be_set() {
    // `rewind.set_stack_pointer` needs a mutable global: a clear error, not
    // an output that fails validation.
    let m = wat(r#"(module
        (import "rewind" "set_stack_pointer" (func (param i32)))
        (memory 1)
        (global $__stack_pointer i32 (i32.const 0)))"#);
    let (e, text) = expect_err(&m, &Options::default());
    assert!(
        !matches!(e, Error::InvalidOutput { .. }),
        "the transform produced an invalid module instead of reporting the input: {text}"
    );
    assert!(text.contains("mutable"), "{text}");
}

#[test]
fn intrinsic_with_the_wrong_signature() {
    for import in [
        r#"(import "asyncify" "start_unwind" (func (param i64)))"#,
        r#"(import "asyncify" "stop_unwind" (func (result i32)))"#,
        r#"(import "rewind" "get_stack_pointer" (func (result i64)))"#,
    ] {
        let m = wat(&format!(
            r#"(module {import} (memory 1) (global $__stack_pointer (mut i32) (i32.const 0)))"#
        ));
        let (e, text) = expect_err(&m, &Options::default());
        assert!(
            !matches!(e, Error::InvalidOutput { .. }),
            "{import}: {text}"
        );
        assert!(text.contains("has type"), "{import}: {text}");
    }
}

#[test]
fn contradictory_lists() {
    let m = wat(&format!(
        r#"(module {SLEEP} (memory 1) (func $f (call $sleep)))"#
    ));
    let options = Options {
        only_list: Some(vec!["f".into()]),
        remove_list: vec!["f".into()],
        ..Options::default()
    };
    let (e, text) = expect_err(&m, &options);
    assert!(matches!(e, Error::Options(_)), "{text}");
}

#[test]
fn clashing_abi_names() {
    for clash in [
        r#"(global $__asyncify_state (mut i32) (i32.const 0))"#,
        r#"(func (export "asyncify_get_state") (result i32) (i32.const 0))"#,
    ] {
        let m = wat(&format!(r#"(module {SLEEP} (memory 1) {clash})"#));
        let (e, text) = expect_err(&m, &Options::default());
        assert!(
            matches!(e, Error::AlreadyInstrumented(_)),
            "{clash}: {text}"
        );
    }
}

#[test]
fn fuel_accessor_imports_with_the_wrong_kind_or_type() {
    for (import, words) in [
        (
            r#"(import "rewind" "get_fuel" (func (result i32)))"#,
            &["rewind.get_fuel", "expected"][..],
        ),
        (
            r#"(import "rewind" "set_fuel" (func (param i64) (result i64)))"#,
            &["rewind.set_fuel", "expected"][..],
        ),
        (
            r#"(import "rewind" "get_fuel" (global i64))"#,
            &["rewind.get_fuel", "not as a function"][..],
        ),
    ] {
        let input = wat(&format!(
            "(module {import} (memory 1) (func (export \"f\")))"
        ));
        let metered = catch_unwind(AssertUnwindSafe(|| {
            rewind_transform::meter(&input, &Default::default(), &Options::default())
        }))
        .unwrap_or_else(|_| panic!("metering panicked on {import}"));
        let e = metered
            .err()
            .unwrap_or_else(|| panic!("{import} was accepted"));
        let text = error_chain(&e);
        assert!(matches!(e, Error::Extension(_)), "{import}: {text}");
        for w in words {
            assert!(text.contains(w), "{import}: `{w}` not in: {text}");
        }
    }
}
