//! Where references live across a suspension.
//!
//! Frames are in linear memory, and references cannot be stored there. A
//! reference live across a suspension goes into a table the transform adds
//! for its type (one per reference type, nullable form, created on first
//! use), and the frame holds its slot index as an `i32`; a null reference
//! is not stored at all (index `-1`).
//!
//! Each table has a `top` global. Saving takes slot `top` (growing the
//! table when it is full) and bumps `top`; restoring reads the slot, clears
//! it, and lowers `top` past every cleared slot at the top. Frames of one
//! call stack are restored in the reverse order they were saved, so for a
//! single stack `top` simply goes down again; when several call stacks
//! (coroutines with their own save buffers) are suspended at once, a slot
//! freed below a live one stays unused until the slots above it are freed,
//! and the table never holds more than the references saved at once plus
//! such holes. A suspended stack that is never resumed keeps its references
//! alive.
//!
//! ```text
//! save_T(v: T) -> i32:   if v is null: -1
//!                        else: grow if full; table[top] = v; top++; top - 1
//! restore_T(i) -> T:     if i == -1: null
//!                        else: v = table[i]; table[i] = null;
//!                              while top > 0 && table[top - 1] is null: top--
//!                              v
//! ```

use std::collections::HashMap;

use walrus::ir::{BinaryOp, UnaryOp};
use walrus::{ConstExpr, FunctionBuilder, FunctionId, Module, RefType, TableId, ValType};

use crate::ir::nullable;

/// The table for one reference type and its two helpers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SideTable {
    /// `[T] -> [i32]`: stores a reference, returns its slot.
    pub save: FunctionId,
    /// `[i32] -> [T]`: takes a reference back out of its slot.
    pub restore: FunctionId,
}

/// The side tables added so far, by nullable reference type.
#[derive(Debug, Default)]
pub(crate) struct SideTables {
    by_type: HashMap<RefType, SideTable>,
}

/// How many slots a full table grows by at least.
const GROWTH: i32 = 16;

impl SideTables {
    /// The table for references of type `ty` (or its nullable form),
    /// added to `module` on first use.
    pub fn get_or_add(&mut self, module: &mut Module, ty: RefType) -> SideTable {
        let ty = nullable(ty);
        if let Some(t) = self.by_type.get(&ty) {
            return *t;
        }
        let n = self.by_type.len();
        let table = module.tables.add_local(false, 0, None, ty);
        module.tables.get_mut(table).name = Some(format!("__rewind_refs_{n}"));
        let top = module.globals.add_local(
            ValType::I32,
            true,
            false,
            ConstExpr::Value(walrus::ir::Value::I32(0)),
        );
        module.globals.get_mut(top).name = Some(format!("__rewind_refs_top_{n}"));
        let save = save_function(module, n, ty, table, top);
        let restore = restore_function(module, n, ty, table, top);
        let side = SideTable { save, restore };
        self.by_type.insert(ty, side);
        side
    }
}

fn save_function(
    module: &mut Module,
    n: usize,
    ty: RefType,
    table: TableId,
    top: walrus::GlobalId,
) -> FunctionId {
    let value = module.locals.add(ValType::Ref(ty));
    let mut builder = FunctionBuilder::new(&mut module.types, &[ValType::Ref(ty)], &[ValType::I32]);
    builder.name(format!("__rewind_save_ref_{n}"));
    let mut body = builder.func_body();
    body.local_get(value)
        .ref_is_null()
        .if_else(
            None,
            |then| {
                then.i32_const(-1).return_();
            },
            |_| {},
        )
        .global_get(top)
        .table_size(table)
        .binop(BinaryOp::I32GeU)
        .if_else(
            None,
            |grow| {
                grow.ref_null(ty)
                    .table_size(table)
                    .i32_const(GROWTH)
                    .binop(BinaryOp::I32Add)
                    .table_grow(table)
                    .i32_const(-1)
                    .binop(BinaryOp::I32Eq)
                    .if_else(
                        None,
                        |failed| {
                            failed.unreachable();
                        },
                        |_| {},
                    );
            },
            |_| {},
        )
        .global_get(top)
        .local_get(value)
        .table_set(table)
        .global_get(top)
        .global_get(top)
        .i32_const(1)
        .binop(BinaryOp::I32Add)
        .global_set(top);
    builder.finish(vec![value], &mut module.funcs)
}

fn restore_function(
    module: &mut Module,
    n: usize,
    ty: RefType,
    table: TableId,
    top: walrus::GlobalId,
) -> FunctionId {
    let slot = module.locals.add(ValType::I32);
    let value = module.locals.add(ValType::Ref(ty));
    let mut builder = FunctionBuilder::new(&mut module.types, &[ValType::I32], &[ValType::Ref(ty)]);
    builder.name(format!("__rewind_restore_ref_{n}"));
    let mut body = builder.func_body();
    body.local_get(slot)
        .i32_const(-1)
        .binop(BinaryOp::I32Eq)
        .if_else(
            None,
            |then| {
                then.ref_null(ty).return_();
            },
            |_| {},
        )
        .local_get(slot)
        .table_get(table)
        .local_set(value)
        .local_get(slot)
        .ref_null(ty)
        .table_set(table)
        .block(None, |done| {
            let done_id = done.id();
            done.loop_(None, |shrink| {
                let again = shrink.id();
                shrink
                    .global_get(top)
                    .unop(UnaryOp::I32Eqz)
                    .br_if(done_id)
                    .global_get(top)
                    .i32_const(1)
                    .binop(BinaryOp::I32Sub)
                    .table_get(table)
                    .ref_is_null()
                    .unop(UnaryOp::I32Eqz)
                    .br_if(done_id)
                    .global_get(top)
                    .i32_const(1)
                    .binop(BinaryOp::I32Sub)
                    .global_set(top)
                    .br(again);
            });
        })
        .local_get(value);
    builder.finish(vec![slot], &mut module.funcs)
}
