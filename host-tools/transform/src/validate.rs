//! Validating the output, and saying where it fails: an instrumented
//! function that outgrows an engine limit (a function body of more than
//! 7,654,321 bytes, say) is the input's size, not a bug, and the error
//! names the function; anything else is a bug in the transform, reported
//! with the function it is in.

use wasmparser::{Name, NameSectionReader, Parser, Payload, TypeRef, Validator, WasmFeatures};

use crate::error::{Error, Result};

/// Validates `wasm` with every feature enabled.
pub(crate) fn validate(wasm: &[u8]) -> Result<()> {
    let Err(e) = Validator::new_with_features(WasmFeatures::all()).validate_all(wasm) else {
        return Ok(());
    };
    let function = function_at(wasm, e.offset()).unwrap_or_else(|| "?".into());
    if e.message().contains("exceeds limit") {
        return Err(Error::Limit {
            function,
            detail: e.message().to_string(),
        });
    }
    Err(Error::InvalidOutput {
        function,
        source: e,
    })
}

/// The name (or `func[INDEX]`) of the function whose body holds `offset`.
fn function_at(wasm: &[u8], offset: usize) -> Option<String> {
    let mut imported = 0u32;
    let mut bodies: Vec<std::ops::Range<usize>> = Vec::new();
    let mut names = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import.ok()?.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body.range()),
            Payload::CustomSection(section) if section.name() == "name" => {
                let reader = NameSectionReader::new(wasmparser::BinaryReader::new(
                    section.data(),
                    section.data_offset(),
                ));
                for name in reader.into_iter().flatten() {
                    if let Name::Function(map) = name {
                        names.extend(map.into_iter().flatten().map(|n| (n.index, n.name)));
                    }
                }
            }
            _ => {}
        }
    }
    let at = bodies.iter().position(|r| r.contains(&offset))?;
    let index = imported + at as u32;
    Some(
        names
            .iter()
            .find(|(i, _)| *i == index)
            .map_or_else(|| format!("func[{index}]"), |(_, n)| n.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bodies_are_named() {
        let wasm =
            wat::parse_str(r#"(module (func $fine) (func $broken (result i32) (i32.const 0)))"#)
                .unwrap();
        // Break the second body: `i32.const 0` becomes `i64.const 0`.
        let mut broken = wasm.clone();
        let at = broken
            .windows(3)
            .rposition(|w| w == [0x41, 0x00, 0x0b])
            .unwrap();
        broken[at] = 0x42;
        let Err(Error::InvalidOutput { function, source }) = validate(&broken) else {
            panic!("the broken module validates");
        };
        assert_eq!(function, "broken");
        assert!(source.message().contains("type mismatch"), "{source}");
    }
}
