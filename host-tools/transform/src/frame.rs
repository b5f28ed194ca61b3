//! One function's frame in the save stack: its layout, the code that pushes
//! it on unwind and the code that pops it on rewind (the runtime's
//! `__rewind_frame_push`, which checks for room, and `__rewind_frame_pop`
//! move the stack position, so each function only reads and writes its
//! slots).
//!
//! Layout: the saved locals, 16- and 8-byte values first so they stay
//! naturally aligned when the frame start is, then 4-byte values, then the
//! `i32` call-site number, then, for a function involved in tail calls
//! kept across a suspension, its `i32` tag (`tail_calls.rs`): the last
//! word of the frame, where a rewind can read it. A reference is saved as the `i32` index of its
//! slot in the side table for its type (`side_tables.rs`). The frame size
//! is a compile-time constant of the function.

use std::collections::HashMap;

use walrus::ir::{
    BinaryOp, Binop, Call, GlobalGet, Instr, LocalGet, LocalSet, LocalTee, RefAsNonNull,
};
use walrus::{LocalFunction, LocalId, ModuleLocals, RefType, ValType};

use crate::abi;
use crate::abi_state::Abi;
use crate::ir::{Code, at, i32_const, if_then, nullable};
use crate::side_tables::SideTable;

/// One saved local.
#[derive(Debug)]
struct Slot {
    local: LocalId,
    /// The local's type.
    ty: ValType,
    offset: u64,
    /// For a reference: the side table it is saved in.
    side: Option<SideTable>,
}

/// The frame of one function.
#[derive(Debug)]
pub(crate) struct Frame {
    /// Saved locals with their byte offsets.
    slots: Vec<Slot>,
    /// Offset of the call-site number.
    site_offset: u64,
    /// Local holding the call-site number.
    site: LocalId,
    /// The tag written after the call-site number.
    tag: Option<u32>,
    /// Scratch local: where the frame starts.
    pos: LocalId,
}

/// Bytes a saved value of type `ty` takes (a reference: its slot index).
fn size_of(ty: ValType) -> u64 {
    match ty {
        ValType::I32 | ValType::F32 | ValType::Ref(_) => 4,
        ValType::I64 | ValType::F64 => 8,
        ValType::V128 => 16,
    }
}

impl Frame {
    /// Lays out a frame for `saved`, with `tag` last if given; `side`
    /// gives the side table of each reference type (nullable form) among
    /// them.
    pub fn new(
        saved: &[LocalId],
        site: LocalId,
        tag: Option<u32>,
        abi: &Abi,
        locals: &mut ModuleLocals,
        side: &HashMap<RefType, SideTable>,
    ) -> Frame {
        let mut typed: Vec<(LocalId, ValType)> =
            saved.iter().map(|l| (*l, locals.get(*l).ty())).collect();
        typed.sort_by_key(|(l, ty)| (std::cmp::Reverse(size_of(*ty)), l.index()));
        let mut offset = 0;
        let slots = typed
            .into_iter()
            .map(|(local, ty)| {
                let slot = Slot {
                    local,
                    ty,
                    offset,
                    side: match ty {
                        ValType::Ref(r) => Some(side[&nullable(r)]),
                        _ => None,
                    },
                };
                offset += size_of(ty);
                slot
            })
            .collect();
        Frame {
            slots,
            site_offset: offset,
            site,
            tag,
            pos: locals.add(abi.ptr()),
        }
    }

    /// Bytes the frame takes in the save stack.
    pub fn size(&self) -> u64 {
        self.site_offset + if self.tag.is_some() { 8 } else { 4 }
    }

    /// Number of saved locals.
    pub fn saved(&self) -> usize {
        self.slots.len()
    }

    /// On entry: if rewinding, pop the frame and restore the locals and the
    /// call-site number.
    pub fn restore(&self, func: &mut LocalFunction, abi: &Abi) -> Code {
        let mut body = vec![
            at(abi.ptr_const(self.size())),
            at(Instr::Call(Call {
                func: abi.frame_pop,
            })),
            at(Instr::LocalTee(LocalTee { local: self.pos })),
            at(abi.load(ValType::I32, self.site_offset)),
            at(Instr::LocalSet(LocalSet { local: self.site })),
        ];
        for slot in &self.slots {
            body.push(at(Instr::LocalGet(LocalGet { local: self.pos })));
            match (slot.side, slot.ty) {
                (Some(side), ValType::Ref(r)) => {
                    body.push(at(abi.load(ValType::I32, slot.offset)));
                    body.push(at(Instr::Call(Call { func: side.restore })));
                    if !r.nullable {
                        body.push(at(Instr::RefAsNonNull(RefAsNonNull {})));
                    }
                }
                _ => body.push(at(abi.load(slot.ty, slot.offset))),
            }
            body.push(at(Instr::LocalSet(LocalSet { local: slot.local })));
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

    /// At the unwind exit: reserve the frame (the runtime's push checks for
    /// room and traps without it, so nothing is written unless the whole
    /// frame fits), write it, and return `placeholders` (see
    /// `placeholder.rs`).
    pub fn save(&self, abi: &Abi, placeholders: Code) -> Code {
        let mut code = vec![
            at(abi.ptr_const(self.size())),
            at(Instr::Call(Call {
                func: abi.frame_push,
            })),
            at(Instr::LocalSet(LocalSet { local: self.pos })),
        ];
        for slot in &self.slots {
            code.push(at(Instr::LocalGet(LocalGet { local: self.pos })));
            code.push(at(Instr::LocalGet(LocalGet { local: slot.local })));
            match slot.side {
                Some(side) => {
                    code.push(at(Instr::Call(Call { func: side.save })));
                    code.push(at(abi.store(ValType::I32, slot.offset)));
                }
                None => code.push(at(abi.store(slot.ty, slot.offset))),
            }
        }
        code.extend([
            at(Instr::LocalGet(LocalGet { local: self.pos })),
            at(Instr::LocalGet(LocalGet { local: self.site })),
            at(abi.store(ValType::I32, self.site_offset)),
        ]);
        if let Some(tag) = self.tag {
            code.extend([
                at(Instr::LocalGet(LocalGet { local: self.pos })),
                at(i32_const(tag as i32)),
                at(abi.store(ValType::I32, self.site_offset + 4)),
            ]);
        }
        code.extend(placeholders);
        code
    }
}
