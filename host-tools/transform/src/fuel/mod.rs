//! Deterministic fuel metering whose exhaustion suspends instead of trapping.
//!
//! The pass adds an `i64` global, `__rewind_fuel`, holding the remaining
//! budget (exported, or imported from `env` with `import_fuel`). Every
//! straight-line run of instructions is charged its static cost when it
//! starts (a run ends at a nested block, loop or `if` and at every branch).
//! Function entries and loop headers check the counter, merged with the
//! charge of the run that follows:
//!
//! ```text
//! if (counter -= cost) < 0 { call $out_of_fuel }
//! ```
//!
//! Only loops and calls can make code run unboundedly, so checks go at the
//! head of every loop body and at the entry of every function that can be
//! part of a call cycle: functions in a cycle of direct calls, functions
//! that call indirectly (any cycle through an indirect call passes through
//! its caller), and functions that call imports (the host may call back;
//! the imports the transform resolves itself do not count). Leaf code is
//! only charged.
//!
//! Runtime functions (callers of the `asyncify.*` intrinsics that change
//! the unwind state, like a guest's stack-switching code) are not metered
//! at all, like imports: they are never instrumented, so a check in one
//! could not suspend, and the top-most one runs again on every rewind, so
//! charging it would make the fuel a run consumes depend on how often it
//! was suspended.
//!
//! # The counter in a local
//!
//! Inside a function the counter lives in a local (an interpreter runs a
//! charge as one instruction and a check as one branch, where going through
//! the global costs three): it is loaded from the global on entry, stored
//! back before every call and `return` and at the end, and reloaded after
//! every call, so callees, the host and the out-of-fuel handler always see
//! the global up to date. Between two calls of one run nothing charges, so
//! the reload after the first and the store before the second are left out;
//! a way out of the body that charged nothing since its last call needs
//! neither the reload nor the store at the end ([`exit_store`]).
//!
//! A trap therefore loses the charges the trapping function made since its
//! last call, return or out-of-fuel stop. Slicing only adds stops, so a
//! call that traps is charged at least what it is charged in one slice and
//! at most the charges it executed; with the same slicing the count is the
//! same on every run and engine. (Storing the counter at every check would
//! make traps exact too, at the price of a guarded global write per loop
//! iteration.)
//!
//! # Small loops
//!
//! After metering, small call-free innermost loops are laid out up to
//! [`FuelOptions::unroll`] times (default [`DEFAULT_UNROLL`]) so that one
//! check covers several iterations ([`unroll`]). Charges stay
//! exactly the same (the global holds the same value at every call, return
//! and out-of-fuel stop), and a check fires exactly when the original
//! would; only a budget that runs out inside the later copies is noticed at
//! the next check.
//!
//! # Suspending
//!
//! `$out_of_fuel` is the import `rewind.out_of_fuel` (added when missing),
//! or a guest function given by name. The asyncify pass that runs next
//! treats it as a suspending call, so running out of fuel unwinds to the
//! host (or to the guest scheduler that owns the handler), which can add
//! fuel and rewind: execution continues exactly where it stopped. Charges
//! are never repeated on rewind, so the fuel consumed by a call that
//! returns is the same on every engine and for every way of slicing it.
//!
//! The asyncify pass is told where the checks are (`hints.rs`): it leaves a
//! check's condition unguarded and saves the counter with the frame, so in
//! normal state a check costs its charge and one branch (`flow.rs` explains
//! why that is safe during a rewind), and it lets the counter load run
//! before the frame is restored. While a rewind runs the runtime parks the
//! counter at a large negative value, so that the entry check of a function
//! no host can call is also its rewind test (the asyncify stage's
//! `parked_fuel.rs`); `rewind.get_fuel` and `rewind.set_fuel` see through
//! the parking.
//!
//! An exception that crosses a function skips the reload after its call:
//! the counter is reloaded wherever an exception lands instead
//! (`exceptions.rs`), and `throw` stores it first, so charges stay exact
//! (and a guest cannot reset its budget by throwing).
//!
//! # Reading and setting the counter from the guest
//!
//! The imports `rewind.get_fuel: [] -> [i64]` and `rewind.set_fuel: [i64]
//! -> []`, when the module has them, are replaced by functions reading and
//! writing the counter (same indices; not metered). A guest scheduler uses
//! them to give its tasks budgets of their own.
//!
//! # Cost table
//!
//! | name | default | instructions |
//! | --- | --- | --- |
//! | `default` | 1 | everything not below |
//! | `local` | 0 | `local.get`, `local.set`, `local.tee` |
//! | `const` | 0 | `*.const` |
//! | `call` | 5 | `call`, `call_indirect`, `call_ref` |
//! | `load` | 1 | memory loads |
//! | `store` | 1 | memory stores |
//! | `memory_grow` | 100 | `memory.grow` |
//! | `bulk` | 10 | `memory.copy`, `memory.fill`, `memory.init`, `table.copy`, `table.init`, `table.fill` |
//!
//! A cost file overrides entries, one `NAME COST` per line (`#` starts a
//! comment).

