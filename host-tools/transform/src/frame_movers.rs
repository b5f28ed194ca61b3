//! Out-of-line code that reserves, writes, reads and releases frames on the
//! save stack, shared by every function of the module.
//!
//! A frame is a row of runs: up to [`LONGEST`] values of one type at
//! consecutive addresses (`frame.rs` lays them out). Saving one is a call
//! `__rewind_save_T_N(at, v1, ..., vN) -> at'` and restoring one a call
//! `__rewind_restore_T_N(at) -> (at', v1, ..., vN)`, where `at'` is the
//! address past the run: a frame is written by a chain of calls that passes
//! the address along on the operand stack, two bytes a value (`local.get`
//! or `local.set`) where an inline store or load takes about seven.
//!
//! The first run of a frame also moves the stack position: its helpers
//! take the frame's size instead of an address. `__rewind_push_T_N(size,
//! v1..vN) -> at'` reserves the frame (checking for room and trapping in
//! the overflow function without it, before anything is written) and
//! writes the run at its start; `__rewind_pop_T_N(size) -> (at', v1..vN)`
//! releases the top frame and reads the run at its start. So a frame costs
//! one call fewer each way than a separate push or pop would. Two plain
//! movers remain for the frames that need them, `__rewind_frame_push(size)
//! -> start` (a first run holding references: their side-table slots are
//! taken only once the frame fits) and `__rewind_frame_pop(size) -> start`
//! (frames read back by inline loads, `--no-multivalue`). All of them run
//! only while unwinding or rewinding.
//!
//! ```text
//! save_T_N(at, v1..vN):      store v_i at at + (i-1)*size(T); at + N*size(T)
//! push_T_N(size, v1..vN):    at = reserve(size); save_T_N(at, v1..vN)
//! restore_T_N(at):           at + N*size(T), load at, ..., load at + (N-1)*size(T)
//! pop_T_N(size):             at = release(size); restore_T_N(at)
//! ```

use std::collections::HashMap;

use walrus::ir::BinaryOp;
use walrus::{FunctionBuilder, FunctionId, InstrSeqBuilder, LocalId, Module, ValType};

use crate::abi;
use crate::abi_state::Abi;

/// The most values one helper moves.
pub(crate) const LONGEST: usize = 8;

/// What a helper moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Mover {
    /// Reserve a frame: `__rewind_frame_push(size) -> start`.
    Push,
    /// Release the top frame: `__rewind_frame_pop(size) -> start`.
    Pop,
    /// Write a run of `n` values of `ty` (`__rewind_save_T_N`); with
    /// `first`, reserve the frame first (`__rewind_push_T_N`).
    Save { ty: ValType, n: usize, first: bool },
    /// Read a run of `n` values of `ty` (`__rewind_restore_T_N`); with
    /// `first`, release the frame first (`__rewind_pop_T_N`).
    Restore { ty: ValType, n: usize, first: bool },
}

/// The helpers added so far.
#[derive(Debug, Default)]
pub(crate) struct FrameMovers {
    added: HashMap<Mover, FunctionId>,
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
    /// The helper for `mover`, added to `module` on first use.
    pub fn get(&mut self, module: &mut Module, abi: &Abi, mover: Mover) -> FunctionId {
        if let Some(f) = self.added.get(&mover) {
            return *f;
        }
        let f = build(module, abi, mover);
        self.added.insert(mover, f);
        f
    }
}

