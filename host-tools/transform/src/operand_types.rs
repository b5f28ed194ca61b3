//! Operand-stack typing: what each instruction pops and pushes.
//!
//! walrus keeps the operand stack implicit, but spilling needs the exact
//! types of the values sitting on it at a suspending call. [`StackTyper`]
//! replays a run of instructions over a `Vec<ValType>`, the same way a
//! validator does: every instruction walrus knows, GC, reference and
//! exception-handling instructions included, gives the type validation
//! gives it (a `ref.func` is a non-null reference of the function's exact
//! type, a `local.tee` leaves the local's type), so a spill local always
//! has a type its readers accept. The match is exhaustive: an instruction
//! added to walrus fails to compile here instead of being guessed.

use walrus::ir::{
    AtomicWidth, BinaryOp, Instr, InstrSeqType, LoadKind, LoadSimdKind, UnaryOp, Value,
};
use walrus::{
    AbstractHeapType, FunctionId, HeapType, LocalId, ModuleLocals, RefType, TypeId, ValType,
};

use std::collections::{HashMap, HashSet};

use crate::ir::{CallSite, Target, callee, for_each_instr};

/// Module-level facts needed to type instructions.
#[derive(Debug)]
pub(crate) struct TypeContext {
    pub types_params: HashMap<TypeId, (Vec<ValType>, Vec<ValType>)>,
    /// Field types of struct types, unpacked (`i8`/`i16` read as `i32`).
    pub struct_fields: HashMap<TypeId, Vec<ValType>>,
    /// Element types of array types, unpacked.
    pub array_elements: HashMap<TypeId, ValType>,
    pub func_types: HashMap<FunctionId, TypeId>,
    /// The function type of each tag (its parameters are what a `catch`
    /// of it receives).
    pub tag_types: HashMap<walrus::TagId, TypeId>,
    /// The module uses typed function references (or GC), so `ref.func` has
    /// the function's exact non-null type; without them it is a plain
    /// `funcref`, and the output must not need a proposal the input did
    /// not.
    pub typed_references: bool,
    pub global_types: HashMap<walrus::GlobalId, ValType>,
    pub table_types: HashMap<walrus::TableId, (RefType, bool)>,
    pub memory64: HashMap<walrus::MemoryId, bool>,
}

impl TypeContext {
    pub fn new(module: &walrus::Module) -> Self {
        let types_params = module
            .types
            .iter()
            .filter(|t| t.is_function())
            .map(|t| (t.id(), (t.params().to_vec(), t.results().to_vec())))
            .collect();
        let struct_fields = module
            .types
            .iter()
            .filter_map(|t| {
                let fields = t.as_struct()?.fields.iter();
                Some((t.id(), fields.map(|f| f.element_type.unpack()).collect()))
            })
            .collect();
        let array_elements = module
            .types
            .iter()
            .filter_map(|t| Some((t.id(), t.as_array()?.field.element_type.unpack())))
            .collect();
        TypeContext {
            typed_references: uses_typed_references(module),
            types_params,
            struct_fields,
            array_elements,
            func_types: module.funcs.iter().map(|f| (f.id(), f.ty())).collect(),
            tag_types: module.tags.iter().map(|t| (t.id(), t.ty())).collect(),
            global_types: module.globals.iter().map(|g| (g.id(), g.ty)).collect(),
            table_types: module
                .tables
                .iter()
                .map(|t| (t.id(), (t.element_ty, t.table64)))
                .collect(),
            memory64: module
                .memories
                .iter()
                .map(|m| (m.id(), m.memory64))
                .collect(),
        }
    }

    /// Parameters and results of a function type.
    pub fn signature(&self, ty: TypeId) -> (&[ValType], &[ValType]) {
        self.types_params
            .get(&ty)
            .map(|(p, r)| (p.as_slice(), r.as_slice()))
            .unwrap_or((&[], &[]))
    }

    /// Parameters and results of the function a call calls.
    pub fn call_signature(&self, site: &CallSite) -> (&[ValType], &[ValType]) {
        match site.target {
            Target::Func(f) => self.signature(self.func_types[&f]),
            Target::Table(ty, _) | Target::Ref(ty) => self.signature(ty),
        }
    }

