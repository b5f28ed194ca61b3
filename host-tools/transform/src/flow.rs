//! Makes every suspending call site resumable.
//!
//! Each instruction sequence that contains a suspending instruction (a
//! suspending call, or a block/loop/`if` around one) is cut into pieces:
//!
//! ```text
//! if state == NORMAL                   { reload stack; segment; spill stack }
//! if state == NORMAL || site in lo..=hi { reload inputs; SUSPENDING; spill outputs }
//! if state == NORMAL                   { reload stack; segment; spill stack }
//! ...
//! reload the sequence's results
//! ```
//!
//! Between pieces every operand-stack value lives in a fresh local, so a
//! suspension never loses a value, and while rewinding every plain segment
//! is skipped: nothing runs twice. Call sites are numbered in depth-first
//! order, so each block covers a contiguous range of site numbers and the
//! rewind enters exactly the blocks on the path to the recorded site. An
//! `if` around a suspending call is entered with its spilled condition,
//! which is saved with the frame, so the rewind takes the same arm. After a
//! suspending call returns, a state test sends an unwind to the function's
//! exit with the site number recorded.

use walrus::ir::{
    BinaryOp, Binop, Br, GlobalGet, Instr, InstrLocId, InstrSeqId, LocalGet, LocalSet, UnaryOp,
    Unop, Unreachable,
};
use walrus::{GlobalId, LocalFunction, LocalId, ModuleLocals, ValType};

use std::collections::HashSet;

use crate::abi;
use crate::error::{Error, Result};
use crate::ir::{Code, at, i32_const, if_then};
use crate::stack::{StackTyper, TypeContext};
use crate::suspend::Suspends;

/// The rewrite of one function.
pub(crate) struct Flow<'a> {
    pub ctx: &'a TypeContext,
    pub locals: &'a mut ModuleLocals,
    pub suspends: &'a Suspends<'a>,
    /// `__asyncify_state`.
    pub state: GlobalId,
    /// The local holding the call-site number.
    pub site: LocalId,
    /// The label a branch to which starts saving the frame.
    pub unwind: InstrSeqId,
    /// The function's name, for diagnostics.
    pub name: &'a str,
    /// Number of call sites numbered so far.
    pub sites: u32,
    /// Where each suspending call ended up: its sequence and position.
    pub call_positions: Vec<(InstrSeqId, usize)>,
    /// Locals read while rewinding toward a call site (`if` conditions,
    /// `call_indirect` table indices): they must be saved with the frame.
    pub rewind_reads: Vec<LocalId>,
    /// The `then` sequences of every guard. In normal state every guard is
    /// taken, which is what liveness after a resumed call needs to know.
    pub guards: HashSet<InstrSeqId>,
}

