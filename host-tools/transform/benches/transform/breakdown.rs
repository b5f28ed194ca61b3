//! Where the bytes an instrumentation adds go, read back from the output
//! (for the real part): each function the original defines is compared
//! with its instrumented version, and the output's code is sorted by the
//! shapes the transform emits (docs/transform.md):
//!
//! - frame restore: `global.get $state; i32.const 2; i32.eq; if ... end`
//!   at the top of a function, or the frame pop and restores at the start
//!   of the body's first dispatch;
//! - frame save: what follows the function's last top-level `block` (the
//!   unwind exit), overflow check included;
//! - unwind checks: `i32.const K; global.get $state; br_if $unwind; drop`
//!   after each suspending call (`global.get $state; br_if $unwind` where
//!   nothing reads the site number);
//! - rewind dispatches: `global.get $state; if ... end` elsewhere, and
//!   `global.get $state; br_if` where a dispatch has one target;
//! - the rest of what a function grew by: spills and reloads of operand
//!   stack values, the blocks of the dispatch ladders;
//! - runtime: the functions the transform adds (ABI exports, side-table
//!   helpers; known by their names in the output's name section), and
//!   every other section's growth.
//!
//! It reads shapes, not the transform's notes, so it is an estimate; the
//! state global is the one `asyncify_get_state` returns.

use std::collections::HashSet;

use wasmparser::{
    BinaryReader, ExternalKind, FunctionBody, Name, NameSectionReader, Operator, Parser, Payload,
};

/// Bytes added, by category.
#[derive(Debug, Default)]
pub struct Breakdown {
    pub restore: usize,
    pub save: usize,
    pub unwind_checks: usize,
    pub dispatch: usize,
    /// What the code of the original functions grew by besides the shapes
    /// above: spills, reloads, the blocks of the dispatch ladders (and any
    /// difference in how the two encoders write the same code).
    pub spills_and_ladders: isize,
    pub runtime: usize,
    pub total: usize,
}

/// The breakdown of `output`, the instrumentation of `original`; `None`
/// when either does not parse or the output has no `asyncify_get_state`.
pub fn breakdown(original: &[u8], output: &[u8]) -> Option<Breakdown> {
    let before = read(original)?;
    let after = read(output)?;
    let state = state_global(&after)?;
    let mut b = Breakdown {
        total: output.len().saturating_sub(original.len()),
        ..Breakdown::default()
    };
    let mut code = 0;
    let mut runtime_code = 0;
    for (i, body) in after.bodies.iter().enumerate() {
        let index = after.imported_funcs + i as u32;
        if after.runtime.contains(&index) {
            runtime_code += body.range().len();
            continue;
        }
        code += body.range().len();
        let shapes = classify(body, state)?;
        b.restore += shapes.restore;
        b.save += shapes.save;
        b.unwind_checks += shapes.unwind_checks;
        b.dispatch += shapes.dispatch;
    }
    let original_code: usize = before.bodies.iter().map(|body| body.range().len()).sum();
    let known = b.restore + b.save + b.unwind_checks + b.dispatch;
    b.spills_and_ladders = code as isize - original_code as isize - known as isize;
    b.runtime = runtime_code
        + b.total
            .saturating_sub(code.saturating_sub(original_code) + runtime_code);
    Some(b)
}

/// Whether a function of this name is one the transform adds.
fn is_runtime(name: &str) -> bool {
    name.starts_with("asyncify_")
        || name.starts_with("__asyncify_")
        || name.starts_with("__rewind_")
}

struct Module<'a> {
    /// Defined functions' bodies, in order.
    bodies: Vec<FunctionBody<'a>>,
    imported_funcs: u32,
    get_state: Option<u32>,
    /// Functions the name section names as the transform's own.
    runtime: HashSet<u32>,
}

