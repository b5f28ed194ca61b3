//! Out-of-line code that writes or reads a run of same-typed values in a
//! frame, shared by every function of the module.
//!
//! A frame is a row of runs: up to [`LONGEST`] values of one type at
//! consecutive addresses (`frame.rs` lays them out). Saving one is a call
//! `__rewind_save_T_N(at, v1, ..., vN) -> at'` and restoring one a call
//! `__rewind_restore_T_N(at) -> (at', v1, ..., vN)`, where `at'` is the
//! address past the run: a frame is written by a chain of calls that passes
//! the address along on the operand stack, two bytes a value (`local.get`
//! or `local.set`) where an inline store or load takes about seven. Both run
//! only while unwinding or rewinding.
//!
//! ```text
//! save_T_N(at, v1..vN):  store v_i at at + (i-1)*size(T); at + N*size(T)
//! restore_T_N(at):       at + N*size(T), load at, ..., load at + (N-1)*size(T)
//! ```

use std::collections::HashMap;

use walrus::ir::BinaryOp;
use walrus::{FunctionBuilder, FunctionId, Module, ValType};

use crate::abi_state::Abi;

/// The most values one helper moves.
pub(crate) const LONGEST: usize = 8;

/// The helpers added so far, by value type, run length and direction
/// (`true`: save).
#[derive(Debug, Default)]
pub(crate) struct FrameMovers {
    added: HashMap<(ValType, usize, bool), FunctionId>,
}

/// Bytes a value of type `ty` takes in a frame (a reference: its `i32`
/// side-table index).
pub(crate) fn size_of(ty: ValType) -> u64 {
    match ty {
        ValType::I32 | ValType::F32 | ValType::Ref(_) => 4,
        ValType::I64 | ValType::F64 => 8,
        ValType::V128 => 16,
    }
}

impl FrameMovers {
    /// `__rewind_save_T_N`, added to `module` on first use.
    pub fn save(&mut self, module: &mut Module, abi: &Abi, ty: ValType, n: usize) -> FunctionId {
        if let Some(f) = self.added.get(&(ty, n, true)) {
            return *f;
        }
        let at = module.locals.add(abi.ptr());
        let values: Vec<_> = (0..n).map(|_| module.locals.add(ty)).collect();
        let mut params = vec![abi.ptr()];
        params.extend(std::iter::repeat_n(ty, n));
        let mut builder = FunctionBuilder::new(&mut module.types, &params, &[abi.ptr()]);
        builder.name(format!("__rewind_save_{}_{n}", type_name(ty)));
        let mut body = builder.func_body();
        for (i, v) in values.iter().enumerate() {
            body.local_get(at)
                .local_get(*v)
                .instr(abi.store(ty, i as u64 * size_of(ty)));
        }
        body.local_get(at)
            .instr(abi.ptr_const(n as u64 * size_of(ty)))
            .instr(abi.ptr_op(BinaryOp::I32Add, BinaryOp::I64Add));
        let mut args = vec![at];
        args.extend(values);
        let f = builder.finish(args, &mut module.funcs);
        self.added.insert((ty, n, true), f);
        f
    }

    /// `__rewind_restore_T_N`, added to `module` on first use.
    pub fn restore(&mut self, module: &mut Module, abi: &Abi, ty: ValType, n: usize) -> FunctionId {
        if let Some(f) = self.added.get(&(ty, n, false)) {
            return *f;
        }
        let at = module.locals.add(abi.ptr());
        let mut results = vec![abi.ptr()];
        results.extend(std::iter::repeat_n(ty, n));
        let mut builder = FunctionBuilder::new(&mut module.types, &[abi.ptr()], &results);
        builder.name(format!("__rewind_restore_{}_{n}", type_name(ty)));
        let mut body = builder.func_body();
        body.local_get(at)
            .instr(abi.ptr_const(n as u64 * size_of(ty)))
            .instr(abi.ptr_op(BinaryOp::I32Add, BinaryOp::I64Add));
        for i in 0..n {
            body.local_get(at)
                .instr(abi.load(ty, i as u64 * size_of(ty)));
        }
        let f = builder.finish(vec![at], &mut module.funcs);
        self.added.insert((ty, n, false), f);
        f
    }
}

fn type_name(ty: ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(_) => unreachable!("references are saved as their side-table index"),
    }
}
