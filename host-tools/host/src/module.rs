//! Loading a module and checking that it was instrumented: the five Asyncify
//! exports exist with the ABI types, and what the driver needs to know about
//! the module (pointer width, whether it has a shadow stack).

use crate::abi;
use crate::error::{Error, Result, types_to_string};
use crate::names;
use wasmi::{ExternType, ValType};

/// A compiled module that has the Asyncify ABI.
#[derive(Debug, Clone)]
pub struct Module {
    inner: wasmi::Module,
    memory64: bool,
    shadow_stack: Option<bool>,
}

impl Module {
    /// Compiles `wasm` (binary, or text when wasmi's `wat` feature is on)
    /// and checks that it exports `asyncify_start_unwind`,
    /// `asyncify_stop_unwind`, `asyncify_start_rewind`,
    /// `asyncify_stop_rewind` and `asyncify_get_state` with the ABI types.
    ///
    /// # Errors
    ///
    /// [`Error::Compile`] if wasmi rejects the module,
    /// [`Error::ModuleNotInstrumented`] if an export is missing,
    /// [`Error::AbiMismatch`] if one has the wrong type.
    pub fn new(engine: &wasmi::Engine, wasm: impl AsRef<[u8]>) -> Result<Self> {
        let inner = wasmi::Module::new(engine, wasm).map_err(Error::Compile)?;
        Self::from_wasmi(inner)
    }

    /// Checks an already compiled wasmi module; see [`Module::new`].
    ///
    /// # Errors
    ///
    /// As [`Module::new`], except compilation.
    pub fn from_wasmi(inner: wasmi::Module) -> Result<Self> {
        let mut found = Vec::with_capacity(abi::REQUIRED_EXPORTS.len());
        for name in abi::REQUIRED_EXPORTS {
            match inner.get_export(name) {
                Some(ExternType::Func(ty)) => found.push((name, ty)),
                _ => return Err(Error::ModuleNotInstrumented { missing: name }),
            }
        }
        // The pointer width is whatever `asyncify_start_unwind` takes.
        let memory64 = matches!(found[0].1.params(), [ValType::I64]);
        let ptr = if memory64 { ValType::I64 } else { ValType::I32 };
        for (name, ty) in &found {
            let (params, results): (&[ValType], &[ValType]) = match *name {
                abi::START_UNWIND | abi::START_REWIND => (&[ptr], &[]),
                abi::GET_STATE => (&[], &[ValType::I32]),
                _ => (&[], &[]),
            };
            if ty.params() != params || ty.results() != results {
                return Err(Error::AbiMismatch {
                    export: name,
                    expected: signature(params, results),
                    found: signature(ty.params(), ty.results()),
                });
            }
        }
        let shadow_stack = detect_shadow_stack(&inner);
        Ok(Self {
            inner,
            memory64,
            shadow_stack,
        })
    }

    /// The wasmi module.
    pub fn wasmi(&self) -> &wasmi::Module {
        &self.inner
    }

    /// Whether the save-buffer pointers are 64-bit (memory64).
    pub fn memory64(&self) -> bool {
        self.memory64
    }

    /// Whether the module has a shadow stack: `Some(true)` if it names,
    /// imports or exports `__stack_pointer`, `Some(false)` if its name
    /// section names its globals and none is, `None` when it cannot be told.
    pub fn shadow_stack(&self) -> Option<bool> {
        self.shadow_stack
    }
}

fn signature(params: &[ValType], results: &[ValType]) -> String {
    format!(
        "{} -> {}",
        types_to_string(params.iter().copied()),
        types_to_string(results.iter().copied())
    )
}

fn detect_shadow_stack(module: &wasmi::Module) -> Option<bool> {
    let is_sp = |name: &str, ty: &ExternType| {
        name == abi::STACK_POINTER_GLOBAL && matches!(ty, ExternType::Global(_))
    };
    if module.imports().any(|i| is_sp(i.name(), i.ty()))
        || module.exports().any(|e| is_sp(e.name(), e.ty()))
    {
        return Some(true);
    }
    let names = module
        .custom_sections()
        .find(|section| section.name() == "name")
        .and_then(|section| names::global_names(section.data()))?;
    Some(names.iter().any(|n| n == abi::STACK_POINTER_GLOBAL))
}
