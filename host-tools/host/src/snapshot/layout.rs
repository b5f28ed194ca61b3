//! What a snapshot must reach inside an instance, and how it reaches it.
//!
//! wasmi gives the host only a module's *exports*, but a suspended call's
//! state lives in everything the module holds: its memories, its mutable
//! globals (the shadow-stack pointer, the Asyncify state and data pointer
//! are rarely exported) and its tables. [`Layout::expose`] reads the module
//! once and adds an export for each of them, named
//! `rewind-snapshot:KIND:INDEX`, plus one for every function a table can
//! hold (those an element segment, a global initialiser or an export
//! references: the only ones `ref.func` may name), so that function
//! references can be saved as function indices. The other sections are
//! copied byte for byte; the guest's code does not change.

use sha2::{Digest, Sha256};
use wasm_encoder::{ExportKind, ExportSection, RawSection};
use wasmparser::{ElementItems, ExternalKind, Operator, Parser, Payload, TypeRef};

/// Prefix of the exports [`Layout::expose`] adds.
const PREFIX: &str = "rewind-snapshot:";

/// The entities of a module, by index space, and its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// SHA-256 of the module's bytes as given (before exports were added).
    pub hash: [u8; 32],
    /// Number of memories, imported ones first.
    pub memories: u32,
    /// Whether each global is mutable, imported ones first.
    pub globals: Vec<bool>,
    /// Number of tables, imported ones first.
    pub tables: u32,
    /// Indices of the functions a table may hold, ascending.
    pub funcs: Vec<u32>,
}

/// Kinds of exported entities, as named in the added exports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Memory,
    Global,
    Table,
    Func,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Memory => "memory",
            Kind::Global => "global",
            Kind::Table => "table",
            Kind::Func => "func",
        }
    }
}

/// The name of the added export of entity `index` of `kind`.
pub(crate) fn export_name(kind: Kind, index: u32) -> String {
    format!("{PREFIX}{}:{index}", kind.name())
}

