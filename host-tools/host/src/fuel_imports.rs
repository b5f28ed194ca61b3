//! The imports of a metered module that the host provides by itself at
//! instantiation, when the linker does not define them (see [`crate::fuel`]):
//!
//! * `rewind.out_of_fuel: [] -> []`, defined as a yield, so that running
//!   out of fuel suspends the call;
//! * the fuel global `env.__rewind_fuel` of a module metered with
//!   `rewind fuel --import-fuel`: a fresh mutable `i64` global for each
//!   instance.

use crate::data::HostData;
use crate::error::{Error, Result};
use crate::fuel::{FUEL_GLOBAL, FUEL_GLOBAL_IMPORT_MODULE, OUT_OF_FUEL_IMPORT};
use crate::imports::Linker;
use crate::module::Module;
use std::borrow::Cow;
use wasmi::{ExternType, FuncType, Global, Mutability, Store, Val};

/// A wasmi linker: the caller's, or a copy with definitions added.
pub(crate) type MaybeCopied<'l, D> = Cow<'l, wasmi::Linker<D>>;

/// The wasmi linker to instantiate `module` with: `linker`, plus the fuel
/// imports `module` needs and `linker` lacks; and the fuel global defined
/// for this instance, or the one `linker` defines, when `module` imports
/// it.
pub(crate) fn complete<'l, T: 'static>(
    linker: &'l Linker<T>,
    store: &mut Store<HostData<T>>,
    module: &Module,
) -> Result<(MaybeCopied<'l, HostData<T>>, Option<Global>)> {
    let linker = match with_out_of_fuel_yield(linker, module) {
        Some(copy) => Cow::Owned(copy.into_wasmi()),
        None => Cow::Borrowed(linker.wasmi()),
    };
    with_fuel_global(linker, store, module)
}

/// When `module` imports `rewind.out_of_fuel` and `linker` does not define
/// it, a copy of `linker` that defines it as a yield.
fn with_out_of_fuel_yield<T: 'static>(linker: &Linker<T>, module: &Module) -> Option<Linker<T>> {
    let (m, n) = OUT_OF_FUEL_IMPORT;
    let imported = module
        .wasmi()
        .imports()
        .any(|import| import.module() == m && import.name() == n);
    if !imported || linker.is_suspending(m, n) {
        return None;
    }
    let mut copy = linker.duplicate();
    // Fails when the name is defined already (as an ordinary import): then
    // the caller's definition stands.
    copy.func_yield(m, n, FuncType::new([], [])).ok()?;
    Some(copy)
}

/// When `module` imports the fuel global, `linker` with it defined as a
/// fresh mutable `i64` global of `store` (unless the linker already defines
/// it), and that global.
fn with_fuel_global<'l, D>(
    linker: MaybeCopied<'l, D>,
    store: &mut Store<D>,
    module: &Module,
) -> Result<(MaybeCopied<'l, D>, Option<Global>)> {
    let imported = module.wasmi().imports().any(|import| {
        import.module() == FUEL_GLOBAL_IMPORT_MODULE
            && import.name() == FUEL_GLOBAL
            && matches!(import.ty(), ExternType::Global(_))
    });
    if !imported {
        return Ok((linker, None));
    }
    if let Some(defined) = linker.get(&*store, FUEL_GLOBAL_IMPORT_MODULE, FUEL_GLOBAL) {
        let global = defined.into_global();
        return Ok((linker, global));
    }
    let global = Global::new(&mut *store, Val::I64(0), Mutability::Var);
    let mut linker = linker.into_owned();
    linker
        .define(FUEL_GLOBAL_IMPORT_MODULE, FUEL_GLOBAL, global)
        .map_err(|e| Error::Define {
            import: format!("{FUEL_GLOBAL_IMPORT_MODULE}.{FUEL_GLOBAL}"),
            source: Box::new(e),
        })?;
    Ok((Cow::Owned(linker), Some(global)))
}
