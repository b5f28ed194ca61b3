//! Where the ABI state of an instrumented module lives (the two globals,
//! the save-stack memory and its pointer width, the overflow trap), and
//! the pointer-width code that reads and writes the data structure, and
//! the test of the state that the frame code starts with.

use walrus::ir::{BinaryOp, Binop, Const, GlobalGet, Instr, Value};
use walrus::{FunctionId, GlobalId, MemoryId, ValType};

use crate::abi;
use crate::ir::{Code, at, i32_const, load, store};
use crate::parked_fuel::Parking;

/// Where the ABI state lives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Abi {
    pub state: GlobalId,
    pub data: GlobalId,
    pub memory: MemoryId,
    pub memory64: bool,
    /// Where an unwind that does not fit traps (see
    /// [`crate::abi::OVERFLOW_FUNCTION`]); the frame movers call it.
    pub overflow: FunctionId,
    /// In a metered module, where a rewind parks the fuel counter (see
    /// `parked_fuel.rs`).
    pub parking: Option<Parking>,
}

impl Abi {
    /// `state == REWINDING`, left on the operand stack.
    pub fn rewinding(&self) -> Code {
        vec![
            at(Instr::GlobalGet(GlobalGet { global: self.state })),
            at(i32_const(abi::STATE_REWINDING)),
            at(Instr::Binop(Binop {
                op: BinaryOp::I32Eq,
            })),
        ]
    }

    /// The pointer type of the save-stack memory.
    pub fn ptr(&self) -> ValType {
        if self.memory64 {
            ValType::I64
        } else {
            ValType::I32
        }
    }

    /// A pointer-typed constant.
    pub fn ptr_const(&self, v: u64) -> Instr {
        Instr::Const(Const {
            value: if self.memory64 {
                Value::I64(v as i64)
            } else {
                Value::I32(v as i32)
            },
        })
    }

    /// The 32- or 64-bit form of a pointer operation.
    pub fn ptr_op(&self, op32: BinaryOp, op64: BinaryOp) -> Instr {
        Instr::Binop(Binop {
            op: if self.memory64 { op64 } else { op32 },
        })
    }

    /// Loads a pointer-sized field of the data structure.
    pub fn load_ptr(&self, offset: u64) -> Instr {
        load(self.memory, self.ptr(), offset)
    }

    /// Stores a pointer-sized field of the data structure.
    pub fn store_ptr(&self, offset: u64) -> Instr {
        store(self.memory, self.ptr(), offset)
    }

    /// Loads a saved value of type `ty` from the save stack.
    pub fn load(&self, ty: ValType, offset: u64) -> Instr {
        load(self.memory, ty, offset)
    }

    /// Stores a value of type `ty` to the save stack.
    pub fn store(&self, ty: ValType, offset: u64) -> Instr {
        store(self.memory, ty, offset)
    }
}
