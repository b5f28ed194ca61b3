//! Golden tests: each `tests/goldens/NAME.wat` is instrumented with the
//! options on its first line, printed, and compared with
//! `NAME.expected.wat` (`BLESS=1` rewrites it). Every output must also
//! validate and instantiate under wasmi.

use rewind_tests::golden::{all_names, check, goldens_dir};
use rewind_tests::instrument::{instrument, load};
use rewind_tests::options_header::options_of;

macro_rules! goldens {
    ($($name:ident),* $(,)?) => {
        const NAMES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                if let Err(e) = check(stringify!($name)) {
                    panic!("{e}");
                }
            }
        )*
    };
}

goldens!(
    add_list,
    asserts,
    block,
    br_on_values,
    catch_lowering,
    catch_rethrow,
    br_table,
    export_globals,
    fast_path,
    fast_path_recursive,
    frame_runs,
    frame_runs_no_multivalue,
    fuel_accessors,
    fuel_fold,
    fuel_fast_path,
    fuel_loop,
    fuel_recursion,
    fuel_runtime,
    fuel_unroll,
    if_else,
    ignore_imports,
    ignore_indirect,
    import_globals,
    indirect_narrowing,
    intrinsics,
    imports_list,
    liveness,
    loop_body,
    memory64,
    memory_selection,
    multi_value,
    only_list,
    propagate_add_list,
    remove_list,
    spill,
    stack_pointer_by_index,
    record_unwinds,
    recompute,
    references,
    stack_pointer_by_name,
    tail_call_in_try,
    tail_calls,
    try_body,
    try_table,
    untouched,
);

#[test]
fn every_golden_has_a_test() {
    let mut listed: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
    listed.sort();
    assert_eq!(all_names(), listed, "add the new golden to goldens!(...)");
}

#[test]
fn no_stray_expected_files() {
    let names = all_names();
    for entry in std::fs::read_dir(goldens_dir()).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = file.strip_suffix(".expected.wat") {
            assert!(names.iter().any(|n| n == stem), "{file} has no input");
        }
    }
}

/// The code-section body of every defined function, by name.
fn bodies(wasm: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut imported = 0u32;
    let mut code = Vec::new();
    let mut names = std::collections::HashMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::ImportSection(r) => {
                for imports in r {
                    for item in imports.unwrap() {
                        let (_, import) = item.unwrap();
                        if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                code.push(wasm[body.range()].to_vec());
            }
            wasmparser::Payload::CustomSection(c) => {
                if let wasmparser::KnownCustom::Name(reader) = c.as_known() {
                    for sub in reader.into_iter().flatten() {
                        if let wasmparser::Name::Function(map) = sub {
                            for n in map.into_iter().flatten() {
                                names.insert(n.index, n.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    code.into_iter()
        .enumerate()
        .map(|(i, b)| {
            let index = imported + i as u32;
            let name = names
                .get(&index)
                .cloned()
                .unwrap_or(format!("func[{index}]"));
            (name, b)
        })
        .collect()
}

#[test]
fn untouched_function_is_byte_identical() {
    let path = goldens_dir().join("untouched.wat");
    let text = std::fs::read_to_string(&path).unwrap();
    let input = load(&path);
    let out = instrument(&input, &options_of(&text).unwrap()).unwrap();
    let find = |wasm: &[u8]| {
        bodies(wasm)
            .into_iter()
            .find(|(n, _)| n == "pure")
            .unwrap_or_else(|| panic!("no function `pure`"))
            .1
    };
    assert_eq!(find(&out.wasm), find(&input));
    let decision = out
        .report
        .decisions
        .iter()
        .find(|d| d.function == "pure")
        .expect("a decision for `pure`");
    assert!(!decision.instrumented, "{decision:?}");
}

/// Frames restored by inline loads need no multi-value: the output of
/// `frame_runs_no_multivalue` validates with multi-value switched off (the
/// input has no use of it), and the default output does not.
#[test]
fn no_multivalue_output_needs_no_multi_value() {
    use wasmparser::{Validator, WasmFeatures};
    let path = goldens_dir().join("frame_runs_no_multivalue.wat");
    let text = std::fs::read_to_string(&path).unwrap();
    let input = load(&path);
    let without = WasmFeatures::default() - WasmFeatures::MULTI_VALUE;
    let validate = |wasm: &[u8]| Validator::new_with_features(without).validate_all(wasm);
    validate(&input).expect("the input needs no multi-value");
    let options = options_of(&text).unwrap();
    assert!(options.no_multivalue);
    validate(&instrument(&input, &options).unwrap().wasm)
        .expect("--no-multivalue output needs no multi-value");
    let default = rewind_transform::Options {
        no_multivalue: false,
        ..options
    };
    assert!(validate(&instrument(&input, &default).unwrap().wasm).is_err());
}
