//! Running modules metered by `rewind fuel` (`rewind_transform::meter`) in
//! slices of fuel.
//!
//! A metered module exports `__rewind_fuel`, an `i64` global holding the
//! remaining budget (or imports it as `env.__rewind_fuel` when metered with
//! `--import-fuel`: then each instance gets a global of its own, defined at
//! instantiation), and calls the import `rewind.out_of_fuel: [] -> []`
//! when the global goes negative. [`Linker::instantiate`] defines that
//! import as a yield ([`Linker::func_yield`]) by itself when the module
//! imports it and the linker does not define it already.
//!
//! [`Instance::call_with_fuel`] sets the global to the budget and runs the
//! export; it comes back [`FuelOutcome::Finished`] or
//! [`FuelOutcome::OutOfFuel`], and [`Instance::resume_with_fuel`] sets a new
//! budget and continues exactly where the guest stopped. Dropping the
//! suspended call abandons it (the instance stays usable).
//!
//! The fuel a slice consumed is its budget minus what the global holds when
//! the slice ends. A slice ends at the first check after the counter went
//! negative, so it may overdraw by the charges of the code since the last
//! check; the overdraw counts as consumed, and the next slice starts from
//! its own full budget. Each charge runs exactly once (rewinding does not
//! repeat charges), so the total consumed by a call that returns is the
//! same on every run and for every way of slicing it. A call that traps
//! loses the charges its innermost function made since its last call,
//! return or out-of-fuel stop: sliced, it is charged at least what it is
//! charged in one slice (see the metering pass's docs).
//!
//! [`Linker::instantiate`]: crate::Linker::instantiate
//! [`Linker::func_yield`]: crate::Linker::func_yield

use crate::call::{CallOutcome, SuspendedCall};
use crate::error::{Error, Result};
use crate::instance::Instance;
use wasmi::{Global, Store, Val, ValType};

/// Name of the exported fuel global of a metered module.
pub const FUEL_GLOBAL: &str = "__rewind_fuel";
/// Module of the fuel global when it is imported (`rewind fuel --import-fuel`).
pub const FUEL_GLOBAL_IMPORT_MODULE: &str = "env";
/// Module and name of the import a metered module calls when out of fuel.
pub const OUT_OF_FUEL_IMPORT: (&str, &str) = ("rewind", "out_of_fuel");

/// What a slice of a metered call came to.
#[derive(Debug)]
pub enum FuelOutcome {
    /// The export returned these values.
    Finished(Vec<Val>),
    /// The budget ran out. Resume with [`Instance::resume_with_fuel`], or
    /// drop the call to stop it.
    OutOfFuel(SuspendedCall),
    /// The guest suspended for another reason: a host future or another
    /// yielding import. Resume it with [`Instance::continue_with_fuel`]
    /// (the slice goes on with the fuel it has left) or
    /// [`Instance::resume_with_fuel`] (a new budget).
    Suspended(SuspendedCall),
}

impl FuelOutcome {
    /// Whether the call finished.
    pub fn is_finished(&self) -> bool {
        matches!(self, FuelOutcome::Finished(_))
    }

    /// The results, if the call finished.
    pub fn into_finished(self) -> Option<Vec<Val>> {
        match self {
            FuelOutcome::Finished(values) => Some(values),
            _ => None,
        }
    }
}

/// Fuel accounting of one instance.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FuelMeter {
    /// The counter: the imported global defined for this instance, or the
    /// exported one; `None` when the module is not metered.
    pub global: Option<Global>,
    /// Total fuel consumed by every slice so far.
    pub total: u64,
    /// Fuel consumed by the last slice.
    pub last: u64,
}

impl FuelMeter {
    /// The meter of a new instance; `imported` is the global the module
    /// imports, if it imports it (see `fuel_imports`).
    pub fn new<D>(store: &Store<D>, instance: &wasmi::Instance, imported: Option<Global>) -> Self {
        let exported = || {
            instance
                .get_global(store, FUEL_GLOBAL)
                .filter(|g| g.ty(store).content() == ValType::I64)
        };
        FuelMeter {
            global: imported.or_else(exported),
            ..FuelMeter::default()
        }
    }
}

