//! One function's frame in the save stack: its layout, the code that pushes
//! it on unwind and the code that pops it on rewind (the helper of the
//! frame's first run moves the stack position too, checking for room on
//! the way out: `frame_movers.rs`).
//!
//! Layout: the saved locals, 16- and 8-byte values first so they stay
//! naturally aligned when the frame start is, then 4-byte values, then the
//! `i32` call-site number (when the rewind reads it: `site_numbers.rs`),
//! then, for a function involved in tail calls
//! kept across a suspension, its `i32` tag (`tail_calls.rs`): the last
//! word of the frame, where a rewind can read it. A reference is saved as
//! the `i32` index of its slot in the side table for its type
//! (`side_tables.rs`). Values of one stored type sit together, so the frame
//! is a row of runs that the shared helpers of `frame_movers.rs` write and
//! read: the code of a frame is a chain of their calls. The frame size is a
//! compile-time constant of the function.

use std::collections::HashMap;

use walrus::ir::{Call, Drop, Instr, LocalGet, LocalSet, RefAsNonNull};
use walrus::{FunctionId, LocalId, Module, RefType, ValType};

use crate::abi_state::Abi;
use crate::frame_movers::{FrameMovers, LONGEST, Mover, size_of};
use crate::ir::{Code, at, i32_const, nullable};
use crate::side_tables::SideTable;

/// One value in the frame.
#[derive(Debug, Clone, Copy)]
enum Value {
    /// A saved local; a reference goes through its side table.
    Local {
        local: LocalId,
        side: Option<(SideTable, bool)>,
    },
    /// The call-site number, kept in this local.
    Site(LocalId),
    /// The tail-call tag: written, never read back into a local.
    Tag(u32),
}

/// A run of values of one stored type, moved by one helper each way.
#[derive(Debug)]
struct Run {
    values: Vec<Value>,
    ty: ValType,
    save: FunctionId,
}

/// How a frame is read back on rewind.
#[derive(Debug)]
enum Restore {
    /// By a restore helper per run, which returns the run's values
    /// (multi-value).
    Helpers(Vec<FunctionId>),
    /// By `__rewind_frame_pop` and inline loads from the frame's start,
    /// kept in this local.
    Loads { pop: FunctionId, start: LocalId },
}

/// The frame of one function.
#[derive(Debug)]
pub(crate) struct Frame {
    runs: Vec<Run>,
    /// `__rewind_frame_push`, when the first run's helper does not reserve
    /// the frame itself (it holds references: their side-table slots are
    /// taken only once the frame fits).
    push: Option<FunctionId>,
    restore: Restore,
    saved: usize,
    size: u64,
}

/// The order of stored types in a frame: by size, largest first.
fn rank(ty: ValType) -> (std::cmp::Reverse<u64>, u8) {
    let kind = match ty {
        ValType::V128 => 0,
        ValType::I64 => 1,
        ValType::F64 => 2,
        ValType::F32 => 3,
        _ => 4,
    };
    (std::cmp::Reverse(size_of(ty)), kind)
}

