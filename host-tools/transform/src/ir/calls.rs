//! The call instructions, listed once: what a call targets, whether it is a
//! tail call, and how many operands it takes besides the callee's
//! parameters.

use walrus::ir::Instr;
use walrus::{FunctionId, TableId, TypeId};

/// What a call instruction calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `call` / `return_call`.
    Func(FunctionId),
    /// `call_indirect` / `return_call_indirect`: a table entry of this type.
    Table(TypeId, TableId),
    /// `call_ref` / `return_call_ref`: a function reference of this type.
    Ref(TypeId),
}

/// One call instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallSite {
    pub target: Target,
    /// `return_call*`: the caller's frame is gone when the callee runs.
    pub tail: bool,
}

impl CallSite {
    /// Operands taken besides the callee's parameters: the table index or
    /// the function reference, on top of the arguments.
    pub fn extra_operands(&self) -> usize {
        match self.target {
            Target::Func(_) => 0,
            Target::Table(..) | Target::Ref(_) => 1,
        }
    }
}

/// The call `instr` makes, if it is a call.
pub(crate) fn callee(instr: &Instr) -> Option<CallSite> {
    let (target, tail) = match instr {
        Instr::Call(c) => (Target::Func(c.func), false),
        Instr::ReturnCall(c) => (Target::Func(c.func), true),
        Instr::CallIndirect(c) => (Target::Table(c.ty, c.table), false),
        Instr::ReturnCallIndirect(c) => (Target::Table(c.ty, c.table), true),
        Instr::CallRef(c) => (Target::Ref(c.ty), false),
        Instr::ReturnCallRef(c) => (Target::Ref(c.ty), true),
        _ => return None,
    };
    Some(CallSite { target, tail })
}
