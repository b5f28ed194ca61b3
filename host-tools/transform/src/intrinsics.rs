//! Recognises the imports the module resolves internally: Binaryen's
//! `asyncify.*` runtime functions and Rewind's `rewind.*` extensions.

use std::collections::HashMap;

use walrus::{FunctionId, FunctionKind, Module, ValType};

use crate::abi;
use crate::error::{Error, Result};

/// An import that the transform replaces by generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Intrinsic {
    StartUnwind,
    StopUnwind,
    StartRewind,
    StopRewind,
    GetState,
    GetStackPointer,
    SetStackPointer,
}

impl Intrinsic {
    fn from_import(module: &str, name: &str) -> Option<Self> {
        Some(match (module, name) {
            (abi::INTRINSIC_MODULE, "start_unwind") => Intrinsic::StartUnwind,
            (abi::INTRINSIC_MODULE, "stop_unwind") => Intrinsic::StopUnwind,
            (abi::INTRINSIC_MODULE, "start_rewind") => Intrinsic::StartRewind,
            (abi::INTRINSIC_MODULE, "stop_rewind") => Intrinsic::StopRewind,
            (abi::INTRINSIC_MODULE, "get_state") => Intrinsic::GetState,
            (abi::EXTENSION_MODULE, abi::GET_STACK_POINTER) => Intrinsic::GetStackPointer,
            (abi::EXTENSION_MODULE, abi::SET_STACK_POINTER) => Intrinsic::SetStackPointer,
            _ => return None,
        })
    }

    /// The signature the import must have, given the pointer type.
    pub fn signature(self, ptr: ValType) -> (Vec<ValType>, Vec<ValType>) {
        match self {
            Intrinsic::StartUnwind | Intrinsic::StartRewind | Intrinsic::SetStackPointer => {
                (vec![ptr], vec![])
            }
            Intrinsic::StopUnwind | Intrinsic::StopRewind => (vec![], vec![]),
            Intrinsic::GetState => (vec![], vec![ValType::I32]),
            Intrinsic::GetStackPointer => (vec![], vec![ptr]),
        }
    }

    /// A call to it makes the caller the top-most runtime: the caller's
    /// callers see the state change, the caller itself is not instrumented.
    pub fn starts_state_change(self) -> bool {
        matches!(self, Intrinsic::StartUnwind | Intrinsic::StopRewind)
    }

    /// A call to it makes the caller the bottom-most runtime: it drives the
    /// unwinding stack and is neither instrumented nor propagated through.
    pub fn drives_state_change(self) -> bool {
        matches!(self, Intrinsic::StopUnwind | Intrinsic::StartRewind)
    }
}

/// What the import `module.name` is to the transform: `None` for an
/// ordinary import; for an intrinsic, whether it changes the unwind state
/// (its callers are runtime functions, which are never instrumented).
pub(crate) fn classify(module: &str, name: &str) -> Option<bool> {
    Intrinsic::from_import(module, name).map(|i| i.starts_state_change() || i.drives_state_change())
}

/// Finds the intrinsic imports and checks their signatures. `ptr` is the
/// pointer type of the save-stack memory (`i32`, or `i64` for memory64);
/// the stack-pointer extension uses the type of the stack-pointer global,
/// given separately.
pub(crate) fn find(
    module: &Module,
    ptr: ValType,
    stack_pointer: Option<(ValType, bool)>,
) -> Result<HashMap<FunctionId, Intrinsic>> {
    let mut found = HashMap::new();
    for func in module.funcs.iter() {
        let FunctionKind::Import(import) = &func.kind else {
            continue;
        };
        let imp = module.imports.get(import.import);
        let Some(intrinsic) = Intrinsic::from_import(&imp.module, &imp.name) else {
            continue;
        };
        let ptr_ty = match intrinsic {
            Intrinsic::SetStackPointer if stack_pointer.is_some_and(|(_, mutable)| !mutable) => {
                return Err(Error::Extension(format!(
                    "the module imports `{}.{}` but its `{}` global is immutable",
                    imp.module,
                    imp.name,
                    abi::STACK_POINTER_GLOBAL
                )));
            }
            Intrinsic::GetStackPointer | Intrinsic::SetStackPointer => stack_pointer.map(|(ty, _)| ty).ok_or_else(|| {
                Error::Extension(format!(
                    "the module imports `{}.{}` but has no `{}` global; name it with --stack-pointer-global INDEX",
                    imp.module,
                    imp.name,
                    abi::STACK_POINTER_GLOBAL
                ))
            })?,
            _ => ptr,
        };
        let (params, results) = intrinsic.signature(ptr_ty);
        let ty = module.types.get(import.ty);
        if ty.params() != params.as_slice() || ty.results() != results.as_slice() {
            return Err(Error::Extension(format!(
                "import `{}.{}` has type {:?} -> {:?}, expected {:?} -> {:?}",
                imp.module,
                imp.name,
                ty.params(),
                ty.results(),
                params,
                results
            )));
        }
        found.insert(func.id(), intrinsic);
    }
    Ok(found)
}