impl Frame {
    /// Lays out a frame for `saved`, with `tag` last if given; `side`
    /// gives the side table of each reference type (nullable form) among
    /// them. Adds the helpers the frame needs to `module`; with
    /// `multivalue` false the frame is restored by inline loads instead of
    /// helpers that return several values.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        saved: &[LocalId],
        site: Option<LocalId>,
        tag: Option<u32>,
        abi: &Abi,
        module: &mut Module,
        side: &HashMap<RefType, SideTable>,
        movers: &mut FrameMovers,
        multivalue: bool,
    ) -> Frame {
        let mut values: Vec<(ValType, Value)> = saved
            .iter()
            .map(|&local| match module.locals.get(local).ty() {
                ValType::Ref(r) => {
                    let side = Some((side[&nullable(r)], r.nullable));
                    (ValType::I32, Value::Local { local, side })
                }
                ty => (ty, Value::Local { local, side: None }),
            })
            .collect();
        values.sort_by_key(|(ty, value)| match value {
            Value::Local { local, .. } => (rank(*ty), local.index()),
            Value::Site(_) | Value::Tag(_) => (rank(*ty), usize::MAX),
        });
        if let Some(site) = site {
            values.push((ValType::I32, Value::Site(site)));
        }
        if let Some(tag) = tag {
            values.push((ValType::I32, Value::Tag(tag)));
        }
        let size = values.iter().map(|(ty, _)| size_of(*ty)).sum();
        let mut runs = Vec::new();
        let mut restorers = Vec::new();
        let mut push = None;
        for group in values.chunk_by(|a, b| a.0 == b.0) {
            let ty = group[0].0;
            for chunk in group.chunks(LONGEST) {
                // The first run's helpers reserve and release the frame.
                let first = runs.is_empty();
                let references = chunk
                    .iter()
                    .any(|(_, v)| matches!(v, Value::Local { side: Some(_), .. }));
                if first && references {
                    push = Some(movers.get(module, abi, Mover::Push));
                }
                runs.push(Run {
                    values: chunk.iter().map(|(_, v)| *v).collect(),
                    ty,
                    save: movers.get(
                        module,
                        abi,
                        Mover::Save {
                            ty,
                            n: chunk.len(),
                            first: first && !references,
                        },
                    ),
                });
                if multivalue {
                    let n = chunk.len();
                    restorers.push(movers.get(module, abi, Mover::Restore { ty, n, first }));
                }
            }
        }
        let restore = if multivalue || runs.is_empty() {
            Restore::Helpers(restorers)
        } else {
            Restore::Loads {
                pop: movers.get(module, abi, Mover::Pop),
                start: module.locals.add(abi.ptr()),
            }
        };
        Frame {
            runs,
            push,
            restore,
            saved: saved.len(),
            size,
        }
    }

    /// Bytes the frame takes in the save stack.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Number of saved locals.
    pub fn saved(&self) -> usize {
        self.saved
    }

    /// Pops the frame and restores the locals and the call-site number,
    /// for code that runs only while rewinding. An empty frame needs
    /// nothing.
    pub fn restore_unguarded(&self, abi: &Abi) -> Code {
        if self.runs.is_empty() {
            return Vec::new();
        }
        let mut body = vec![at(abi.ptr_const(self.size()))];
        match &self.restore {
            // The first helper releases the frame; its start goes from one
            // helper to the next on the operand stack.
            Restore::Helpers(restorers) => {
                for (run, restorer) in self.runs.iter().zip(restorers) {
                    body.push(at(Instr::Call(Call { func: *restorer })));
                    for value in run.values.iter().rev() {
                        self.restore_value(&mut body, *value);
                    }
                }
                body.push(at(Instr::Drop(Drop {})));
            }
            Restore::Loads { pop, start } => {
                body.push(at(Instr::Call(Call { func: *pop })));
                body.push(at(Instr::LocalSet(LocalSet { local: *start })));
                let mut offset = 0;
                for run in &self.runs {
                    for value in &run.values {
                        if !matches!(value, Value::Tag(_)) {
                            body.push(at(Instr::LocalGet(LocalGet { local: *start })));
                            body.push(at(abi.load(run.ty, offset)));
                            self.restore_value(&mut body, *value);
                        }
                        offset += size_of(run.ty);
                    }
                }
            }
        }
        body
    }

    /// Moves the restored `value`, on top of the operand stack, where it
    /// goes (the tag is read elsewhere: dropped).
    fn restore_value(&self, body: &mut Code, value: Value) {
        match value {
            Value::Local { local, side } => {
                if let Some((table, nullable)) = side {
                    body.push(at(Instr::Call(Call {
                        func: table.restore,
                    })));
                    if !nullable {
                        body.push(at(Instr::RefAsNonNull(RefAsNonNull {})));
                    }
                }
                body.push(at(Instr::LocalSet(LocalSet { local })));
            }
            Value::Site(local) => body.push(at(Instr::LocalSet(LocalSet { local }))),
            Value::Tag(_) => body.push(at(Instr::Drop(Drop {}))),
        }
    }

    /// At the unwind exit: reserve the frame (the first run's helper, or
    /// the plain push before it, checks for room and traps without it, so
    /// nothing is written unless the whole frame fits), write it, and
    /// return `placeholders` (see
    /// `placeholder.rs`). An empty frame takes no room: only the
    /// placeholders.
    pub fn save(&self, abi: &Abi, placeholders: Code) -> Code {
        if self.runs.is_empty() {
            return placeholders;
        }
        let mut code = vec![at(abi.ptr_const(self.size()))];
        if let Some(push) = self.push {
            code.push(at(Instr::Call(Call { func: push })));
        }
        for run in &self.runs {
            for value in &run.values {
                match *value {
                    Value::Local { local, side } => {
                        code.push(at(Instr::LocalGet(LocalGet { local })));
                        if let Some((table, _)) = side {
                            code.push(at(Instr::Call(Call { func: table.save })));
                        }
                    }
                    Value::Site(local) => code.push(at(Instr::LocalGet(LocalGet { local }))),
                    Value::Tag(tag) => code.push(at(i32_const(tag as i32))),
                }
            }
            code.push(at(Instr::Call(Call { func: run.save })));
        }
        code.push(at(Instr::Drop(Drop {})));
        code.extend(placeholders);
        code
    }
}
