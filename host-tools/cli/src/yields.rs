//! `rewind run` and `rewind.yield_to_host`, the import rewind-guest's
//! `yield_to_host()` calls: a frame loop's way of handing control to its
//! host once per frame.
//!
//! In an instrumented module every call really suspends: the import is a
//! yield of rewind-host (`Linker::func_yield`), the guest's stack unwinds
//! to `rewind run`, which counts the yield (`yields: N` on stderr) and
//! resumes the call at once, or stops it after `--max-yields K`. A module
//! that is not instrumented cannot suspend; it still runs, and only a call
//! of the import traps, saying how to instrument the module.

use anyhow::{Result, bail};
use rewind_host::wasmi::{self, Caller, ExternType, FuncType};
use rewind_transform::abi::YIELD_TO_HOST_IMPORT;

/// The import as `rewind run` names it in messages.
pub const NAME: &str = "rewind.yield_to_host";

/// Whether `module` imports `rewind.yield_to_host`; an error if it does
/// with a type other than `() -> ()`.
pub fn imported(module: &wasmi::Module) -> Result<bool> {
    let (module_name, field) = YIELD_TO_HOST_IMPORT;
    let Some(import) = module
        .imports()
        .find(|i| i.module() == module_name && i.name() == field)
    else {
        return Ok(false);
    };
    match import.ty() {
        ExternType::Func(ty) if ty.params().is_empty() && ty.results().is_empty() => Ok(true),
        other => bail!(
            "the module imports `{NAME}` as {other:?}; rewind-guest's is a function of no parameters and no results"
        ),
    }
}

/// Defines the import as a yield for an instrumented module.
pub fn define_yield<T: 'static>(linker: &mut rewind_host::Linker<T>) -> rewind_host::Result<()> {
    let (module, field) = YIELD_TO_HOST_IMPORT;
    linker.func_yield(module, field, FuncType::new([], []))?;
    Ok(())
}

/// Defines the import for a module that is not instrumented: calling it
/// traps with what to do instead.
pub fn define_trap<T: 'static>(linker: &mut wasmi::Linker<T>) -> Result<()> {
    let (module, field) = YIELD_TO_HOST_IMPORT;
    linker.func_wrap(
        module,
        field,
        |_: Caller<'_, T>| -> Result<(), wasmi::Error> {
            Err(wasmi::Error::new(format!(
                "`{NAME}` was called, but the module is not instrumented, so it cannot suspend: \
             run `rewind asyncify MODULE -o OUT --imports {NAME}` first"
            )))
        },
    )?;
    Ok(())
}

/// Counts the yields of one call and says when `--max-yields` stops it.
#[derive(Debug)]
pub struct Counter {
    count: u64,
    max: Option<u64>,
}

impl Counter {
    pub fn new(max: Option<u64>) -> Self {
        Self { count: 0, max }
    }

    /// The counter of a call resumed from a checkpoint: on from `count`,
    /// without a maximum.
    pub fn resumed(count: u64) -> Self {
        Self { count, max: None }
    }

    /// Counts one yield; whether the call may go on.
    pub fn resume(&mut self) -> bool {
        self.count += 1;
        self.max.is_none_or(|max| self.count < max)
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_stops_at_the_maximum() {
        let mut counter = Counter::new(Some(2));
        assert!(counter.resume());
        assert!(!counter.resume());
        assert_eq!(counter.count(), 2);
        let mut endless = Counter::new(None);
        assert!((0..1000).all(|_| endless.resume()));
    }
}