    /// Parameters and results of a block type.
    pub fn block_signature(&self, ty: InstrSeqType) -> (Vec<ValType>, Vec<ValType>) {
        match ty {
            InstrSeqType::Simple(None) => (vec![], vec![]),
            InstrSeqType::Simple(Some(t)) => (vec![], vec![t]),
            InstrSeqType::MultiValue(id) => {
                let (p, r) = self.signature(id);
                (p.to_vec(), r.to_vec())
            }
        }
    }

    fn address(&self, memory: walrus::MemoryId) -> ValType {
        if self.memory64.get(&memory).copied().unwrap_or(false) {
            ValType::I64
        } else {
            ValType::I32
        }
    }

    /// The type a `struct.get` of `field` reads.
    fn field(&self, ty: TypeId, field: u32) -> ValType {
        self.struct_fields
            .get(&ty)
            .and_then(|f| f.get(field as usize))
            .copied()
            .unwrap_or(ValType::I32)
    }

    /// The type an `array.get` reads.
    fn element(&self, ty: TypeId) -> ValType {
        self.array_elements
            .get(&ty)
            .copied()
            .unwrap_or(ValType::I32)
    }

    fn table_index(&self, table: walrus::TableId) -> ValType {
        if self.table_types.get(&table).is_some_and(|t| t.1) {
            ValType::I64
        } else {
            ValType::I32
        }
    }
}

/// An operand stack of value types that remembers how low it got, so a
/// caller can tell which values an instruction consumed.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stack {
    types: Vec<ValType>,
    low: usize,
}

impl Stack {
    /// The value types, bottom first.
    pub fn types(&self) -> &[ValType] {
        &self.types
    }
    pub fn len(&self) -> usize {
        self.types.len()
    }
    /// The lowest height reached since the last call (then reset to the
    /// current height).
    pub fn take_low(&mut self) -> usize {
        std::mem::replace(&mut self.low, self.types.len())
    }
    fn truncate(&mut self, len: usize) {
        self.types.truncate(len);
        self.low = self.low.min(len);
    }
    /// Pops `n` values.
    fn pop(&mut self, n: usize) -> Result<(), Untypable> {
        let Some(len) = self.types.len().checked_sub(n) else {
            return Err(Untypable("operand stack underflow".into()));
        };
        self.truncate(len);
        Ok(())
    }
    /// Pops `n` values and pushes `results`.
    fn replace<const N: usize>(
        &mut self,
        n: usize,
        results: [ValType; N],
    ) -> Result<(), Untypable> {
        self.pop(n)?;
        self.types.extend(results);
        Ok(())
    }
    /// The type `depth` values below the top.
    fn nth_from_top(&self, depth: usize) -> Result<ValType, Untypable> {
        self.types
            .len()
            .checked_sub(depth + 1)
            .map(|i| self.types[i])
            .ok_or_else(|| Untypable("operand stack underflow".into()))
    }
    fn push(&mut self, ty: ValType) {
        self.types.push(ty);
    }
    pub fn extend(&mut self, tys: impl IntoIterator<Item = ValType>) {
        self.types.extend(tys);
    }
}

/// Why an instruction could not be typed.
#[derive(Debug)]
pub(crate) struct Untypable(pub String);

/// Replays instructions over a stack of value types.
pub(crate) struct StackTyper<'a> {
    pub ctx: &'a TypeContext,
    pub locals: &'a ModuleLocals,
    /// Block types of every sequence, for nested blocks.
    pub seq_type: Box<dyn Fn(walrus::ir::InstrSeqId) -> InstrSeqType + 'a>,
    /// The sequences that are loop bodies: a branch to one carries its
    /// parameters, not its results.
    pub loops: &'a HashSet<walrus::ir::InstrSeqId>,
}