fn read(wasm: &[u8]) -> Option<Module<'_>> {
    let mut m = Module {
        bodies: Vec::new(),
        imported_funcs: 0,
        get_state: None,
        runtime: HashSet::new(),
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import.ok()?.ty, wasmparser::TypeRef::Func(_)) {
                        m.imported_funcs += 1;
                    }
                }
            }
            Payload::ExportSection(exports) => {
                for export in exports {
                    let export = export.ok()?;
                    if export.name == "asyncify_get_state" && export.kind == ExternalKind::Func {
                        m.get_state = Some(export.index);
                    }
                }
            }
            Payload::CodeSectionEntry(body) => m.bodies.push(body),
            Payload::CustomSection(section) if section.name() == "name" => {
                let reader = NameSectionReader::new(BinaryReader::new(
                    section.data(),
                    section.data_offset(),
                ));
                for name in reader.into_iter().flatten() {
                    if let Name::Function(map) = name {
                        m.runtime.extend(
                            map.into_iter()
                                .flatten()
                                .filter(|n| is_runtime(n.name))
                                .map(|n| n.index),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Some(m)
}

/// The global `asyncify_get_state` returns.
fn state_global(m: &Module<'_>) -> Option<u32> {
    let body = m.bodies.get((m.get_state? - m.imported_funcs) as usize)?;
    let mut ops = body.get_operators_reader().ok()?;
    match ops.read().ok()? {
        Operator::GlobalGet { global_index } => Some(global_index),
        _ => None,
    }
}

/// Bytes of each shape in one function.
#[derive(Default)]
struct Shapes {
    restore: usize,
    save: usize,
    unwind_checks: usize,
    dispatch: usize,
}

fn classify(body: &FunctionBody<'_>, state: u32) -> Option<Shapes> {
    let mut reader = body.get_operators_reader().ok()?;
    let mut ops = Vec::new();
    while !reader.eof() {
        let (op, at) = reader.read_with_offset().ok()?;
        ops.push((op, at));
    }
    let end = body.range().end;
    let size = |i: usize, j: usize| -> usize {
        let to = ops.get(j).map_or(end, |(_, at)| *at);
        to - ops[i].1
    };
    // The matching `end` of the structured instruction at `i`.
    let matching_end = |i: usize| -> usize {
        let mut depth = 0usize;
        for (j, (op, _)) in ops.iter().enumerate().skip(i) {
            match op {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::Try { .. }
                | Operator::TryTable { .. } => depth += 1,
                Operator::End => {
                    depth -= 1;
                    if depth == 0 {
                        return j;
                    }
                }
                _ => {}
            }
        }
        ops.len() - 1
    };
    let is_state = |op: &Operator<'_>| matches!(op, Operator::GlobalGet { global_index } if *global_index == state);
    let mut shapes = Shapes::default();
    if !ops.iter().any(|(op, _)| is_state(op)) {
        // Not instrumented.
        return Some(shapes);
    }
    let mut depth = 0usize;
    let mut last_top_block = None;
    let mut i = 0;
    while i < ops.len() {
        let op = &ops[i].0;
        if depth == 0 && matches!(op, Operator::Block { .. }) {
            last_top_block = Some(i);
        }
        if is_state(op) {
            if depth == 0
                && matches!(ops.get(i + 1), Some((Operator::I32Const { value: 2 }, _)))
                && matches!(ops.get(i + 2), Some((Operator::I32Eq, _)))
                && matches!(ops.get(i + 3), Some((Operator::If { .. }, _)))
            {
                let last = matching_end(i + 3);
                shapes.restore += size(i, last + 1);
                i = last + 1;
                continue;
            }
            if matches!(ops.get(i + 1), Some((Operator::If { .. }, _))) {
                let last = matching_end(i + 1);
                // The body's first dispatch restores the frame before
                // choosing: a frame pop (a constant size, a call), the
                // restores, up to the last `drop` or `local.set` before
                // the first branch.
                let pops = matches!(
                    ops.get(i + 2),
                    Some((Operator::I32Const { .. } | Operator::I64Const { .. }, _))
                ) && matches!(ops.get(i + 3), Some((Operator::Call { .. }, _)));
                let restored = if pops {
                    let inside = &ops[i + 2..last];
                    let branch = inside.iter().position(|(op, _)| {
                        matches!(
                            op,
                            Operator::Br { .. } | Operator::BrIf { .. } | Operator::BrTable { .. }
                        )
                    });
                    inside[..branch.unwrap_or(inside.len())]
                        .iter()
                        .rposition(|(op, _)| {
                            matches!(op, Operator::Drop | Operator::LocalSet { .. })
                        })
                        .map(|k| size(i + 2, i + 3 + k))
                } else {
                    None
                };
                let whole = size(i, last + 1);
                shapes.restore += restored.unwrap_or(0);
                shapes.dispatch += whole - restored.unwrap_or(0);
                i = last + 1;
                continue;
            }
            if matches!(ops.get(i + 1), Some((Operator::BrIf { .. }, _))) {
                let carries_site = i >= 1
                    && matches!(ops[i - 1].0, Operator::I32Const { .. })
                    && matches!(ops.get(i + 2), Some((Operator::Drop, _)));
                // Without a site number (nothing reads it), right after
                // the call.
                let after_call = i >= 1
                    && matches!(
                        ops[i - 1].0,
                        Operator::Call { .. }
                            | Operator::CallIndirect { .. }
                            | Operator::CallRef { .. }
                    );
                if carries_site {
                    shapes.unwind_checks += size(i - 1, i + 3);
                } else if after_call {
                    shapes.unwind_checks += size(i, i + 2);
                } else {
                    shapes.dispatch += size(i, i + 2);
                }
            }
        }
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. } => depth += 1,
            Operator::End => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    if let Some(block) = last_top_block {
        let after = matching_end(block) + 1;
        // Up to the function's own `end`.
        if after < ops.len() - 1 {
            shapes.save += size(after, ops.len() - 1);
        }
    }
    Some(shapes)
}
