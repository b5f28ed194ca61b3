//! One function's frame in the save stack: its layout, the code that pushes
//! it on unwind (after checking for room), and the code that pops it on
//! rewind.
//!
//! Layout: the saved locals, 16- and 8-byte values first so they stay
//! naturally aligned when the frame start is, then 4-byte values, then the
//! `i32` call-site number. The frame size is a compile-time constant of the
//! function.

use walrus::ir::{
    BinaryOp, Binop, Call, Const, GlobalGet, Instr, LocalGet, LocalSet, LocalTee, RefNull,
    Unreachable, Value,
};
use walrus::{LocalFunction, LocalId, ModuleLocals, ValType};

use crate::abi;
use crate::abi_state::Abi;
use crate::error::{Error, Result};
use crate::ir::{Code, at, i32_const, if_then};

/// The frame of one function.
#[derive(Debug)]
pub(crate) struct Frame {
    /// Saved locals with their byte offsets.
    slots: Vec<(LocalId, ValType, u64)>,
    /// Offset of the call-site number.
    site_offset: u64,
    /// Local holding the call-site number.
    site: LocalId,
    /// Scratch locals: the data pointer and the frame position.
    data_ptr: LocalId,
    pos: LocalId,
}

fn size_of(ty: ValType) -> Option<u64> {
    match ty {
        ValType::I32 | ValType::F32 => Some(4),
        ValType::I64 | ValType::F64 => Some(8),
        ValType::V128 => Some(16),
        ValType::Ref(_) => None,
    }
}

impl Frame {
    /// Lays out a frame for `saved`, rejecting what cannot be stored.
    pub fn new(
        saved: &[LocalId],
        site: LocalId,
        abi: &Abi,
        locals: &mut ModuleLocals,
        function: &str,
    ) -> Result<Frame> {
        let mut typed = Vec::with_capacity(saved.len());
        for l in saved {
            let ty = locals.get(*l).ty();
            let size = size_of(ty).ok_or_else(|| Error::Unsupported {
                function: function.to_string(),
                construct: format!(
                    "a local of reference type `{ty}` live across a suspending call"
                ),
            })?;
            typed.push((*l, ty, size));
        }
        typed.sort_by_key(|(l, _, size)| (std::cmp::Reverse(*size), l.index()));
        let mut offset = 0;
        let slots = typed
            .into_iter()
            .map(|(l, ty, size)| {
                let slot = (l, ty, offset);
                offset += size;
                slot
            })
            .collect();
        Ok(Frame {
            slots,
            site_offset: offset,
            site,
            data_ptr: locals.add(abi.ptr()),
            pos: locals.add(abi.ptr()),
        })
    }

    /// Bytes the frame takes in the save stack.
    pub fn size(&self) -> u64 {
        self.site_offset + 4
    }

    /// Number of saved locals.
    pub fn saved(&self) -> usize {
        self.slots.len()
    }

    /// On entry: if rewinding, pop the frame and restore the locals and the
    /// call-site number.
    pub fn restore(&self, func: &mut LocalFunction, abi: &Abi) -> Code {
        let mut body = vec![
            at(Instr::GlobalGet(GlobalGet { global: abi.data })),
            at(Instr::LocalTee(LocalTee {
                local: self.data_ptr,
            })),
            at(Instr::LocalGet(LocalGet {
                local: self.data_ptr,
            })),
            at(abi.load_ptr(0)),
            at(abi.ptr_const(self.size())),
            at(abi.ptr_op(BinaryOp::I32Sub, BinaryOp::I64Sub)),
            at(Instr::LocalTee(LocalTee { local: self.pos })),
            at(abi.store_ptr(0)),
            at(Instr::LocalGet(LocalGet { local: self.pos })),
            at(abi.load(ValType::I32, self.site_offset)),
            at(Instr::LocalSet(LocalSet { local: self.site })),
        ];
        for (local, ty, offset) in &self.slots {
            body.push(at(Instr::LocalGet(LocalGet { local: self.pos })));
            body.push(at(abi.load(*ty, *offset)));
            body.push(at(Instr::LocalSet(LocalSet { local: *local })));
        }
        let test = vec![
            at(Instr::GlobalGet(GlobalGet { global: abi.state })),
            at(i32_const(abi::STATE_REWINDING)),
            at(Instr::Binop(Binop {
                op: BinaryOp::I32Eq,
            })),
        ];
        if_then(func, test, body)
    }

