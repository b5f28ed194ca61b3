//! The function fuel checks call when the budget runs out: a guest function
//! named by the options, or the `rewind.out_of_fuel` import (added when the
//! module lacks it).

use walrus::{ExportItem, FunctionId, Module};

use crate::abi::OUT_OF_FUEL_IMPORT;
use crate::error::{Error, Result};
use crate::ir::function_name;

use super::FuelOptions;

/// Finds (or adds) the out-of-fuel handler; the flag says whether it is
/// the default import.
pub(super) fn find(module: &mut Module, options: &FuelOptions) -> Result<(FunctionId, bool)> {
    let (found, is_import) = match &options.handler {
        Some(name) => {
            let by_export = module.exports.iter().find_map(|e| match e.item {
                ExportItem::Function(f) if &e.name == name => Some(f),
                _ => None,
            });
            let by_name = || {
                module
                    .funcs
                    .iter()
                    .find(|f| f.name.as_deref() == Some(name.as_str()))
                    .map(|f| f.id())
            };
            let id = by_export.or_else(by_name).ok_or_else(|| {
                Error::Options(format!("--fuel-handler `{name}` names no function"))
            })?;
            (Some(id), false)
        }
        None => {
            let (m, n) = OUT_OF_FUEL_IMPORT;
            (
                module
                    .imports
                    .find(m, n)
                    .and_then(|i| match module.imports.get(i).kind {
                        walrus::ImportKind::Function(f) => Some(f),
                        _ => None,
                    }),
                true,
            )
        }
    };
    match found {
        Some(id) => {
            let ty = module.types.get(module.funcs.get(id).ty());
            if !ty.params().is_empty() || !ty.results().is_empty() {
                return Err(Error::Options(format!(
                    "the out-of-fuel handler `{}` must have type [] -> []",
                    function_name(module, id)
                )));
            }
            Ok((id, is_import))
        }
        None => {
            let (m, n) = OUT_OF_FUEL_IMPORT;
            let ty = module.types.add(&[], &[]);
            Ok((module.add_import_func(m, n, ty).0, true))
        }
    }
}