impl<T: 'static> Instance<T> {
    /// Calls `export` of a metered module with `budget` units of fuel.
    ///
    /// Budgets above `i64::MAX` are treated as `i64::MAX`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBudget`] for a zero budget, [`Error::NotMetered`]
    /// when the module does not export the fuel global, and everything
    /// [`Instance::call_resumable`] returns.
    pub fn call_with_fuel(
        &mut self,
        export: &str,
        args: &[Val],
        budget: u64,
    ) -> Result<FuelOutcome> {
        let (global, budget) = self.prepare_slice(budget)?;
        let outcome = self.call_resumable(export, args);
        self.finish_slice(global, budget, outcome)
    }

    /// Resumes `call` with a new budget of `budget` units of fuel.
    ///
    /// # Errors
    ///
    /// As [`Instance::call_with_fuel`] and [`Instance::resume`].
    pub fn resume_with_fuel(&mut self, call: SuspendedCall, budget: u64) -> Result<FuelOutcome> {
        let (global, budget) = self.prepare_slice(budget)?;
        self.check_resume(&call)?;
        let outcome = self.resume(call);
        self.finish_slice(global, budget, outcome)
    }

    /// Resumes a call that suspended for another reason than fuel
    /// ([`FuelOutcome::Suspended`]) within the current slice: the fuel
    /// left is not changed.
    ///
    /// # Errors
    ///
    /// As [`Instance::resume_with_fuel`], except that there is no budget.
    pub fn continue_with_fuel(&mut self, call: SuspendedCall) -> Result<FuelOutcome> {
        self.check_usable()?;
        let global = self.fuel.global.ok_or(Error::NotMetered)?;
        let start = global.get(&self.store).i64().ok_or(Error::NotMetered)?;
        self.check_resume(&call)?;
        let last = self.fuel.last;
        let outcome = self.resume(call);
        let outcome = self.finish_slice(global, start, outcome);
        self.fuel.last = self.fuel.last.saturating_add(last);
        outcome
    }

    /// Total fuel consumed by every slice run with
    /// [`Instance::call_with_fuel`] and [`Instance::resume_with_fuel`] on
    /// this instance.
    pub fn fuel_consumed(&self) -> u64 {
        self.fuel.total
    }

    /// Fuel consumed by the last slice (including its parts resumed with
    /// [`Instance::continue_with_fuel`]).
    pub fn last_slice_fuel(&self) -> u64 {
        self.fuel.last
    }

    /// Fuel left in the counter (negative when the last slice overdrew),
    /// or `None` if the module is not metered.
    pub fn fuel_remaining(&self) -> Option<i64> {
        self.fuel.global?.get(&self.store).i64()
    }

    fn prepare_slice(&mut self, budget: u64) -> Result<(Global, i64)> {
        if budget == 0 {
            return Err(Error::InvalidBudget(
                "a budget of 0 fuel cannot run anything".to_string(),
            ));
        }
        self.check_usable()?;
        let global = self.fuel.global.ok_or(Error::NotMetered)?;
        let budget = i64::try_from(budget).unwrap_or(i64::MAX);
        global
            .set(&mut self.store, Val::I64(budget))
            .map_err(|_| Error::NotMetered)?;
        Ok((global, budget))
    }

    fn finish_slice(
        &mut self,
        global: Global,
        budget: i64,
        outcome: Result<CallOutcome>,
    ) -> Result<FuelOutcome> {
        let left = global.get(&self.store).i64().unwrap_or(budget);
        // Charges only subtract, so `left <= budget`.
        let consumed = budget.abs_diff(left);
        self.fuel.last = consumed;
        self.fuel.total = self.fuel.total.saturating_add(consumed);
        Ok(match outcome? {
            CallOutcome::Finished(values) => FuelOutcome::Finished(values),
            CallOutcome::Yielded(call) if call.import() == out_of_fuel_name() => {
                FuelOutcome::OutOfFuel(call)
            }
            CallOutcome::Yielded(call) | CallOutcome::Suspended(call) => {
                FuelOutcome::Suspended(call)
            }
        })
    }
}

fn out_of_fuel_name() -> String {
    let (module, name) = OUT_OF_FUEL_IMPORT;
    format!("{module}.{name}")
}