/// Builds the helper for `mover`.
fn build(module: &mut Module, abi: &Abi, mover: Mover) -> FunctionId {
    let ptr = abi.ptr();
    // The first parameter: a frame size, or the run's address.
    let at = module.locals.add(ptr);
    let (name, values, results) = match mover {
        Mover::Push => (abi::FRAME_PUSH_FUNCTION.to_string(), Vec::new(), vec![ptr]),
        Mover::Pop => (abi::FRAME_POP_FUNCTION.to_string(), Vec::new(), vec![ptr]),
        Mover::Save { ty, n, first } => {
            let verb = if first { "push" } else { "save" };
            let values: Vec<LocalId> = (0..n).map(|_| module.locals.add(ty)).collect();
            (
                format!("__rewind_{verb}_{}_{n}", type_name(ty)),
                values,
                vec![ptr],
            )
        }
        Mover::Restore { ty, n, first } => {
            let verb = if first { "pop" } else { "restore" };
            let mut results = vec![ptr];
            results.extend(std::iter::repeat_n(ty, n));
            (
                format!("__rewind_{verb}_{}_{n}", type_name(ty)),
                Vec::new(),
                results,
            )
        }
    };
    let mut params = vec![ptr];
    params.extend(values.iter().map(|v| module.locals.get(*v).ty()));
    let scratch = [module.locals.add(ptr), module.locals.add(ptr)];
    let mut builder = FunctionBuilder::new(&mut module.types, &params, &results);
    builder.name(name);
    let mut body = builder.func_body();
    match mover {
        Mover::Push => reserve(&mut body, abi, at, scratch),
        Mover::Pop => release(&mut body, abi, at, scratch),
        Mover::Save { ty, n, first } => {
            if first {
                reserve(&mut body, abi, at, scratch);
                body.local_set(at);
            }
            for (i, v) in values.iter().enumerate() {
                body.local_get(at)
                    .local_get(*v)
                    .instr(abi.store(ty, i as u64 * size_of(ty)));
            }
            past(&mut body, abi, at, ty, n);
        }
        Mover::Restore { ty, n, first } => {
            if first {
                release(&mut body, abi, at, scratch);
                body.local_set(at);
            }
            past(&mut body, abi, at, ty, n);
            for i in 0..n {
                body.local_get(at)
                    .instr(abi.load(ty, i as u64 * size_of(ty)));
            }
        }
    }
    let mut args = vec![at];
    args.extend(values);
    builder.finish(args, &mut module.funcs)
}

/// Reserves `size` bytes: traps in the overflow function unless
/// `stack_end - stack_pos >= size` (and `stack_pos <= stack_end`), else
/// advances `stack_pos` by `size` and leaves where it was, the frame's
/// start.
fn reserve(body: &mut InstrSeqBuilder, abi: &Abi, size: LocalId, [data, pos]: [LocalId; 2]) {
    let end = abi::stack_end_offset(abi.memory64);
    let sub = abi.ptr_op(BinaryOp::I32Sub, BinaryOp::I64Sub);
    let lt = abi.ptr_op(BinaryOp::I32LtU, BinaryOp::I64LtU);
    let add = abi.ptr_op(BinaryOp::I32Add, BinaryOp::I64Add);
    let overflow = abi.overflow;
    body.global_get(abi.data)
        .local_tee(data)
        .instr(abi.load_ptr(0))
        .local_set(pos)
        // stack_end - pos < size, or stack_end < pos
        .local_get(data)
        .instr(abi.load_ptr(end))
        .local_get(pos)
        .instr(sub)
        .local_get(size)
        .instr(lt.clone())
        .local_get(data)
        .instr(abi.load_ptr(end))
        .local_get(pos)
        .instr(lt.clone())
        .binop(BinaryOp::I32Or)
        .if_else(
            None,
            |then| {
                then.call(overflow).unreachable();
            },
            |_| {},
        )
        .local_get(data)
        .local_get(pos)
        .local_get(size)
        .instr(add)
        .instr(abi.store_ptr(0))
        .local_get(pos);
}

/// Releases the top `size` bytes: moves `stack_pos` back by `size` and
/// leaves the new value, where the top frame starts.
fn release(body: &mut InstrSeqBuilder, abi: &Abi, size: LocalId, [data, pos]: [LocalId; 2]) {
    body.global_get(abi.data)
        .local_tee(data)
        .local_get(data)
        .instr(abi.load_ptr(0))
        .local_get(size)
        .instr(abi.ptr_op(BinaryOp::I32Sub, BinaryOp::I64Sub))
        .local_tee(pos)
        .instr(abi.store_ptr(0))
        .local_get(pos);
}

/// `at + n * size(ty)`, the address past a run.
fn past(body: &mut InstrSeqBuilder, abi: &Abi, at: LocalId, ty: ValType, n: usize) {
    body.local_get(at)
        .instr(abi.ptr_const(n as u64 * size_of(ty)))
        .instr(abi.ptr_op(BinaryOp::I32Add, BinaryOp::I64Add));
}

fn type_name(ty: ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F64 => "f64",
        ValType::F32 => "f32",
        ValType::V128 => "v128",
        ValType::Ref(_) => unreachable!("references are saved as their side-table index"),
    }
}
