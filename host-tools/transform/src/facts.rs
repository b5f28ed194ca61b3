//! Facts about the input module that the transform needs before changing
//! anything: the memory that holds the save stack, the shadow-stack
//! pointer, and whether the module is instrumented already.

use walrus::{ExportItem, GlobalId, MemoryId, Module};

use crate::abi;
use crate::error::{Error, Result};
use crate::options::Options;

/// The memory that holds the save stack, and whether it is 64-bit.
pub(crate) fn save_memory(module: &Module, options: &Options) -> Result<(MemoryId, bool)> {
    let memory = match &options.memory {
        None => module.memories.iter().next().ok_or(Error::NoMemory)?,
        Some(name) => {
            let exported = module.exports.iter().find_map(|e| match e.item {
                ExportItem::Memory(m) if &e.name == name => Some(m),
                _ => None,
            });
            let id = exported
                .or_else(|| {
                    module
                        .memories
                        .iter()
                        .find(|m| m.name.as_deref() == Some(name.as_str()))
                        .map(|m| m.id())
                })
                .ok_or_else(|| Error::UnknownMemory(name.clone()))?;
            module.memories.get(id)
        }
    };
    Ok((memory.id(), memory.memory64))
}

/// The shadow-stack-pointer global: the one given by index, or the one
/// named `__stack_pointer`.
pub(crate) fn stack_pointer(module: &Module, options: &Options) -> Result<Option<GlobalId>> {
    match options.stack_pointer_global {
        Some(index) => module
            .globals
            .iter()
            .find(|g| g.id().index() == index as usize)
            .map(|g| Some(g.id()))
            .ok_or_else(|| {
                Error::Options(format!(
                    "--stack-pointer-global {index}: the module has no global with that index"
                ))
            }),
        None => Ok(module
            .globals
            .iter()
            .find(|g| g.name.as_deref() == Some(abi::STACK_POINTER_GLOBAL))
            .map(|g| g.id())),
    }
}

/// Refuses modules that already carry the ABI.
pub(crate) fn check_not_instrumented(module: &Module) -> Result<()> {
    for export in module.exports.iter() {
        if [
            abi::START_UNWIND,
            abi::STOP_UNWIND,
            abi::START_REWIND,
            abi::STOP_REWIND,
            abi::GET_STATE,
            abi::STATE_GLOBAL,
            abi::DATA_GLOBAL,
        ]
        .contains(&export.name.as_str())
        {
            return Err(Error::AlreadyInstrumented(export.name.clone()));
        }
    }
    for global in module.globals.iter() {
        if let Some(name) = &global.name
            && (name == abi::STATE_GLOBAL || name == abi::DATA_GLOBAL)
        {
            return Err(Error::AlreadyInstrumented(name.clone()));
        }
    }
    Ok(())
}