impl StackTyper<'_> {
    fn local(&self, id: LocalId) -> ValType {
        self.locals.get(id).ty()
    }

    /// Applies `instr` to `stack`. Returns `false` when the instruction never
    /// falls through (branch, return, throw, trap): what follows it is dead.
    pub fn apply(&self, instr: &Instr, stack: &mut Stack) -> Result<bool, Untypable> {
        use ValType::*;
        let ctx = self.ctx;
        match instr {
            Instr::Block(b) => self.block(b.seq, 0, stack)?,
            Instr::Loop(b) => self.block(b.seq, 0, stack)?,
            Instr::IfElse(b) => self.block(b.consequent, 1, stack)?,
            Instr::Try(t) => self.block(t.seq, 0, stack)?,
            Instr::TryTable(t) => self.block(t.seq, 0, stack)?,
            Instr::Call(_) | Instr::CallIndirect(_) | Instr::CallRef(_) => {
                let site = callee(instr).expect("a call");
                let (params, results) = ctx.call_signature(&site);
                stack.pop(params.len() + site.extra_operands())?;
                stack.extend(results.iter().copied());
            }
            Instr::ReturnCall(_)
            | Instr::ReturnCallIndirect(_)
            | Instr::ReturnCallRef(_)
            | Instr::Unreachable(_)
            | Instr::Return(_)
            | Instr::Br(_)
            | Instr::BrTable(_)
            | Instr::Throw(_)
            | Instr::ThrowRef(_)
            | Instr::Rethrow(_) => return Ok(false),
            Instr::LocalGet(l) => stack.push(self.local(l.local)),
            Instr::LocalTee(l) => {
                stack.pop(1)?;
                stack.push(self.local(l.local));
            }
            Instr::LocalSet(_) | Instr::GlobalSet(_) | Instr::Drop(_) => stack.pop(1)?,
            Instr::BrIf(b) => {
                stack.pop(1)?;
                self.carried(b.block, 0, stack)?;
            }
            Instr::GlobalGet(g) => stack.push(ctx.global_types[&g.global]),
            Instr::Const(c) => stack.push(match c.value {
                Value::I32(_) => I32,
                Value::I64(_) => I64,
                Value::F32(_) => F32,
                Value::F64(_) => F64,
                Value::V128(_) => V128,
            }),
            Instr::Binop(b) => stack.replace(2, [binop_result(b.op)])?,
            Instr::Unop(u) => stack.replace(1, [unop_result(u.op)])?,
            Instr::TernOp(_) | Instr::V128Bitselect(_) => stack.replace(3, [V128])?,
            Instr::I8x16Swizzle(_) | Instr::I8x16Shuffle(_) => stack.replace(2, [V128])?,
            Instr::I64Add128(_) | Instr::I64Sub128(_) => stack.replace(4, [I64, I64])?,
            Instr::I64MulWideS(_) | Instr::I64MulWideU(_) => stack.replace(2, [I64, I64])?,
            Instr::Select(s) => {
                let ty = match s.ty {
                    Some(ty) => ty,
                    None => stack.nth_from_top(2)?,
                };
                stack.replace(3, [ty])?;
            }
            Instr::MemorySize(m) => stack.push(ctx.address(m.memory)),
            Instr::MemoryGrow(m) => stack.replace(1, [ctx.address(m.memory)])?,
            Instr::MemoryInit(_) | Instr::MemoryCopy(_) | Instr::MemoryFill(_) => stack.pop(3)?,
            Instr::DataDrop(_) | Instr::ElemDrop(_) | Instr::AtomicFence(_) => {}
            Instr::Load(l) => stack.replace(
                1,
                [match l.kind {
                    LoadKind::I32 { .. } | LoadKind::I32_8 { .. } | LoadKind::I32_16 { .. } => I32,
                    LoadKind::I64 { .. }
                    | LoadKind::I64_8 { .. }
                    | LoadKind::I64_16 { .. }
                    | LoadKind::I64_32 { .. } => I64,
                    LoadKind::F32 => F32,
                    LoadKind::F64 => F64,
                    LoadKind::V128 => V128,
                }],
            )?,
            Instr::Store(_) => stack.pop(2)?,
            Instr::LoadSimd(l) => match l.kind {
                LoadSimdKind::V128Store8Lane(_)
                | LoadSimdKind::V128Store16Lane(_)
                | LoadSimdKind::V128Store32Lane(_)
                | LoadSimdKind::V128Store64Lane(_) => stack.pop(2)?,
                LoadSimdKind::V128Load8Lane(_)
                | LoadSimdKind::V128Load16Lane(_)
                | LoadSimdKind::V128Load32Lane(_)
                | LoadSimdKind::V128Load64Lane(_) => stack.replace(2, [V128])?,
                _ => stack.replace(1, [V128])?,
            },
            Instr::AtomicRmw(a) => stack.replace(2, [width_type(a.width)])?,
            Instr::Cmpxchg(a) => stack.replace(3, [width_type(a.width)])?,
            Instr::AtomicNotify(_) => stack.replace(2, [I32])?,
            Instr::AtomicWait(_) => stack.replace(3, [I32])?,
            Instr::TableGet(t) => stack.replace(1, [Ref(ctx.table_types[&t.table].0)])?,
            Instr::TableSet(_) => stack.pop(2)?,
            Instr::TableGrow(t) => stack.replace(2, [ctx.table_index(t.table)])?,
            Instr::TableSize(t) => stack.push(ctx.table_index(t.table)),
            Instr::TableFill(_) | Instr::TableInit(_) | Instr::TableCopy(_) => stack.pop(3)?,
            Instr::RefNull(r) => stack.push(Ref(r.ty)),
            Instr::RefIsNull(_) | Instr::RefTest(_) | Instr::I31GetS(_) | Instr::I31GetU(_) => {
                stack.replace(1, [I32])?
            }
            Instr::RefEq(_) => stack.replace(2, [I32])?,
            Instr::RefFunc(f) if ctx.typed_references => stack.push(Ref(RefType {
                nullable: false,
                heap_type: HeapType::Concrete(ctx.func_types[&f.func]),
            })),
            Instr::RefFunc(_) => stack.push(Ref(RefType::FUNCREF)),
            Instr::RefAsNonNull(_) => {
                let ty = stack.nth_from_top(0)?;
                stack.replace(1, [non_null(ty)])?;
            }
            Instr::BrOnNull(b) => {
                let ty = stack.nth_from_top(0)?;
                stack.pop(1)?;
                self.carried(b.block, 0, stack)?;
                stack.push(non_null(ty));
            }
            Instr::BrOnNonNull(b) => {
                stack.pop(1)?;
                self.carried(b.block, 1, stack)?;
            }
            Instr::RefCast(c) => stack.replace(
                1,
                [Ref(RefType {
                    nullable: c.nullable,
                    heap_type: c.heap_type,
                })],
            )?,
            Instr::BrOnCast(c) => {
                stack.pop(1)?;
                self.carried(c.block, 1, stack)?;
                stack.push(Ref(RefType {
                    nullable: c.from_nullable && !c.to_nullable,
                    heap_type: c.from_heap_type,
                }));
            }
            Instr::BrOnCastFail(c) => {
                stack.pop(1)?;
                self.carried(c.block, 1, stack)?;
                stack.push(Ref(RefType {
                    nullable: c.to_nullable,
                    heap_type: c.to_heap_type,
                }));
            }
            Instr::AnyConvertExtern(_) => {
                let nullable = nullable(stack.nth_from_top(0)?);
                stack.replace(1, [abstract_ref(nullable, AbstractHeapType::Any)])?;
            }
            Instr::ExternConvertAny(_) => {
                let nullable = nullable(stack.nth_from_top(0)?);
                stack.replace(1, [abstract_ref(nullable, AbstractHeapType::Extern)])?;
            }
            Instr::RefI31(_) => stack.replace(1, [abstract_ref(false, AbstractHeapType::I31)])?,
            Instr::StructNew(s) => {
                let fields = ctx.struct_fields.get(&s.ty).map_or(0, Vec::len);
                stack.replace(fields, [concrete_ref(s.ty)])?;
            }
            Instr::StructNewDefault(s) => stack.push(concrete_ref(s.ty)),
            Instr::StructGet(s) => stack.replace(1, [ctx.field(s.ty, s.field)])?,
            Instr::StructGetS(_) | Instr::StructGetU(_) => stack.replace(1, [I32])?,
            Instr::StructSet(_) => stack.pop(2)?,
            Instr::ArrayNew(a) => stack.replace(2, [concrete_ref(a.ty)])?,
            Instr::ArrayNewDefault(a) => stack.replace(1, [concrete_ref(a.ty)])?,
            Instr::ArrayNewFixed(a) => stack.replace(a.len as usize, [concrete_ref(a.ty)])?,
            Instr::ArrayNewData(a) => stack.replace(2, [concrete_ref(a.ty)])?,
            Instr::ArrayNewElem(a) => stack.replace(2, [concrete_ref(a.ty)])?,
            Instr::ArrayGet(a) => stack.replace(2, [ctx.element(a.ty)])?,
            Instr::ArrayGetS(_) | Instr::ArrayGetU(_) => stack.replace(2, [I32])?,
            Instr::ArraySet(_) => stack.pop(3)?,
            Instr::ArrayLen(_) => stack.replace(1, [I32])?,
            Instr::ArrayFill(_) | Instr::ArrayInitData(_) | Instr::ArrayInitElem(_) => {
                stack.pop(4)?
            }
            Instr::ArrayCopy(_) => stack.pop(5)?,
        }
        Ok(true)
    }

    fn block(
        &self,
        seq: walrus::ir::InstrSeqId,
        extra: usize,
        stack: &mut Stack,
    ) -> Result<(), Untypable> {
        let (params, results) = self.ctx.block_signature((self.seq_type)(seq));
        stack.pop(params.len() + extra)?;
        stack.extend(results);
        Ok(())
    }

    /// A conditional branch to `label` has taken its own operand: the values
    /// below it that the branch carries (the label's types but the last
    /// `own`, which the branch itself provides) now have the label's types,
    /// as validation gives them: a value of a subtype comes out as the
    /// label's supertype.
    fn carried(
        &self,
        label: walrus::ir::InstrSeqId,
        own: usize,
        stack: &mut Stack,
    ) -> Result<(), Untypable> {
        let (params, results) = self.ctx.block_signature((self.seq_type)(label));
        let mut types = if self.loops.contains(&label) {
            params
        } else {
            results
        };
        types.truncate(types.len().saturating_sub(own));
        stack.pop(types.len())?;
        stack.extend(types);
        Ok(())
    }
}

