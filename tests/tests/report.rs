//! The transform's report: counts and per-function decisions agree with
//! what the module needs, and list entries that match nothing are warned
//! about.

use rewind_tests::Exec;
use rewind_tests::instrument::{instrument, wat};
use rewind_transform::Options;

#[test]
fn counts_and_decisions() {
    let out = instrument(Exec::file("locals_params").wasm(), &Options::default()).unwrap();
    let r = &out.report;
    assert_eq!(r.functions_total, 2);
    assert_eq!(r.functions_instrumented, 2, "{r:?}");
    assert!(r.call_sites >= 3, "{r:?}");
    assert_eq!(r.bytes_after, out.wasm.len());
    assert_eq!(r.bytes_before, Exec::file("locals_params").wasm().len());
    assert_eq!(r.decisions.len(), 2);
    assert!(
        r.decisions
            .iter()
            .all(|d| d.instrumented && !d.reason.is_empty())
    );
}

#[test]
fn spill_locals_share_slots() {
    let out = instrument(Exec::file("shared_spill_slots").wasm(), &Options::default()).unwrap();
    assert!(out.report.locals_coalesced > 0, "{:?}", out.report);
}

#[test]
fn narrow_imports_leave_functions_alone() {
    let m = wat(r#"(module
        (import "env" "sleep" (func $sleep))
        (import "env" "log" (func $log (param i32)))
        (memory 1)
        (func $sleeper (call $sleep))
        (func $logger (call $log (i32.const 1)))
        (func $caller (call $sleeper)))"#);
    let options = Options {
        imports: Some(vec!["env.sleep".into()]),
        ..Options::default()
    };
    let r = instrument(&m, &options).unwrap().report;
    let instrumented: Vec<_> = r
        .decisions
        .iter()
        .filter(|d| d.instrumented)
        .map(|d| d.function.as_str())
        .collect();
    assert_eq!(instrumented, ["sleeper", "caller"]);
}

#[test]
fn unmatched_list_entries_warn() {
    let m =
        wat(r#"(module (import "env" "sleep" (func $sleep)) (memory 1) (func $f (call $sleep)))"#);
    for (options, word) in [
        (
            Options {
                only_list: Some(vec!["nosuch".into()]),
                ..Options::default()
            },
            "--only-list",
        ),
        (
            Options {
                remove_list: vec!["nosuch".into()],
                ..Options::default()
            },
            "--remove-list",
        ),
        (
            Options {
                imports: Some(vec!["env.nosuch".into()]),
                ..Options::default()
            },
            "--imports",
        ),
    ] {
        let r = instrument(&m, &options).unwrap().report;
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains(word) && w.contains("nosuch")),
            "{word}: {:?}",
            r.warnings
        );
    }
}

/// Two functions may share a name-section name: each keeps its own
/// decision. Both match the add-list entry `dup`; the first calls the
/// suspending import and is instrumented, the second has no suspending
/// call site and is left unchanged, and only its decision says so.
#[test]
fn functions_sharing_a_name_keep_their_own_decisions() {
    let m = wat(r#"(module
        (import "env" "sleep" (func $sleep))
        (memory 1)
        (func $first (@name "dup") (call $sleep))
        (func $second (@name "dup") (nop)))"#);
    let options = Options {
        add_list: vec!["dup".into()],
        ..Options::default()
    };
    let r = instrument(&m, &options).unwrap().report;
    assert_eq!(r.decisions.len(), 2);
    let (first, second) = (&r.decisions[0], &r.decisions[1]);
    assert_eq!(first.function, "dup");
    assert_eq!(second.function, "dup");
    assert!(first.instrumented, "{first:?}");
    assert_eq!(first.reason, "calls import `env.sleep`");
    assert!(!second.instrumented, "{second:?}");
    assert!(
        second
            .reason
            .ends_with("no suspending call site: left unchanged"),
        "{second:?}"
    );
    assert_eq!(r.functions_instrumented, 1);
}

fn steps(e: &rewind_transform::Explanation) -> Vec<(String, String)> {
    e.path
        .iter()
        .map(|s| (s.function.clone(), s.how.clone()))
        .collect()
}

/// `explain` gives a shortest chain of calls to where the suspension
/// starts: `main` reaches `env.sleep` through `short` in two calls, not
/// through the longer chain the propagation may have found first.
#[test]
fn explain_gives_a_shortest_chain() {
    let m = wat(r#"(module
        (import "env" "sleep" (func $sleep))
        (memory 1)
        (func $leaf (call $sleep))
        (func $long2 (call $leaf))
        (func $long1 (call $long2))
        (func $short (call $sleep))
        (func $main (call $long1) (call $short))
        (func $pure))"#);
    let e = rewind_transform::explain(&m, &Options::default(), "main").unwrap();
    assert_eq!(e.len(), 1);
    assert!(e[0].instrumented);
    assert_eq!(
        steps(&e[0]),
        [
            ("main".into(), "calls".into()),
            ("short".into(), "calls".into()),
            (
                "env.sleep".into(),
                "an import: every import may suspend unless --imports says otherwise".into()
            ),
        ]
    );
    let pure = &rewind_transform::explain(&m, &Options::default(), "pure").unwrap()[0];
    assert!(!pure.instrumented);
    assert_eq!(pure.rule, "cannot reach a suspending call");
    assert!(pure.path.is_empty());
}

/// Indirect calls are explained by the type and an addressable function of
/// it that suspends.
#[test]
fn explain_names_the_indirect_step() {
    let m = wat(r#"(module
        (import "env" "sleep" (func $sleep))
        (memory 1)
        (type $t (func))
        (table 1 funcref)
        (elem (i32.const 0) $target)
        (func $target (type $t) (call $sleep))
        (func $caller (call_indirect (type $t) (i32.const 0))))"#);
    let options = Options {
        imports: Some(vec!["env.sleep".into()]),
        ..Options::default()
    };
    let e = &rewind_transform::explain(&m, &options, "caller").unwrap()[0];
    assert_eq!(
        steps(e),
        [
            (
                "caller".into(),
                "calls indirectly through type [] -> [], which may reach".into()
            ),
            ("target".into(), "calls".into()),
            ("env.sleep".into(), "an import matched by --imports".into()),
        ]
    );
}

/// The three-line build helper: `Options::for_guest` and `asyncify_file`.
#[test]
fn a_guest_is_instrumented_from_files() {
    let dir = std::env::temp_dir().join(format!("rewind-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("guest.wasm");
    std::fs::write(
        &input,
        wat(r#"(module
            (import "rewind" "yield_to_host" (func $yield))
            (import "env" "log" (func $log))
            (memory 1)
            (func $frame (call $yield))
            (func $logs (call $log)))"#),
    )
    .unwrap();
    let output = dir.join("guest.async.wasm");
    let options = Options::for_guest();
    let report = rewind_transform::asyncify_file(&input, &output, &options).unwrap();
    assert_eq!(
        report.functions_instrumented, 1,
        "only the yielding function"
    );
    assert!(wasmparser::validate(&std::fs::read(&output).unwrap()).is_ok());
    let missing = rewind_transform::asyncify_file(dir.join("nope.wasm"), &output, &options)
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.wasm"), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}
