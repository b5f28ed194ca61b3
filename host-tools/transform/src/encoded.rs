//! Rewriting an encoded module section by section: the passes that run
//! after walrus has emitted the output (`empty_else.rs`, `bodies.rs`)
//! replace its code section or drop a custom section, and copy every other
//! byte as it is.

use std::ops::Range;

/// The id of the code section.
pub(crate) const CODE_SECTION: u8 = 10;

/// What becomes of one section, found by the range of its contents (as
/// wasmparser reports it).
pub(crate) struct Replace {
    pub contents: Range<usize>,
    /// The new section id and contents, or `None` to drop the section.
    pub with: Option<(u8, Vec<u8>)>,
}

/// `wasm` with the sections of `replacements` replaced or dropped;
/// `None` if a section header cannot be found (the module is then left to
/// the caller). `replacements` must be in module order.
pub(crate) fn replace_sections(wasm: &[u8], replacements: Vec<Replace>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(wasm.len());
    let mut from = 0;
    for r in replacements {
        let start = section_header_start(wasm, r.contents.start)?;
        out.extend_from_slice(wasm.get(from..start)?);
        if let Some((id, contents)) = r.with {
            out.push(id);
            leb128(&mut out, contents.len() as u64);
            out.extend_from_slice(&contents);
        }
        from = r.contents.end;
    }
    out.extend_from_slice(wasm.get(from..)?);
    Some(out)
}

/// Where the header of the section whose contents start at `contents`
/// begins: the id byte before the LEB128 size.
fn section_header_start(wasm: &[u8], contents: usize) -> Option<usize> {
    // The size is 1 to 5 bytes, its last byte below 0x80, any other above.
    let mut at = contents.checked_sub(1)?;
    if wasm[at] & 0x80 != 0 {
        return None;
    }
    while at > 0 && wasm[at - 1] & 0x80 != 0 {
        at -= 1;
    }
    at.checked_sub(1)
}

/// Appends `n` as unsigned LEB128.
pub(crate) fn leb128(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_replaced_and_dropped_in_place() {
        let wasm = wat::parse_str(
            r#"(module (func (result i32) i32.const 7) (@custom "x" "abc") (@custom "y" "d"))"#,
        )
        .unwrap();
        let mut code = None;
        let mut custom = None;
        for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
            match payload.unwrap() {
                wasmparser::Payload::CodeSectionStart { range, .. } => code = Some(range),
                wasmparser::Payload::CustomSection(c) if c.name() == "x" => {
                    custom = Some(c.range())
                }
                _ => {}
            }
        }
        // One body: 4 bytes, no locals, `i32.const 8`, `end`.
        let body = vec![1, 4, 0, 0x41, 8, 0x0b];
        let out = replace_sections(
            &wasm,
            vec![
                Replace {
                    contents: code.unwrap(),
                    with: Some((CODE_SECTION, body)),
                },
                Replace {
                    contents: custom.unwrap(),
                    with: None,
                },
            ],
        )
        .unwrap();
        let printed = wasmprinter::print_bytes(&out).unwrap();
        assert!(printed.contains("i32.const 8"), "{printed}");
        assert!(!printed.contains("@custom \"x\""), "{printed}");
        assert!(printed.contains("@custom \"y\""), "{printed}");
    }
}
