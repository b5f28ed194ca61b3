//! Helpers over walrus's instruction tree that every pass shares.
//!
//! * [`walk`]: the nested sequences of an instruction, whole-function
//!   walks, branch retargeting and deep copies;
//! * [`build`]: small pieces of generated code (constants, `if`s, loads and
//!   stores of one value type);
//! * [`calls`]: the one list of call instructions.

mod build;
mod calls;
mod walk;

pub(crate) use build::{at, i32_const, i64_const, if_then, load, nullable, offset, store};
pub(crate) use calls::{CallSite, Target, callee};
pub(crate) use walk::{
    branch_targets, children, copy_code, diverges, for_each_instr, nested_seqs, retarget,
    sequences, sequences_from,
};

use walrus::ir::{Instr, InstrLocId};
use walrus::{FunctionId, Module};

/// Generated instructions, ready to splice into a sequence.
pub(crate) type Code = Vec<(Instr, InstrLocId)>;

/// The name used for a function in messages: its name-section name, or
/// `func[INDEX]`.
pub(crate) fn function_name(module: &Module, id: FunctionId) -> String {
    match &module.funcs.get(id).name {
        Some(name) => name.clone(),
        None => format!("func[{}]", id.index()),
    }
}
