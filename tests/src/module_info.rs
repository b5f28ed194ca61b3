//! What the harness needs to know about a module before running it, read
//! with `wasmparser` so that every engine adapter (and the node engine,
//! which cannot tell an `i32` from an `f32` at the JS boundary) works from
//! the same description: imports and exports with their types, and the
//! memory the save region goes into.

use anyhow::{Context, Result};
use wasmparser::{
    FuncType, GlobalType, MemoryType, Payload, TableType, ValType, Validator, WasmFeatures,
};

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl Signature {
    fn of(ty: &FuncType) -> Self {
        Self {
            params: ty.params().to_vec(),
            results: ty.results().to_vec(),
        }
    }
}

/// What an import or export is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entity {
    /// A function.
    Func(Signature),
    /// A global.
    Global(GlobalType),
    /// A memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// An exception tag with the parameters of its exception.
    Tag(Signature),
}

/// One import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
    /// What is imported.
    pub entity: Entity,
}

impl Import {
    /// `module.name`.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// The imports and exports of a module, in module order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// Imports.
    pub imports: Vec<Import>,
    /// Exports, by name.
    pub exports: Vec<(String, Entity)>,
}

impl ModuleInfo {
    /// Reads (and validates, with every feature) `wasm`.
    pub fn read(wasm: &[u8]) -> Result<Self> {
        let types = Validator::new_with_features(WasmFeatures::all())
            .validate_all(wasm)
            .context("the module does not validate")?;
        let entity = |ty: wasmparser::types::EntityType| match ty {
            wasmparser::types::EntityType::Func(id)
            | wasmparser::types::EntityType::FuncExact(id) => {
                Entity::Func(Signature::of(types[id].unwrap_func()))
            }
            wasmparser::types::EntityType::Tag(id) => {
                Entity::Tag(Signature::of(types[id].unwrap_func()))
            }
            wasmparser::types::EntityType::Global(g) => Entity::Global(g),
            wasmparser::types::EntityType::Memory(m) => Entity::Memory(m),
            wasmparser::types::EntityType::Table(t) => Entity::Table(t),
        };
        let mut info = ModuleInfo {
            imports: Vec::new(),
            exports: Vec::new(),
        };
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import?;
                        let ty = types
                            .as_ref()
                            .entity_type_from_import(&import)
                            .context("an import without a type")?;
                        info.imports.push(Import {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                            entity: entity(ty),
                        });
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export?;
                        let ty = types
                            .as_ref()
                            .entity_type_from_export(&export)
                            .context("an export without a type")?;
                        info.exports.push((export.name.to_string(), entity(ty)));
                    }
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// The function imports, in module order (engines may list imports
    /// grouped by kind, but keep this order within a kind).
    pub fn func_imports(&self) -> impl Iterator<Item = &Import> {
        self.imports
            .iter()
            .filter(|i| matches!(i.entity, Entity::Func(_)))
    }

    /// The signature of exported function `name`.
    pub fn export_func(&self, name: &str) -> Option<&Signature> {
        self.exports.iter().find_map(|(n, e)| match e {
            Entity::Func(sig) if n == name => Some(sig),
            _ => None,
        })
    }

    /// The exported functions, in export order.
    pub fn export_funcs(&self) -> impl Iterator<Item = (&str, &Signature)> {
        self.exports.iter().filter_map(|(n, e)| match e {
            Entity::Func(sig) => Some((n.as_str(), sig)),
            _ => None,
        })
    }

    /// The exported globals, in export order.
    pub fn export_globals(&self) -> impl Iterator<Item = (&str, &GlobalType)> {
        self.exports.iter().filter_map(|(n, e)| match e {
            Entity::Global(g) => Some((n.as_str(), g)),
            _ => None,
        })
    }

    /// The memory that holds the save region: the one exported as
    /// `preferred`, else the first exported memory.
    pub fn save_memory(&self, preferred: &str) -> Option<(&str, &MemoryType)> {
        let memories = || {
            self.exports.iter().filter_map(|(n, e)| match e {
                Entity::Memory(m) => Some((n.as_str(), m)),
                _ => None,
            })
        };
        memories()
            .find(|(n, _)| *n == preferred)
            .or_else(|| memories().next())
    }
}
