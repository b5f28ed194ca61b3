//! Small pieces of generated code: constants, `if`s, offsets, and the one
//! table of loads and stores by value type that the frame code and the
//! runtime share.

use walrus::ir::{
    BinaryOp, Binop, Const, IfElse, Instr, InstrLocId, InstrSeqType, Load, LoadKind, MemArg, Store,
    StoreKind, Value,
};
use walrus::{LocalFunction, MemoryId, RefType, ValType};

use super::Code;

/// An instruction with no source location.
pub(crate) fn at(instr: Instr) -> (Instr, InstrLocId) {
    (instr, InstrLocId::default())
}

/// `i32.const v`.
pub(crate) fn i32_const(v: i32) -> Instr {
    Instr::Const(Const {
        value: Value::I32(v),
    })
}

/// The nullable form of a reference type.
pub(crate) fn nullable(ty: RefType) -> RefType {
    RefType {
        nullable: true,
        ..ty
    }
}

/// `i64.const v` (the bits of `v`).
pub(crate) fn i64_const(v: u64) -> Instr {
    Instr::Const(Const {
        value: Value::I64(v as i64),
    })
}

/// `i64.const amount; op` applied to the `i64` on the stack (nothing for
/// 0).
pub(crate) fn offset(amount: u64, op: BinaryOp) -> Code {
    if amount == 0 {
        return Vec::new();
    }
    vec![at(i64_const(amount)), at(Instr::Binop(Binop { op }))]
}

/// `test; if { body }`, with fresh sequences for both arms.
pub(crate) fn if_then(func: &mut LocalFunction, test: Code, body: Code) -> Code {
    let builder = func.builder_mut();
    let consequent = builder.dangling_instr_seq(InstrSeqType::Simple(None)).id();
    let alternative = builder.dangling_instr_seq(InstrSeqType::Simple(None)).id();
    func.block_mut(consequent).instrs = body;
    let mut code = test;
    code.push(at(Instr::IfElse(IfElse {
        consequent,
        alternative,
    })));
    code
}

/// The load kind and natural alignment of a number type (`v128` for
/// anything wider than 8 bytes).
fn load_kind(ty: ValType) -> (LoadKind, u32) {
    match ty {
        ValType::I32 => (LoadKind::I32 { atomic: false }, 4),
        ValType::I64 => (LoadKind::I64 { atomic: false }, 8),
        ValType::F32 => (LoadKind::F32, 4),
        ValType::F64 => (LoadKind::F64, 8),
        _ => (LoadKind::V128, 16),
    }
}

/// `ty.load offset=offset` from `memory`, naturally aligned.
pub(crate) fn load(memory: MemoryId, ty: ValType, offset: u64) -> Instr {
    let (kind, align) = load_kind(ty);
    Instr::Load(Load {
        memory,
        kind,
        arg: MemArg { align, offset },
    })
}

/// `ty.store offset=offset` to `memory`, naturally aligned.
pub(crate) fn store(memory: MemoryId, ty: ValType, offset: u64) -> Instr {
    let (_, align) = load_kind(ty);
    let kind = match ty {
        ValType::I32 => StoreKind::I32 { atomic: false },
        ValType::I64 => StoreKind::I64 { atomic: false },
        ValType::F32 => StoreKind::F32,
        ValType::F64 => StoreKind::F64,
        _ => StoreKind::V128,
    };
    Instr::Store(Store {
        memory,
        kind,
        arg: MemArg { align, offset },
    })
}