impl Layout {
    /// Reads `wasm` and returns its layout and a copy that exports every
    /// memory, global, table and referenceable function.
    pub(crate) fn expose(wasm: &[u8]) -> Result<(Layout, Vec<u8>), String> {
        let mut layout = Layout {
            hash: Sha256::digest(wasm).into(),
            memories: 0,
            globals: Vec::new(),
            tables: 0,
            funcs: Vec::new(),
        };
        let mut existing = Vec::new();
        let mut sections: Vec<(u8, std::ops::Range<usize>)> = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            let payload = payload.map_err(|e| e.to_string())?;
            match &payload {
                Payload::ImportSection(reader) => {
                    for import in reader.clone().into_imports() {
                        match import.map_err(|e| e.to_string())?.ty {
                            TypeRef::Memory(_) => layout.memories += 1,
                            TypeRef::Table(_) => layout.tables += 1,
                            TypeRef::Global(ty) => layout.globals.push(ty.mutable),
                            _ => {}
                        }
                    }
                }
                Payload::MemorySection(reader) => layout.memories += reader.count(),
                Payload::TableSection(reader) => layout.tables += reader.count(),
                Payload::GlobalSection(reader) => {
                    for global in reader.clone() {
                        let global = global.map_err(|e| e.to_string())?;
                        layout.globals.push(global.ty.mutable);
                        referenced(&global.init_expr, &mut layout.funcs)?;
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader.clone() {
                        match element.map_err(|e| e.to_string())?.items {
                            ElementItems::Functions(funcs) => {
                                for func in funcs {
                                    layout.funcs.push(func.map_err(|e| e.to_string())?);
                                }
                            }
                            ElementItems::Expressions(_, exprs) => {
                                for expr in exprs {
                                    referenced(
                                        &expr.map_err(|e| e.to_string())?,
                                        &mut layout.funcs,
                                    )?;
                                }
                            }
                        }
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader.clone() {
                        let export = export.map_err(|e| e.to_string())?;
                        if export.name.starts_with(PREFIX) {
                            return Err(format!(
                                "it already exports `{}`, a name rewind-host reserves",
                                export.name
                            ));
                        }
                        if matches!(export.kind, ExternalKind::Func | ExternalKind::FuncExact) {
                            layout.funcs.push(export.index);
                        }
                        existing.push((export.name.to_string(), export.kind, export.index));
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(section) = payload.as_section() {
                sections.push(section);
            }
        }
        layout.funcs.sort_unstable();
        layout.funcs.dedup();

        let exports = layout.exports(&existing);
        let mut out = wasm_encoder::Module::new();
        let mut placed = false;
        for (id, range) in sections {
            // The export section comes right before start, element, data
            // count, code and data (ids 8, 9, 12, 10, 11).
            if !placed && matches!(id, 8..=12) {
                out.section(&exports);
                placed = true;
            }
            out.section(&RawSection {
                id,
                data: &wasm[range],
            });
        }
        if !placed {
            out.section(&exports);
        }
        Ok((layout, out.finish()))
    }

    /// The module's own exports followed by the added ones.
    fn exports(&self, existing: &[(String, ExternalKind, u32)]) -> ExportSection {
        let mut section = ExportSection::new();
        for (name, kind, index) in existing {
            let kind = match kind {
                ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func,
                ExternalKind::Table => ExportKind::Table,
                ExternalKind::Memory => ExportKind::Memory,
                ExternalKind::Global => ExportKind::Global,
                ExternalKind::Tag => ExportKind::Tag,
            };
            section.export(name, kind, *index);
        }
        for index in 0..self.memories {
            section.export(&export_name(Kind::Memory, index), ExportKind::Memory, index);
        }
        for index in 0..self.globals.len() as u32 {
            section.export(&export_name(Kind::Global, index), ExportKind::Global, index);
        }
        for index in 0..self.tables {
            section.export(&export_name(Kind::Table, index), ExportKind::Table, index);
        }
        for &index in &self.funcs {
            section.export(&export_name(Kind::Func, index), ExportKind::Func, index);
        }
        section
    }
}

/// Adds the functions a constant expression references (`ref.func`).
fn referenced(expr: &wasmparser::ConstExpr<'_>, funcs: &mut Vec<u32>) -> Result<(), String> {
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        if let Operator::RefFunc { function_index } = reader.read().map_err(|e| e.to_string())? {
            funcs.push(function_index);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_and_referenceable_function_is_exported() {
        let wasm = wat::parse_str(
            r#"(module
              (import "env" "g" (global $g (mut i32)))
              (import "env" "f" (func $f))
              (memory 1)
              (global $h i64 (i64.const 0))
              (global $r (mut funcref) (ref.func $b))
              (table 2 funcref)
              (elem (i32.const 0) $a)
              (func $a) (func $b) (func $c)
              (func (export "run") (call $c))
              (start $c))"#,
        )
        .unwrap();
        let (layout, out) = Layout::expose(&wasm).unwrap();
        assert_eq!(layout.memories, 1);
        assert_eq!(layout.globals, [true, false, true]);
        assert_eq!(layout.tables, 1);
        // $a (elem), $b (global init), the `run` export: 1, 2, 4.
        assert_eq!(layout.funcs, [1, 2, 4]);
        let mut names = Vec::new();
        for payload in Parser::new(0).parse_all(&out) {
            if let Payload::ExportSection(reader) = payload.unwrap() {
                names.extend(reader.into_iter().map(|e| e.unwrap().name.to_string()));
            }
        }
        assert_eq!(names[0], "run");
        assert!(names.contains(&"rewind-snapshot:global:0".to_string()));
        assert!(names.contains(&"rewind-snapshot:func:4".to_string()));
        wasmparser::Validator::new().validate_all(&out).unwrap();
    }

    #[test]
    fn reserved_names_are_refused() {
        let wasm = wat::parse_str(r#"(module (func (export "rewind-snapshot:x")))"#).unwrap();
        assert!(Layout::expose(&wasm).unwrap_err().contains("reserves"));
    }
}
