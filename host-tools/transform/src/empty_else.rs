//! Drops the `else` opcodes of empty `else` arms from an encoded module.
//!
//! walrus keeps every `if` as an `if`/`else` pair and writes the `else`
//! opcode even when that arm is empty, and the rewrite adds an `if` without
//! an `else` arm at every suspending call site and sequence it cuts: a byte
//! each, about 2% of an instrumented C program. An empty `else` arm can
//! only leave the `if`'s parameters as its results, which is exactly what
//! an `if` without `else` does, so the opcode goes and nothing else
//! changes. The code section is re-encoded (body sizes shrink), every
//! other section is copied as it is. A module with custom sections that
//! point into the code by offset (DWARF, source maps, branch hints) is left
//! untouched.

use wasmparser::{Operator, Parser, Payload};

use crate::encoded::{CODE_SECTION, Replace, leb128};

/// Custom sections that hold code offsets: stripping bytes would make
/// them lie.
fn holds_code_offsets(name: &str) -> bool {
    name.starts_with(".debug_") || name == "sourceMappingURL" || name.starts_with("metadata.code.")
}

/// `wasm` without the `else` of its empty `else` arms; `wasm` itself when
/// it has none or must not be changed. `wasm` must be valid.
pub(crate) fn strip(wasm: Vec<u8>) -> Vec<u8> {
    match stripped(&wasm) {
        Some(out) => out,
        None => wasm,
    }
}

fn stripped(wasm: &[u8]) -> Option<Vec<u8>> {
    let mut code: Option<(std::ops::Range<usize>, u32)> = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::CustomSection(c) if holds_code_offsets(c.name()) => return None,
            Payload::CodeSectionStart { count, range, .. } => code = Some((range, count)),
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let (range, count) = code?;
    let mut section = Vec::with_capacity(range.len());
    leb128(&mut section, u64::from(count));
    let mut removed = 0;
    for body in &bodies {
        let skip = empty_else_offsets(body)?;
        removed += skip.len();
        let span = body.range();
        leb128(&mut section, (span.len() - skip.len()) as u64);
        let mut from = span.start;
        for at in skip {
            section.extend_from_slice(&wasm[from..at]);
            from = at + 1;
        }
        section.extend_from_slice(&wasm[from..span.end]);
    }
    if removed == 0 {
        return None;
    }
    crate::encoded::replace_sections(
        wasm,
        vec![Replace {
            contents: range,
            with: Some((CODE_SECTION, section)),
        }],
    )
}

/// The offsets of the `else` opcodes immediately followed by their `end`.
fn empty_else_offsets(body: &wasmparser::FunctionBody<'_>) -> Option<Vec<usize>> {
    let mut reader = body.get_operators_reader().ok()?;
    let mut offsets = Vec::new();
    let mut pending_else = None;
    while !reader.eof() {
        let (op, at) = reader.read_with_offset().ok()?;
        if let (Some(e), Operator::End) = (pending_else, &op) {
            offsets.push(e);
        }
        pending_else = matches!(op, Operator::Else).then_some(at);
    }
    Some(offsets)
}

#[cfg(test)]
mod tests {
    use super::strip;

    fn module(body: &str) -> Vec<u8> {
        wat::parse_str(format!(
            "(module (func (param i32) (result i32) {body}) (func (result i32) i32.const 7))"
        ))
        .unwrap()
    }

    #[test]
    fn empty_else_arms_lose_their_opcode() {
        let before = module(
            "local.get 0 if nop else end \
             local.get 0 if (result i32) i32.const 1 else i32.const 2 end",
        );
        let after = strip(before.clone());
        assert_eq!(after.len(), before.len() - 1);
        wasmparser::validate(&after).unwrap();
        let printed = wasmprinter::print_bytes(&after).unwrap();
        assert_eq!(printed.matches("else").count(), 1, "{printed}");
    }

    #[test]
    fn a_module_without_them_is_unchanged() {
        let wasm = module("local.get 0");
        assert_eq!(strip(wasm.clone()), wasm);
    }

    #[test]
    fn debug_info_keeps_every_byte() {
        let mut wasm = module("local.get 0 if nop else end local.get 0");
        // A custom section `.debug_line` with no contents.
        wasm.extend_from_slice(&[0, 12, 11]);
        wasm.extend_from_slice(b".debug_line");
        assert_eq!(strip(wasm.clone()), wasm);
    }
}
