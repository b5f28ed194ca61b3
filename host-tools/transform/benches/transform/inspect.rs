//! Looking into modules with wasmparser: sizes without custom sections,
//! validation, function counts.

use rewind_transform::abi;

fn leb(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut result = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        result |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(result);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Size without custom sections (names, producers, target features):
/// Binaryen drops the name section unless `-g`, so sizes are compared
/// without any custom section.
pub fn code_size(wasm: &[u8]) -> usize {
    let mut pos = 8;
    let mut size = 8;
    while pos < wasm.len() {
        let start = pos;
        let id = wasm[pos];
        pos += 1;
        let Some(len) = leb(wasm, &mut pos) else {
            return wasm.len();
        };
        pos += len as usize;
        if id != 0 {
            size += pos - start;
        }
    }
    size
}

pub fn validate(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Counts the defined functions that read or write the asyncify state
/// global (the one `asyncify_get_state` returns), i.e. the instrumented
/// functions, excluding the five exported ABI functions. Works on output
/// of either tool before `-O` (inlining blurs the count afterwards).
pub fn count_instrumented(wasm: &[u8]) -> Option<usize> {
    use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};
    let mut imported_funcs = 0u32;
    let mut abi_funcs = Vec::new();
    let mut get_state = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    if matches!(imp.ok()?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        imported_funcs += 1;
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for exp in reader {
                    let exp = exp.ok()?;
                    if exp.kind == ExternalKind::Func && exp.name.starts_with("asyncify_") {
                        abi_funcs.push(exp.index);
                        if exp.name == abi::GET_STATE {
                            get_state = Some(exp.index);
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let globals_of = |body: &wasmparser::FunctionBody<'_>| -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for op in body.get_operators_reader().ok()? {
            match op.ok()? {
                Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => {
                    out.push(global_index);
                }
                _ => {}
            }
        }
        Some(out)
    };
    let state_idx = get_state?.checked_sub(imported_funcs)?;
    let state_global = *globals_of(bodies.get(state_idx as usize)?)?.first()?;
    let mut count = 0;
    for (i, body) in bodies.iter().enumerate() {
        if abi_funcs.contains(&(i as u32 + imported_funcs)) {
            continue;
        }
        if globals_of(body)?.contains(&state_global) {
            count += 1;
        }
    }
    Some(count)
}

pub fn count_defined_functions(wasm: &[u8]) -> usize {
    use wasmparser::{Parser, Payload};
    Parser::new(0)
        .parse_all(wasm)
        .filter_map(Result::ok)
        .map(|p| match p {
            Payload::FunctionSection(r) => r.count() as usize,
            _ => 0,
        })
        .sum()
}
