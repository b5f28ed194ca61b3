//! Modules that record their unwinds (`rewind_transform::Options::
//! record_unwinds`, the copy `rewind advise` runs): every instrumented
//! function calls the import `rewind.unwound(id: i32)` as it saves its
//! frame, the ids naming functions in the custom section `rewind.unwound`.
//!
//! The host defines that import by itself at instantiation when the module
//! imports it and the linker does not define it: it appends the id to the
//! running call's frame. When the call suspends, the names go with the
//! [`SuspendedCall`](crate::SuspendedCall): the functions that were on the
//! stack, innermost first, one entry per saved frame
//! ([`SuspendedCall::unwound`](crate::SuspendedCall::unwound)).

use std::borrow::Cow;

use wasmi::Caller;

use crate::abi;
use crate::data::HostData;
use crate::fuel_imports::MaybeCopied;
use crate::module::Module;

/// `linker`, plus the recording import when `module` imports it and
/// `linker` does not define it.
pub(crate) fn complete<'l, T: 'static>(
    linker: MaybeCopied<'l, HostData<T>>,
    module: &Module,
) -> MaybeCopied<'l, HostData<T>> {
    let (m, n) = abi::UNWOUND_IMPORT;
    let imported = module
        .wasmi()
        .imports()
        .any(|import| import.module() == m && import.name() == n);
    if !imported {
        return linker;
    }
    let mut copy = linker.clone().into_owned();
    // Fails when the linker defines the name already: then its definition
    // stands.
    match copy.func_wrap(m, n, record::<T>) {
        Ok(_) => Cow::Owned(copy),
        Err(_) => linker,
    }
}

/// The import: the id goes to the running call's frame (there is none
/// while the start function runs).
fn record<T>(mut caller: Caller<'_, HostData<T>>, id: i32) {
    if let Some(frame) = caller.data_mut().driver.frame.as_mut() {
        frame.unwound.push(id);
    }
}