mod accessors;
mod costs;
mod exceptions;
pub mod exit_store;
mod handler;
mod meter;
mod options;
mod plan;
pub mod unroll;

use walrus::ir::{InstrSeqType, Value};
use walrus::{ConstExpr, FunctionId, FunctionKind, Module, ValType};

use crate::error::{Error, Result};
use crate::hints::Hints;

pub use crate::abi::{FUEL_GLOBAL, GET_FUEL_IMPORT, OUT_OF_FUEL_IMPORT, SET_FUEL_IMPORT};
pub use crate::report::FuelReport;
pub use costs::Costs;
pub use options::{DEFAULT_UNROLL, FuelOptions};

use meter::{Counter, Meter};

/// What metering a module produced.
pub(crate) struct Metered {
    /// The checks call the `rewind.out_of_fuel` import (not a guest
    /// function), which must then count as a suspending import.
    pub handler_is_import: bool,
    pub report: FuelReport,
    pub hints: Hints,
}

/// Meters every defined function of `module`.
pub(crate) fn meter(module: &mut Module, options: &FuelOptions) -> Result<Metered> {
    if module
        .globals
        .iter()
        .any(|g| g.name.as_deref() == Some(FUEL_GLOBAL))
        || module.exports.iter().any(|e| e.name == FUEL_GLOBAL)
    {
        return Err(Error::AlreadyInstrumented(FUEL_GLOBAL.into()));
    }
    let (handler, handler_is_import) = handler::find(module, options)?;
    let fuel = if options.import_fuel {
        module
            .add_import_global("env", FUEL_GLOBAL, ValType::I64, true, false)
            .0
    } else {
        let g =
            module
                .globals
                .add_local(ValType::I64, true, false, ConstExpr::Value(Value::I64(0)));
        module.exports.add(FUEL_GLOBAL, g);
        g
    };
    module.globals.get_mut(fuel).name = Some(FUEL_GLOBAL.into());

    let accessors = accessors::resolve(module, fuel)?;

    let plan = plan::CheckPlan::new(module, handler);
    let mut report = FuelReport::default();
    let mut hints = Hints {
        fuel: Some(fuel),
        fuel_accessors: accessors.clone(),
        ..Hints::default()
    };
    let ids: Vec<FunctionId> = module
        .funcs
        .iter()
        .filter(|f| {
            matches!(f.kind, FunctionKind::Local(_))
                && f.id() != handler
                && !accessors.contains(&f.id())
                && !plan.runtime.contains(&f.id())
        })
        .map(|f| f.id())
        .collect();
    let m = Meter {
        costs: &options.costs,
        fuel,
        handler,
        unroll: options.unroll,
    };
    for id in ids {
        let ty = module.types.get(module.funcs.get(id).ty());
        let results = ty.results().to_vec();
        let body_ty = InstrSeqType::new(&mut module.types, &[], &results);
        let walrus::Module {
            funcs,
            types,
            locals,
            ..
        } = &mut *module;
        let FunctionKind::Local(func) = &mut funcs.get_mut(id).kind else {
            continue;
        };
        let mut counter = Counter {
            local: locals.add(ValType::I64),
            checks: &mut hints.checks,
            report: &mut report,
        };
        let prologue = m.function(
            func,
            types,
            body_ty,
            plan.entries.contains(&id),
            &mut counter,
        );
        hints.prologue.insert(id, prologue);
        report.functions_metered += 1;
    }
    Ok(Metered {
        handler_is_import,
        report,
        hints,
    })
}