impl Flow<'_> {
    /// Rewrites `seq`, which contains a suspending instruction and starts
    /// with an empty operand stack.
    pub fn rewrite(&mut self, func: &mut LocalFunction, seq: InstrSeqId) -> Result<()> {
        let old = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut out: Code = Vec::new();
        // Locals holding the operand stack at the start of the current segment.
        let mut carried: Vec<LocalId> = Vec::new();
        let mut stack: Vec<ValType> = Vec::new();
        let mut segment: Code = Vec::new();
        let mut diverged = false;

        for (instr, loc) in old {
            if !self.suspends.is_suspending(&instr) {
                let falls_through =
                    self.typer(func)
                        .apply(&instr, &mut stack)
                        .map_err(|e| Error::Unsupported {
                            function: self.name.to_string(),
                            construct: format!(
                                "{} in a block that contains a suspending call",
                                e.0
                            ),
                        })?;
                segment.push((instr, loc));
                diverged |= !falls_through;
                continue;
            }
            let spilled = if segment.is_empty() {
                carried.clone()
            } else {
                let slots: Vec<LocalId> = stack.iter().map(|t| self.locals.add(*t)).collect();
                let mut body = reload(&carried);
                body.append(&mut segment);
                body.extend(spill(&slots));
                out.extend(self.guard(func, self.normal_test(), body));
                slots
            };
            let inputs_len = self.inputs(func, &instr);
            if spilled.len() < inputs_len {
                return Err(Error::Unsupported {
                    function: self.name.to_string(),
                    construct: "operand stack underflow at a suspending call".into(),
                });
            }
            let (persist, inputs) = spilled.split_at(spilled.len() - inputs_len);
            let results = self.results(func, &instr);
            let outputs: Vec<LocalId> = results.iter().map(|t| self.locals.add(*t)).collect();
            let piece = self.suspending_piece(func, instr, loc, inputs, &outputs)?;
            out.extend(piece);
            carried = persist.iter().chain(&outputs).copied().collect();
            stack = carried.iter().map(|l| self.locals.get(*l).ty()).collect();
        }

        if segment.is_empty() {
            out.extend(reload(&carried));
        } else if diverged {
            let mut body = reload(&carried);
            body.append(&mut segment);
            out.extend(self.guard(func, self.normal_test(), body));
            out.push(at(Instr::Unreachable(Unreachable {})));
        } else {
            let slots: Vec<LocalId> = stack.iter().map(|t| self.locals.add(*t)).collect();
            let mut body = reload(&carried);
            body.append(&mut segment);
            body.extend(spill(&slots));
            out.extend(self.guard(func, self.normal_test(), body));
            out.extend(reload(&slots));
        }
        func.block_mut(seq).instrs = out;
        Ok(())
    }

    fn typer<'f>(&'f self, func: &'f LocalFunction) -> StackTyper<'f> {
        StackTyper {
            ctx: self.ctx,
            locals: self.locals,
            seq_type: Box::new(move |s| func.block(s).ty),
        }
    }

    /// How many operand-stack values the suspending instruction consumes.
    fn inputs(&self, func: &LocalFunction, instr: &Instr) -> usize {
        match instr {
            Instr::Call(c) => self.ctx.signature(self.ctx.func_types[&c.func]).0.len(),
            Instr::CallIndirect(c) => self.ctx.signature(c.ty).0.len() + 1,
            Instr::IfElse(i) => {
                self.ctx
                    .block_signature(func.block(i.consequent).ty)
                    .0
                    .len()
                    + 1
            }
            Instr::Block(b) => self.ctx.block_signature(func.block(b.seq).ty).0.len(),
            Instr::Loop(l) => self.ctx.block_signature(func.block(l.seq).ty).0.len(),
            _ => 0,
        }
    }

    fn results(&self, func: &LocalFunction, instr: &Instr) -> Vec<ValType> {
        match instr {
            Instr::Call(c) => self.ctx.signature(self.ctx.func_types[&c.func]).1.to_vec(),
            Instr::CallIndirect(c) => self.ctx.signature(c.ty).1.to_vec(),
            Instr::IfElse(i) => self.ctx.block_signature(func.block(i.consequent).ty).1,
            Instr::Block(b) => self.ctx.block_signature(func.block(b.seq).ty).1,
            Instr::Loop(l) => self.ctx.block_signature(func.block(l.seq).ty).1,
            _ => Vec::new(),
        }
    }

    /// The guarded piece around one suspending instruction.
    fn suspending_piece(
        &mut self,
        func: &mut LocalFunction,
        instr: Instr,
        loc: InstrLocId,
        inputs: &[LocalId],
        outputs: &[LocalId],
    ) -> Result<Code> {
        let first = self.sites;
        let mut body = reload(inputs);
        match &instr {
            Instr::Call(_) | Instr::CallIndirect(_) => {
                if let Instr::CallIndirect(_) = instr {
                    self.rewind_reads.extend(inputs.last().copied());
                }
                self.sites += 1;
                let call_at = body.len();
                body.push((instr, loc));
                body.extend(self.unwind_check(func, first));
                body.extend(spill(outputs));
                let test = self.site_test(first, first);
                let guard = self.guard(func, test, body);
                if let Some((Instr::IfElse(g), _)) = guard.last() {
                    self.call_positions.push((g.consequent, call_at));
                }
                return Ok(guard);
            }
            Instr::IfElse(i) => {
                self.rewind_reads.extend(inputs.last().copied());
                for arm in [i.consequent, i.alternative] {
                    if self.suspends.contains(arm) {
                        self.rewrite(func, arm)?;
                    }
                }
            }
            Instr::Block(b) => self.rewrite(func, b.seq)?,
            Instr::Loop(l) => self.rewrite(func, l.seq)?,
            other => {
                return Err(Error::Unsupported {
                    function: self.name.to_string(),
                    construct: format!(
                        "`{}` around a suspending call",
                        crate::stack::instr_name(other)
                    ),
                });
            }
        }
        body.push((instr, loc));
        body.extend(spill(outputs));
        let last = self.sites.saturating_sub(1).max(first);
        let test = self.site_test(first, last);
        Ok(self.guard(func, test, body))
    }

    /// `test; if { body }`, remembered as a guard.
    fn guard(&mut self, func: &mut LocalFunction, test: Code, body: Code) -> Code {
        let code = if_then(func, test, body);
        if let Some((Instr::IfElse(g), _)) = code.last() {
            self.guards.insert(g.consequent);
        }
        code
    }

    /// `state == NORMAL`.
    fn normal_test(&self) -> Code {
        vec![
            at(Instr::GlobalGet(GlobalGet { global: self.state })),
            at(Instr::Unop(Unop {
                op: UnaryOp::I32Eqz,
            })),
        ]
    }

    /// `state == NORMAL || site in first..=last`.
    fn site_test(&self, first: u32, last: u32) -> Code {
        let mut code = self.normal_test();
        code.push(at(Instr::LocalGet(LocalGet { local: self.site })));
        if first == last {
            code.push(at(i32_const(first as i32)));
            code.push(at(Instr::Binop(Binop {
                op: BinaryOp::I32Eq,
            })));
        } else {
            code.push(at(i32_const(first as i32)));
            code.push(at(Instr::Binop(Binop {
                op: BinaryOp::I32Sub,
            })));
            code.push(at(i32_const((last - first) as i32)));
            code.push(at(Instr::Binop(Binop {
                op: BinaryOp::I32LeU,
            })));
        }
        code.push(at(Instr::Binop(Binop {
            op: BinaryOp::I32Or,
        })));
        code
    }

    /// After a suspending call: if it started an unwind, record the site and
    /// leave for the frame-saving exit.
    fn unwind_check(&self, func: &mut LocalFunction, site: u32) -> Code {
        let test = vec![
            at(Instr::GlobalGet(GlobalGet { global: self.state })),
            at(i32_const(abi::STATE_UNWINDING)),
            at(Instr::Binop(Binop {
                op: BinaryOp::I32Eq,
            })),
        ];
        let leave = vec![
            at(i32_const(site as i32)),
            at(Instr::LocalSet(LocalSet { local: self.site })),
            at(Instr::Br(Br { block: self.unwind })),
        ];
        if_then(func, test, leave)
    }
}

fn reload(locals: &[LocalId]) -> Code {
    locals
        .iter()
        .map(|l| at(Instr::LocalGet(LocalGet { local: *l })))
        .collect()
}

fn spill(locals: &[LocalId]) -> Code {
    locals
        .iter()
        .rev()
        .map(|l| at(Instr::LocalSet(LocalSet { local: *l })))
        .collect()
}
