//! `rewind explain MODULE FUNC [asyncify options]`: the rule and a
//! shortest chain of calls for each matching function (goldens under
//! `tests/goldens/explain_*.stdout`), and the errors.

mod common;

use common::{assert_error, assert_success, golden, rewind_in, scratch, stdout};

const WAT: &str = r#"(module
  (import "env" "sleep" (func $sleep))
  (import "env" "log" (func $log (param i32)))
  (memory 1)
  (type $t (func))
  (table 1 funcref)
  (elem (i32.const 0) $short)
  (func $leaf (call $sleep))
  (func $long2 (call $leaf))
  (func $long1 (call $long2))
  (func $short (type $t) (call $sleep))
  (func $main (call $long1) (call $short))
  (func $by_table (call_indirect (type $t) (i32.const 0)))
  (func $logger (call $log (i32.const 1)))
  (func $pure)
  (func (nop)))
"#;

fn explain(test: &str, args: &[&str]) -> std::process::Output {
    let dir = scratch("explain", test);
    std::fs::write(dir.join("m.wat"), WAT).unwrap();
    let mut all = vec!["explain", "m.wat"];
    all.extend_from_slice(args);
    rewind_in(&dir, &all)
}

#[test]
fn a_shortest_chain_one_step_a_line() {
    let out = explain("chain", &["main"]);
    assert_success(&out);
    golden("explain_main.stdout", &stdout(&out));
}

#[test]
fn an_indirect_call_names_the_type() {
    let out = explain("indirect", &["by_table", "--imports", "env.sleep"]);
    assert_success(&out);
    golden("explain_indirect.stdout", &stdout(&out));
}

#[test]
fn the_options_decide() {
    // With --imports env.sleep, `logger` is left alone; by default every
    // import may suspend.
    let narrow = explain("narrow", &["logger", "--imports", "env.sleep"]);
    assert_success(&narrow);
    let default = explain("default", &["logger"]);
    assert_success(&default);
    golden(
        "explain_options.stdout",
        &format!("{}---\n{}", stdout(&narrow), stdout(&default)),
    );
    // Binaryen's spelling works as with `rewind asyncify`.
    let binaryen = explain(
        "binaryen",
        &["logger", "--pass-arg=asyncify-imports@env.sleep"],
    );
    assert_eq!(stdout(&binaryen), stdout(&narrow));
}

#[test]
fn a_list_is_the_rule() {
    let out = explain("lists", &["main", "--remove-list", "main"]);
    assert_success(&out);
    let only = explain("only", &["main", "--only-list", "main,leaf"]);
    assert_success(&only);
    golden(
        "explain_lists.stdout",
        &format!("{}---\n{}", stdout(&out), stdout(&only)),
    );
}

#[test]
fn wildcards_give_one_block_each_and_unnamed_functions_are_func_n() {
    let out = explain("wildcards", &["long*"]);
    assert_success(&out);
    golden("explain_wildcards.stdout", &stdout(&out));
    let unnamed = explain("unnamed", &["func[10]"]);
    assert_success(&unnamed);
    assert_eq!(
        stdout(&unnamed),
        "func[10]: not instrumented (cannot reach a suspending call)\n"
    );
}

#[test]
fn no_match_is_an_error() {
    let out = explain("nomatch", &["nosuch*"]);
    let err = assert_error(&out);
    assert_eq!(err, "error: no function matches `nosuch*`\n");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_and_bad_options_are_errors() {
    let dir = scratch("explain", "bad");
    let out = rewind_in(&dir, &["explain", "missing.wasm", "main"]);
    let err = assert_error(&out);
    assert!(
        err.starts_with("error: failed to read `missing.wasm`"),
        "{err}"
    );
    let out = explain(
        "conflict",
        &["main", "--only-list", "main", "--add-list", "leaf"],
    );
    let err = assert_error(&out);
    assert!(err.starts_with("error: failed to analyse `m.wat`"), "{err}");
    assert!(err.contains("--only-list cannot be combined"), "{err}");
}