/// Whether `module` uses typed function references or GC: a reference
/// type that is non-nullable or names a defined type anywhere in its types,
/// globals, tables or locals, or an instruction of those proposals (a
/// `call_ref` of a `ref.func`, say, names no such type anywhere else).
fn uses_typed_references(module: &walrus::Module) -> bool {
    let typed = |ty: &ValType| {
        matches!(ty, ValType::Ref(r)
            if !r.nullable || !matches!(r.heap_type, HeapType::Abstract(_)))
    };
    let in_types = module.types.iter().any(|t| {
        !t.is_function() || t.supertype.is_some() || t.params().iter().chain(t.results()).any(typed)
    });
    in_types
        || module.globals.iter().any(|g| typed(&g.ty))
        || module
            .tables
            .iter()
            .any(|t| typed(&ValType::Ref(t.element_ty)))
        || module.locals.iter().any(|l| typed(&l.ty()))
        || module.funcs.iter_local().any(|(_, func)| {
            let mut found = false;
            for_each_instr(func, func.entry_block(), |instr| {
                found |= matches!(
                    instr,
                    Instr::CallRef(_)
                        | Instr::ReturnCallRef(_)
                        | Instr::RefAsNonNull(_)
                        | Instr::BrOnNull(_)
                        | Instr::BrOnNonNull(_)
                );
            });
            found
        })
}