    /// At the unwind exit: check for room, push the frame, and return
    /// placeholder results. Nothing is written unless the whole frame fits.
    pub fn save(
        &self,
        func: &mut LocalFunction,
        abi: &Abi,
        results: &[ValType],
        function: &str,
    ) -> Result<Code> {
        let size = self.size();
        let end = abi::stack_end_offset(abi.memory64);
        let mut code = vec![
            // data_ptr = __asyncify_data; pos = data_ptr->stack_pos
            at(Instr::GlobalGet(GlobalGet { global: abi.data })),
            at(Instr::LocalTee(LocalTee {
                local: self.data_ptr,
            })),
            at(abi.load_ptr(0)),
            at(Instr::LocalSet(LocalSet { local: self.pos })),
            // overflow if stack_end - pos < size, or stack_end < pos
            at(Instr::LocalGet(LocalGet {
                local: self.data_ptr,
            })),
            at(abi.load_ptr(end)),
            at(Instr::LocalGet(LocalGet { local: self.pos })),
            at(abi.ptr_op(BinaryOp::I32Sub, BinaryOp::I64Sub)),
            at(abi.ptr_const(size)),
            at(abi.ptr_op(BinaryOp::I32LtU, BinaryOp::I64LtU)),
            at(Instr::LocalGet(LocalGet {
                local: self.data_ptr,
            })),
            at(abi.load_ptr(end)),
            at(Instr::LocalGet(LocalGet { local: self.pos })),
            at(abi.ptr_op(BinaryOp::I32LtU, BinaryOp::I64LtU)),
            at(Instr::Binop(Binop {
                op: BinaryOp::I32Or,
            })),
        ];
        let trap = vec![
            at(Instr::Call(Call { func: abi.overflow })),
            at(Instr::Unreachable(Unreachable {})),
        ];
        let test = std::mem::take(&mut code);
        code = if_then(func, test, trap);
        for (local, ty, offset) in &self.slots {
            code.push(at(Instr::LocalGet(LocalGet { local: self.pos })));
            code.push(at(Instr::LocalGet(LocalGet { local: *local })));
            code.push(at(abi.store(*ty, *offset)));
        }
        code.extend([
            at(Instr::LocalGet(LocalGet { local: self.pos })),
            at(Instr::LocalGet(LocalGet { local: self.site })),
            at(abi.store(ValType::I32, self.site_offset)),
            at(Instr::LocalGet(LocalGet {
                local: self.data_ptr,
            })),
            at(Instr::LocalGet(LocalGet { local: self.pos })),
            at(abi.ptr_const(size)),
            at(abi.ptr_op(BinaryOp::I32Add, BinaryOp::I64Add)),
            at(abi.store_ptr(0)),
        ]);
        for ty in results {
            code.push(at(zero(*ty).ok_or_else(|| Error::Unsupported {
                function: function.to_string(),
                construct: format!("a result of non-nullable reference type `{ty}`"),
            })?));
        }
        Ok(code)
    }
}

/// The placeholder value of a type, returned while unwinding.
fn zero(ty: ValType) -> Option<Instr> {
    let value = match ty {
        ValType::I32 => Value::I32(0),
        ValType::I64 => Value::I64(0),
        ValType::F32 => Value::F32(0.0),
        ValType::F64 => Value::F64(0.0),
        ValType::V128 => Value::V128(0),
        ValType::Ref(r) if r.nullable => return Some(Instr::RefNull(RefNull { ty: r })),
        ValType::Ref(_) => return None,
    };
    Some(Instr::Const(Const { value }))
}
