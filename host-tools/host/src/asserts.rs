//! Modules built with `--asserts` (`rewind asyncify --asserts`): a function
//! left uninstrumented that finds a suspension passing through it stores
//! its id and its callee's in the exported globals
//! `__rewind_missing_function` and `__rewind_missing_callee`, then traps.
//! After a trap the driver reads them, names both from the module's
//! `rewind.asserts` section and reports [`Error::NotInstrumented`]
//! instead of an anonymous trap; it sets them back to `-1` so that the
//! instance stays usable.
//!
//! [`Error::NotInstrumented`]: crate::Error::NotInstrumented

use std::fmt;

use wasmi::{Global, Store, Val};

use crate::abi;
use crate::name_table::NameTable;

/// What the uninstrumented function had done when its check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Called {
    /// It had called this function, or this import (`module.name`), and
    /// the call came back unwinding (or still rewinding).
    Function(String),
    /// It had made an indirect call, which came back unwinding.
    Indirect,
    /// The check on entry: a rewind replayed a call into it.
    RewoundInto,
}

impl fmt::Display for Called {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Called::Function(name) => write!(f, "after its call of `{name}`"),
            Called::Indirect => f.write_str("after an indirect call"),
            Called::RewoundInto => f.write_str("on entry, as a rewind replayed a call into it"),
        }
    }
}

/// The list option that adds a missing function under the options the
/// module was built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionList {
    /// `--add-list` (Binaryen's `asyncify-addlist`).
    AddList,
    /// `--only-list` (Binaryen's `asyncify-onlylist`): the module was built
    /// from a list of every instrumented function.
    OnlyList,
}

impl FunctionList {
    /// The option as `rewind asyncify` spells it.
    pub fn flag(self) -> &'static str {
        match self {
            FunctionList::AddList => "--add-list",
            FunctionList::OnlyList => "--only-list",
        }
    }
}

/// A failed check: the function, what it had done, and the list to add it
/// to.
#[derive(Debug)]
pub(crate) struct Missing {
    pub function: String,
    pub called: Called,
    pub list: FunctionList,
}

/// The `--asserts` globals of one instance and the names of its ids.
#[derive(Debug)]
pub(crate) struct Asserts {
    function: Global,
    callee: Global,
    names: NameTable,
    list: FunctionList,
}

impl Asserts {
    /// The checks' globals of `instance`, if its module was built with
    /// `--asserts`.
    pub fn new<T>(
        store: &Store<T>,
        instance: &wasmi::Instance,
        module: &wasmi::Module,
    ) -> Option<Self> {
        let function = instance.get_global(store, abi::MISSING_FUNCTION_GLOBAL)?;
        let callee = instance.get_global(store, abi::MISSING_CALLEE_GLOBAL)?;
        let names = NameTable::read(module, abi::ASSERTS_SECTION, abi::ASSERTS_SECTION_HEADER, 1)
            .unwrap_or_default();
        let list = match names.extra().first().map(String::as_str) {
            Some("lists only-list") => FunctionList::OnlyList,
            _ => FunctionList::AddList,
        };
        Some(Self {
            function,
            callee,
            names,
            list,
        })
    }

    /// After a trap: the check that failed, if one did. The globals go
    /// back to `-1`.
    pub fn failed<T>(&self, store: &mut Store<T>) -> Option<Missing> {
        let function = self.function.get(&*store).i32().filter(|id| *id >= 0)?;
        let callee = self.callee.get(&*store).i32().unwrap_or(-1);
        // Both globals are mutable by construction; if they were not, the
        // next trap would be reported again, which is all that is lost.
        let _ = self.function.set(&mut *store, Val::I32(-1));
        let _ = self.callee.set(&mut *store, Val::I32(-1));
        let called = match callee {
            abi::MISSING_CALLEE_INDIRECT => Called::Indirect,
            abi::MISSING_CALLEE_REWOUND_INTO => Called::RewoundInto,
            id => Called::Function(self.names.name(id)),
        };
        Some(Missing {
            function: self.names.name(function),
            called,
            list: self.list,
        })
    }
}
