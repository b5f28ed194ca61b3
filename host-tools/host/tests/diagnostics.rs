//! Modules built for diagnosis: with `--asserts`, a function left
//! uninstrumented that a suspension passes through is reported as
//! `Error::NotInstrumented`, naming it and what it had called; a module
//! that records its unwinds gives each suspended call the functions that
//! were on its stack.

use rewind_host::wasmi::{Engine, FuncType};
use rewind_host::{CallOutcome, Called, Error, FunctionList, Linker, Module};
use rewind_transform::Options;

/// `main -> middle -> leaf -> env.yield`, and `main -> via_table ->
/// (indirect) leaf`; `after` counts what runs after the suspension.
const WAT: &str = r#"
(module
  (import "env" "yield" (func $yield))
  (memory (export "memory") 1)
  (global $after (mut i32) (i32.const 0))
  (type $t (func))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (type $t) (call $yield))
  (func $middle (call $leaf)
    (global.set $after (i32.add (global.get $after) (i32.const 1))))
  (func $via_table (call_indirect (type $t) (i32.const 0)))
  (func $main (export "main") (call $middle))
  ;; No name: messages call it `func[N]`, N its index (imports count).
  (func (export "indirect") (call $via_table))
  (func (export "after") (result i32) (global.get $after)))
"#;

fn build(options: &Options) -> (Module, Linker<()>) {
    let wasm = wat::parse_str(WAT).unwrap();
    let out = rewind_transform::asyncify(&wasm, options).unwrap();
    let engine = Engine::default();
    let module = Module::new(&engine, out.wasm).unwrap();
    let mut linker = Linker::new(&engine);
    linker
        .func_yield("env", "yield", FuncType::new([], []))
        .unwrap();
    (module, linker)
}

fn without(name: &str) -> Options {
    Options {
        asserts: true,
        remove_list: vec![name.into()],
        ..Options::default()
    }
}

#[test]
fn a_missing_function_is_named_with_its_callee() {
    let (module, linker) = build(&without("middle"));
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let error = instance.call_resumable("main", &[]).unwrap_err();
    let Error::NotInstrumented {
        export,
        function,
        called,
        list,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(export, "main");
    assert_eq!(function, "middle");
    assert_eq!(*called, Called::Function("leaf".into()));
    assert_eq!(*list, FunctionList::AddList);
    assert_eq!(
        error.to_string(),
        "function `middle` is on the stack during a suspension but was not instrumented \
         (its check failed after its call of `leaf`, during `main`)"
    );
    // The check stopped `middle` before its code after the call ran.
    let after = instance.call_blocking("after", &[]).unwrap();
    assert_eq!(after[0].i32(), Some(0));
}

#[test]
fn the_instance_stays_usable_and_reports_again() {
    let (module, linker) = build(&without("middle"));
    let mut instance = linker.instantiate(&module, ()).unwrap();
    for _ in 0..2 {
        let error = instance.call_resumable("main", &[]).unwrap_err();
        assert!(matches!(error, Error::NotInstrumented { .. }), "{error:?}");
    }
    assert!(instance.poisoned().is_none());
    // A call that does not suspend is not reported.
    assert_eq!(
        instance.call_blocking("after", &[]).unwrap()[0].i32(),
        Some(0)
    );
}

#[test]
fn an_indirect_call_is_named_as_such() {
    let (module, linker) = build(&without("via_table"));
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let error = instance.call_resumable("indirect", &[]).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::NotInstrumented { function, called: Called::Indirect, .. } if function == "via_table"
        ),
        "{error:?}"
    );
}

#[test]
fn a_module_built_from_an_only_list_says_so() {
    let options = Options {
        asserts: true,
        only_list: Some(vec!["leaf".into()]),
        ..Options::default()
    };
    let (module, linker) = build(&options);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let error = instance.call_resumable("main", &[]).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::NotInstrumented { function, list: FunctionList::OnlyList, .. } if function == "middle"
        ),
        "{error:?}"
    );
}

/// Without `--asserts` the same module is not stopped in `middle`: what
/// happens instead is whatever running on while unwinding does.
#[test]
fn without_asserts_the_missing_function_runs_on() {
    let options = Options {
        remove_list: vec!["middle".into()],
        ..Options::default()
    };
    let (module, linker) = build(&options);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let outcome = instance.call_resumable("main", &[]);
    assert!(
        !matches!(outcome, Err(Error::NotInstrumented { .. })),
        "{outcome:?}"
    );
}

#[test]
fn a_complete_module_with_asserts_runs_as_before() {
    let (module, linker) = build(&Options {
        asserts: true,
        ..Options::default()
    });
    let mut instance = linker.instantiate(&module, ()).unwrap();
    instance.call_blocking("main", &[]).unwrap();
    instance.call_blocking("indirect", &[]).unwrap();
    assert_eq!(
        instance.call_blocking("after", &[]).unwrap()[0].i32(),
        Some(1)
    );
}

#[test]
fn suspended_calls_name_the_functions_on_their_stack() {
    let options = Options {
        record_unwinds: true,
        ..Options::default()
    };
    let (module, linker) = build(&options);
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let CallOutcome::Yielded(call) = instance.call_resumable("main", &[]).unwrap() else {
        panic!("main did not yield");
    };
    assert_eq!(call.unwound(), ["leaf", "middle", "main"]);
    let outcome = instance.resume(call).unwrap();
    assert!(outcome.is_finished());

    let CallOutcome::Yielded(call) = instance.call_resumable("indirect", &[]).unwrap() else {
        panic!("indirect did not yield");
    };
    assert_eq!(call.unwound(), ["leaf", "via_table", "func[5]"]);
}

#[test]
fn other_modules_name_nothing() {
    let (module, linker) = build(&Options::default());
    let mut instance = linker.instantiate(&module, ()).unwrap();
    let call = instance
        .call_resumable("main", &[])
        .unwrap()
        .into_suspended()
        .unwrap();
    assert!(call.unwound().is_empty());
}
