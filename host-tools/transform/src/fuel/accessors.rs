//! `rewind.get_fuel` and `rewind.set_fuel`: imports the pass replaces by
//! functions that read and write the counter, so a guest scheduler can give
//! its tasks budgets of their own.

use walrus::ir::{GlobalGet, GlobalSet, LocalGet};
use walrus::{FunctionId, GlobalId, Module, ValType};

use crate::abi::{GET_FUEL_IMPORT, SET_FUEL_IMPORT};
use crate::error::{Error, Result};

/// Replaces the imports `rewind.get_fuel: [] -> [i64]` and
/// `rewind.set_fuel: [i64] -> []` by functions reading and writing the
/// counter, keeping their indices. Returns their ids: they are not metered.
pub(super) fn resolve(module: &mut Module, fuel: GlobalId) -> Result<Vec<FunctionId>> {
    let mut resolved = Vec::new();
    for ((from, name), params, results) in [
        (GET_FUEL_IMPORT, &[][..], &[ValType::I64][..]),
        (SET_FUEL_IMPORT, &[ValType::I64][..], &[][..]),
    ] {
        let Some(import) = module.imports.find(from, name) else {
            continue;
        };
        let walrus::ImportKind::Function(id) = module.imports.get(import).kind else {
            return Err(Error::Extension(format!(
                "the module imports `{from}.{name}` but not as a function"
            )));
        };
        let ty = module.types.get(module.funcs.get(id).ty());
        if ty.params() != params || ty.results() != results {
            return Err(Error::Extension(format!(
                "import `{from}.{name}` has type {:?} -> {:?}, expected {params:?} -> {results:?}",
                ty.params(),
                ty.results(),
            )));
        }
        let get = params.is_empty();
        let id = module
            .replace_imported_func(id, |(body, args)| {
                if get {
                    body.instr(GlobalGet { global: fuel });
                } else {
                    body.instr(LocalGet { local: args[0] })
                        .instr(GlobalSet { global: fuel });
                }
            })
            .map_err(|e| Error::Extension(format!("cannot resolve `{name}`: {e}")))?;
        resolved.push(id);
    }
    Ok(resolved)
}