/// `ty` without null (for a reference; other types are unchanged).
fn non_null(ty: ValType) -> ValType {
    match ty {
        ValType::Ref(r) => ValType::Ref(RefType {
            nullable: false,
            ..r
        }),
        other => other,
    }
}

fn abstract_ref(nullable: bool, heap: AbstractHeapType) -> ValType {
    ValType::Ref(RefType {
        nullable,
        heap_type: HeapType::Abstract(heap),
    })
}

/// A non-null reference to a value of the struct or array type `ty`.
fn concrete_ref(ty: TypeId) -> ValType {
    ValType::Ref(RefType {
        nullable: false,
        heap_type: HeapType::Concrete(ty),
    })
}

/// Whether `ty` is a reference that may be null.
fn nullable(ty: ValType) -> bool {
    matches!(ty, ValType::Ref(r) if r.nullable)
}

fn width_type(width: AtomicWidth) -> ValType {
    match width {
        AtomicWidth::I32 | AtomicWidth::I32_8 | AtomicWidth::I32_16 => ValType::I32,
        _ => ValType::I64,
    }
}

/// The wasm text name of an instruction, for diagnostics.
pub(crate) fn instr_name(instr: &Instr) -> String {
    let debug = format!("{instr:?}");
    let variant = debug.split(['(', ' ', '{']).next().unwrap_or("instruction");
    let mut name = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

fn binop_result(op: BinaryOp) -> ValType {
    use BinaryOp::*;
    match op {
        I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS | I32GeU
        | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU
        | F32Eq | F32Ne | F32Lt | F32Gt | F32Le | F32Ge | F64Eq | F64Ne | F64Lt | F64Gt | F64Le
        | F64Ge => ValType::I32,
        I32Add | I32Sub | I32Mul | I32DivS | I32DivU | I32RemS | I32RemU | I32And | I32Or
        | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr => ValType::I32,
        I64Add | I64Sub | I64Mul | I64DivS | I64DivU | I64RemS | I64RemU | I64And | I64Or
        | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr => ValType::I64,
        F32Add | F32Sub | F32Mul | F32Div | F32Min | F32Max | F32Copysign => ValType::F32,
        F64Add | F64Sub | F64Mul | F64Div | F64Min | F64Max | F64Copysign => ValType::F64,
        // Every remaining binary operator is a SIMD operator on v128.
        _ => ValType::V128,
    }
}

fn unop_result(op: UnaryOp) -> ValType {
    use UnaryOp::*;
    match op {
        I32Eqz | I32Clz | I32Ctz | I32Popcnt | I64Eqz | I32WrapI64 | I32TruncSF32
        | I32TruncUF32 | I32TruncSF64 | I32TruncUF64 | I32ReinterpretF32 | I32Extend8S
        | I32Extend16S | I32TruncSSatF32 | I32TruncUSatF32 | I32TruncSSatF64 | I32TruncUSatF64 => {
            ValType::I32
        }
        I64Clz | I64Ctz | I64Popcnt | I64ExtendSI32 | I64ExtendUI32 | I64TruncSF32
        | I64TruncUF32 | I64TruncSF64 | I64TruncUF64 | I64ReinterpretF64 | I64Extend8S
        | I64Extend16S | I64Extend32S | I64TruncSSatF32 | I64TruncUSatF32 | I64TruncSSatF64
        | I64TruncUSatF64 => ValType::I64,
        F32Abs | F32Neg | F32Ceil | F32Floor | F32Trunc | F32Nearest | F32Sqrt | F32ConvertSI32
        | F32ConvertUI32 | F32ConvertSI64 | F32ConvertUI64 | F32DemoteF64 | F32ReinterpretI32 => {
            ValType::F32
        }
        F64Abs | F64Neg | F64Ceil | F64Floor | F64Trunc | F64Nearest | F64Sqrt | F64ConvertSI32
        | F64ConvertUI32 | F64ConvertSI64 | F64ConvertUI64 | F64PromoteF32 | F64ReinterpretI64 => {
            ValType::F64
        }
        I8x16ExtractLaneS { .. }
        | I8x16ExtractLaneU { .. }
        | I16x8ExtractLaneS { .. }
        | I16x8ExtractLaneU { .. }
        | I32x4ExtractLane { .. }
        | V128AnyTrue
        | I8x16AllTrue
        | I8x16Bitmask
        | I16x8AllTrue
        | I16x8Bitmask
        | I32x4AllTrue
        | I32x4Bitmask
        | I64x2AllTrue
        | I64x2Bitmask => ValType::I32,
        I64x2ExtractLane { .. } => ValType::I64,
        F32x4ExtractLane { .. } => ValType::F32,
        F64x2ExtractLane { .. } => ValType::F64,
        // Splats and every remaining unary operator produce a v128.
        _ => ValType::V128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_produce_i32() {
        assert_eq!(binop_result(BinaryOp::F64Lt), ValType::I32);
        assert_eq!(binop_result(BinaryOp::I64GeU), ValType::I32);
        assert_eq!(binop_result(BinaryOp::I64Add), ValType::I64);
        assert_eq!(binop_result(BinaryOp::I8x16Eq), ValType::V128);
    }

    #[test]
    fn lane_extraction_produces_scalars() {
        assert_eq!(
            unop_result(UnaryOp::I64x2ExtractLane { idx: 1 }),
            ValType::I64
        );
        assert_eq!(unop_result(UnaryOp::I32x4Splat), ValType::V128);
        assert_eq!(unop_result(UnaryOp::I64Eqz), ValType::I32);
        assert_eq!(unop_result(UnaryOp::F32DemoteF64), ValType::F32);
    }

    #[test]
    fn instruction_names_are_snake_case() {
        let i = Instr::Unreachable(walrus::ir::Unreachable {});
        assert_eq!(instr_name(&i), "unreachable");
    }
}
