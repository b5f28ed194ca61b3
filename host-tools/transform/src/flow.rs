//! Makes every suspending call site resumable.
//!
//! Each instruction sequence that contains a suspending instruction (a
//! suspending call, a fuel check, or a structured instruction around one)
//! is cut into plain code and *pieces*, one per suspending instruction,
//! laid out as a ladder of blocks that a rewind enters at the right rung:
//!
//! ```text
//! block $before2
//!   block $before1
//!     block $before0
//!       if state != NORMAL { br_table $before0 $before1 $before2 (site - lo) }
//!       plain code 0; spill stack
//!     end
//!     piece 0: reload inputs; SUSPENDING; spill outputs
//!     plain code 1 (reloading the stack first); spill stack
//!   end
//!   piece 1 ...
//! end
//! piece 2 ...
//! plain tail, leaving the sequence's results
//! ```
//!
//! In normal state the dispatch costs a global read and an untaken branch
//! per sequence entered, and everything runs in order. While rewinding the
//! dispatch jumps straight to the rung before the piece that holds the
//! recorded site, skipping the plain code before it, so nothing runs twice;
//! after the target call returns the state is normal and the rest runs as
//! usual. A suspending call is followed by its unwind check, which leaves
//! for the function's frame-saving exit with the site number when the
//! state says the callee unwound (`br_if $unwind (k) (state); drop`).
//!
//! Between pieces every operand-stack value lives in a local, so a
//! suspension never loses a value, unless it can be pushed again after the
//! piece: a constant, a local nothing overwrites in between (also one a
//! `local.tee` just wrote), or a small pure integer expression of those
//! (`x < 2`, `x - 1`, `i32.eqz x`; see `recompute.rs`), which is then
//! computed where the value is used instead of before the boundary. Call sites are numbered in depth-first order, so each piece
//! covers a contiguous range of site numbers, and the sequence's pieces
//! together a contiguous range `lo..`. An `if` around a suspending call is
//! entered with its condition spilled or recomputed from locals its arms
//! do not write, both saved with the frame, so the rewind takes the same
//! arm and its own dispatch goes on from there.
//!
//! The rewrite walks the nesting with an explicit stack of sequences being
//! cut ([`Cutting`]), not with native recursion, so a function nested a
//! million blocks deep costs heap, not stack.

use walrus::ir::{
    BinaryOp, Binop, Block, Br, BrIf, BrTable, Call, Drop, GlobalGet, Instr, InstrLocId,
    InstrSeqId, InstrSeqType, LegacyCatch, LocalGet, LocalSet, UnaryOp, Unop, Unreachable,
};
use walrus::{GlobalId, LocalFunction, LocalId, ModuleLocals, ValType};

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::guards::Guards;
use crate::hints::Hints;
use crate::ir::{Code, Target, at, callee, children, i32_const, if_then, sequences_from};
use crate::operand_types::{Stack, StackTyper, TypeContext, instr_name};
use crate::recompute::{self, Origin, Source};
use crate::suspend::Suspends;
use crate::writes::LocalWrites;

/// The rewrite of one function.
pub(crate) struct Flow<'a> {
    ctx: &'a TypeContext,
    locals: &'a mut ModuleLocals,
    suspends: &'a Suspends<'a>,
    /// `__asyncify_state`.
    state: GlobalId,
    /// The local holding the call-site number.
    site: LocalId,
    /// The label a branch to which starts saving the frame.
    unwind: InstrSeqId,
    /// The function's name, for diagnostics.
    name: &'a str,
    /// Imported functions: a repeated call to one reaches the host.
    imports: &'a HashSet<walrus::FunctionId>,
    /// Fuel checks of a metered module (see [`Flow::check_piece`]).
    hints: &'a Hints,
    /// Which locals each nested instruction writes.
    writes: LocalWrites,
    /// The function's loop bodies (a branch to one carries its parameters).
    loops: HashSet<InstrSeqId>,
    resume_in_catch: Option<walrus::FunctionId>,
    /// What the rewrite has produced so far.
    out: Rewritten,
}

/// What the rewrite of a function produced, for the phases after it.
#[derive(Debug, Default)]
pub(crate) struct Rewritten {
    /// Number of call sites.
    pub sites: u32,
    /// Locals read while rewinding toward a call site (`if` conditions,
    /// `call_indirect` table indices, arguments of calls that reach the
    /// host): they must be saved with the frame.
    pub rewind_reads: Vec<LocalId>,
    /// The `if`s the rewrite added.
    pub guards: Guards,
}

/// Where the rewrite of one function reads and writes: the module's types
/// and locals, the function's suspending instructions, and the labels and
/// locals the instrumentation set up around the body.
pub(crate) struct FlowContext<'a> {
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
    /// Imported functions: a repeated call to one reaches the host.
    pub imports: &'a HashSet<walrus::FunctionId>,
    /// Fuel checks of a metered module.
    pub hints: &'a Hints,
    /// Where a rewind into a catch handler that could not be moved out of
    /// its `try` traps (see `catches.rs`); present when the module has one.
    pub resume_in_catch: Option<walrus::FunctionId>,
}

impl<'a> Flow<'a> {
    /// Rewrites `body`, the function's original body, which contains a
    /// suspending instruction.
    pub fn run(
        cx: FlowContext<'a>,
        func: &mut LocalFunction,
        body: InstrSeqId,
    ) -> Result<Rewritten> {
        let mut flow = Flow {
            ctx: cx.ctx,
            locals: cx.locals,
            suspends: cx.suspends,
            state: cx.state,
            site: cx.site,
            unwind: cx.unwind,
            name: cx.name,
            imports: cx.imports,
            hints: cx.hints,
            writes: LocalWrites::new(func, body),
            loops: loop_bodies(func, body),
            resume_in_catch: cx.resume_in_catch,
            out: Rewritten::default(),
        };
        let mut stack = vec![flow.start(func, body)?];
        while let Some(cutting) = stack.last_mut() {
            match flow.step(func, cutting)? {
                Step::Next => {}
                Step::Descend(seq) => {
                    let nested = flow.start(func, seq)?;
                    stack.push(nested);
                }
                Step::Done => {
                    let done = stack.pop().expect("the top of the stack");
                    flow.finish(func, done);
                }
            }
        }
        Ok(flow.out)
    }

    /// Starts cutting `seq`, which contains a suspending instruction and
    /// starts with an empty operand stack (or, a catch handler, with the
    /// caught values).
    fn start(&mut self, func: &mut LocalFunction, seq: InstrSeqId) -> Result<Cutting> {
        // Only a catch handler left in its `try` still takes values. Only an
        // exception enters it, never a rewind (see `catches.rs`), so it
        // moves them into locals before anything else.
        let (params, _) = self.ctx.block_signature(func.block(seq).ty);
        let caught: Vec<LocalId> = params.iter().map(|t| self.locals.add(*t)).collect();
        let carried: Vec<Source> = caught.iter().map(|l| Source::local(*l)).collect();
        let old = std::mem::take(&mut func.block_mut(seq).instrs);
        // Where each suspending fuel check's condition starts, and its length.
        let conditions: HashMap<usize, usize> = old
            .iter()
            .enumerate()
            .filter_map(|(i, (instr, _))| match instr {
                Instr::IfElse(c) if self.suspends.is_suspending(instr) => {
                    let n = *self.hints.checks.get(&c.consequent)?;
                    Some((i.checked_sub(n)?, n))
                }
                _ => None,
            })
            .collect();
        Ok(Cutting {
            seq,
            prefix: spill(&caught),
            old: old.into_iter().enumerate(),
            conditions,
            items: Vec::new(),
            segment: Segment::new(self, func, &carried)?,
            pending: None,
        })
    }

    /// One step of cutting the sequence on top of the stack: finish the
    /// pending piece once its nested sequences are done, or take the next
    /// instruction.
    fn step(&mut self, func: &mut LocalFunction, c: &mut Cutting) -> Result<Step> {
        if let Some(pending) = &mut c.pending {
            if let Some(next) = pending.nested.pop() {
                pending.starts.push((next, self.out.sites));
                return Ok(Step::Descend(next));
            }
            let pending = c.pending.take().expect("checked above");
            self.finish_piece(func, c, pending)?;
            return Ok(Step::Next);
        }
        let Some((i, (instr, loc))) = c.old.next() else {
            return Ok(Step::Done);
        };
        if let Some(&n) = c.conditions.get(&i) {
            let mut check = vec![(instr, loc)];
            check.extend(c.old.by_ref().take(n).map(|(_, code)| code));
            self.check_piece(c, check)?;
            return Ok(Step::Next);
        }
        if !self.suspends.is_suspending(&instr) {
            c.segment.push(self, func, instr, loc)?;
            return Ok(Step::Next);
        }
        let inputs_len = self.inputs(func, &instr);
        let segment = std::mem::take(&mut c.segment);
        let clobbered = segment.origins_written(|l| self.writes.writes(&instr, l));
        let sources = segment.spill(self, &mut c.items, inputs_len, &clobbered)?;
        let (persist, inputs) = sources.split_at(sources.len() - inputs_len);
        let results = self.results(func, &instr);
        let outputs: Vec<LocalId> = results.iter().map(|t| self.locals.add(*t)).collect();
        let first = self.out.sites;
        let nested = match &instr {
            _ if callee(&instr).is_some() => {
                let piece = self.call_piece(instr, loc, inputs, &outputs);
                c.items.push(piece);
                c.segment = Segment::new(self, func, &carried(persist, &outputs))?;
                return Ok(Step::Next);
            }
            Instr::IfElse(i) => {
                if let Some(condition) = inputs.last() {
                    self.out.rewind_reads.extend(condition.locals());
                }
                [i.alternative, i.consequent]
                    .into_iter()
                    .filter(|arm| self.suspends.contains(*arm))
                    .collect()
            }
            Instr::Block(b) => vec![b.seq],
            Instr::Loop(l) => vec![l.seq],
            Instr::TryTable(t) => vec![t.seq],
            // The body, then the handlers still inside (those that rethrow
            // their exception; see `catches.rs`).
            Instr::Try(t) => std::iter::once(t.seq)
                .chain(t.catches.iter().filter_map(|c| match c {
                    LegacyCatch::Catch { handler, .. } | LegacyCatch::CatchAll { handler } => {
                        Some(*handler)
                    }
                    LegacyCatch::Delegate { .. } => None,
                }))
                .filter(|seq| self.suspends.contains(*seq))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect(),
            other => {
                return Err(Error::Unsupported {
                    function: self.name.to_string(),
                    construct: format!("`{}` around a suspending call", instr_name(other)),
                });
            }
        };
        c.pending = Some(Pending {
            kind: PendingKind::Structured {
                instr,
                loc,
                inputs: inputs.to_vec(),
                outputs,
                first,
            },
            persist: persist.to_vec(),
            nested,
            starts: Vec::new(),
        });
        Ok(Step::Next)
    }

    /// Ends the cutting of a sequence: lays out the ladder (see the module
    /// doc). After the last piece the state is normal (the rewind target,
    /// which is inside this sequence, has been passed), so the tail runs as
    /// it is and leaves the results on the stack.
    fn finish(&mut self, func: &mut LocalFunction, mut c: Cutting) {
        let mut items = std::mem::take(&mut c.items);
        if !c.segment.code.is_empty() {
            items.push(Item::Plain(std::mem::take(&mut c.segment.code)));
        }
        let rungs = items.iter().filter(|i| matches!(i, Item::Piece(_))).count();
        let plain_first = matches!(items.first(), Some(Item::Plain(_)));
        let traps = items
            .iter()
            .any(|i| matches!(i, Item::Piece(p) if !p.traps.is_empty()));
        // A rewind must skip the code before the first piece, with several
        // pieces pick one, and stop short of a catch handler it cannot
        // enter: a dispatch at the bottom of the ladder.
        let dispatched = rungs > 1 || plain_first || traps;
        let rung_seqs: Vec<InstrSeqId> = if dispatched {
            (0..rungs)
                .map(|_| {
                    func.builder_mut()
                        .dangling_instr_seq(InstrSeqType::Simple(None))
                        .id()
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut current: Code = if dispatched {
            self.dispatch(func, &items, &rung_seqs)
        } else {
            Vec::new()
        };
        let mut rung = 0;
        for item in items {
            match item {
                Item::Plain(code) => current.extend(code),
                Item::Piece(piece) => {
                    if dispatched {
                        // The rung below this piece ends here.
                        let seq = rung_seqs[rung];
                        func.block_mut(seq).instrs = std::mem::take(&mut current);
                        current.push(at(Instr::Block(Block { seq })));
                        rung += 1;
                    }
                    current.extend(piece.code);
                }
            }
        }
        let mut out = c.prefix;
        out.extend(current);
        func.block_mut(c.seq).instrs = out;
    }

    /// `if state != NORMAL { br_table rungs[piece of site] (site - lo) }`:
    /// the rewind's way to the rung below the piece holding its site. A
    /// site inside a catch handler that stayed in its `try` traps instead.
    fn dispatch(&mut self, func: &mut LocalFunction, items: &[Item], rungs: &[InstrSeqId]) -> Code {
        let pieces: Vec<&PieceCode> = items
            .iter()
            .filter_map(|i| match i {
                Item::Piece(p) => Some(p),
                Item::Plain(_) => None,
            })
            .collect();
        let mut body = Vec::new();
        for piece in &pieces {
            for &(a, b) in &piece.traps {
                let trap = self
                    .resume_in_catch
                    .expect("the trap exists when a handler stays in its try");
                let mut inside = self.site_outside(a, b);
                inside.push(at(Instr::Unop(Unop {
                    op: UnaryOp::I32Eqz,
                })));
                let call = vec![
                    at(Instr::Call(Call { func: trap })),
                    at(Instr::Unreachable(Unreachable {})),
                ];
                body.extend(if_then(func, inside, call));
            }
        }
        let lo = pieces[0].first;
        let span = (pieces[pieces.len() - 1].last - lo) as usize + 1;
        if pieces.len() == 1 {
            body.push(at(Instr::Br(Br { block: rungs[0] })));
        } else if span <= 2 * pieces.len() {
            // Mostly calls: a table entry per site is small.
            let mut targets = Vec::with_capacity(span);
            for (k, piece) in pieces.iter().enumerate() {
                targets.extend((piece.first..=piece.last).map(|_| rungs[k]));
            }
            body.push(at(Instr::LocalGet(LocalGet { local: self.site })));
            if lo != 0 {
                body.push(at(i32_const(lo as i32)));
                body.push(at(Instr::Binop(Binop {
                    op: BinaryOp::I32Sub,
                })));
            }
            body.push(at(Instr::BrTable(BrTable {
                blocks: targets.into_boxed_slice(),
                default: rungs[0],
            })));
        } else {
            // Pieces holding many sites: a comparison per piece, from the
            // last one down, so the code grows with the pieces, not the
            // sites.
            for (k, piece) in pieces.iter().enumerate().skip(1).rev() {
                body.push(at(Instr::LocalGet(LocalGet { local: self.site })));
                body.push(at(i32_const(piece.first as i32)));
                body.push(at(Instr::Binop(Binop {
                    op: BinaryOp::I32GeU,
                })));
                body.push(at(Instr::BrIf(BrIf { block: rungs[k] })));
            }
            body.push(at(Instr::Br(Br { block: rungs[0] })));
        }
        let test = vec![at(Instr::GlobalGet(GlobalGet { global: self.state }))];
        self.guarded(func, test, body)
    }

    /// Emits a piece whose nested sequences have all been cut.
    fn finish_piece(
        &mut self,
        func: &mut LocalFunction,
        c: &mut Cutting,
        p: Pending,
    ) -> Result<()> {
        match p.kind {
            PendingKind::Structured {
                instr,
                loc,
                inputs,
                outputs,
                first,
            } => {
                // A handler still inside its `try` cannot be re-entered by
                // a rewind: resuming at a site in it traps.
                let handlers: Vec<(u32, u32)> = match &instr {
                    Instr::Try(t) => p
                        .starts
                        .iter()
                        .enumerate()
                        .filter(|(_, (seq, _))| *seq != t.seq)
                        .map(|(i, (_, start))| {
                            let end = p.starts.get(i + 1).map_or(self.out.sites, |n| n.1);
                            (*start, end.saturating_sub(1).max(*start))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let mut code = reload(&inputs);
                code.push((instr, loc));
                code.extend(spill(&outputs));
                let last = self.out.sites.saturating_sub(1).max(first);
                c.items.push(Item::Piece(PieceCode {
                    code,
                    first,
                    last,
                    traps: handlers,
                }));
                c.segment = Segment::new(self, func, &carried(&p.persist, &outputs))?;
            }
            PendingKind::Check { check, first } => {
                let last = self.out.sites.saturating_sub(1).max(first);
                c.items.push(Item::Piece(PieceCode {
                    code: check,
                    first,
                    last,
                    traps: Vec::new(),
                }));
                c.segment = Segment::new(self, func, &p.persist)?;
            }
        }
        Ok(())
    }

    /// A fuel check: `counter -= cost; counter < 0; if { store; call
    /// $out_of_fuel; reload }`, where `check` is the condition code and the
    /// `if`: a piece of its own, so that in normal state the condition is
    /// the whole cost of a check. The counter is saved with the frame, so a
    /// rewind toward this check finds it still negative and enters the
    /// `if`, whose own ladder leads to the call. The condition only touches
    /// the counter, so running it again during the rewind changes nothing
    /// else.
    fn check_piece(&mut self, c: &mut Cutting, check: Code) -> Result<()> {
        let Some((if_instr @ Instr::IfElse(i), _)) = check.last() else {
            unreachable!("a fuel check ends with its `if`")
        };
        let consequent = i.consequent;
        let mut teed = HashSet::new();
        for (instr, _) in &check {
            match instr {
                Instr::LocalGet(l) => self.out.rewind_reads.push(l.local),
                Instr::LocalTee(l) => {
                    self.out.rewind_reads.push(l.local);
                    teed.insert(l.local);
                }
                _ => {}
            }
        }
        let segment = std::mem::take(&mut c.segment);
        let clobbered =
            segment.origins_written(|l| teed.contains(&l) || self.writes.writes(if_instr, l));
        let persist = segment.spill(self, &mut c.items, 0, &clobbered)?;
        c.pending = Some(Pending {
            kind: PendingKind::Check {
                check,
                first: self.out.sites,
            },
            persist,
            nested: vec![consequent],
            starts: Vec::new(),
        });
        Ok(())
    }

    fn typer<'f>(&'f self, func: &'f LocalFunction) -> StackTyper<'f> {
        StackTyper {
            ctx: self.ctx,
            locals: self.locals,
            seq_type: Box::new(move |s| func.block(s).ty),
            loops: &self.loops,
        }
    }

    /// How many operand-stack values the suspending instruction consumes.
    fn inputs(&self, func: &LocalFunction, instr: &Instr) -> usize {
        if let Some(site) = callee(instr) {
            return self.ctx.call_signature(&site).0.len() + site.extra_operands();
        }
        let condition = usize::from(matches!(instr, Instr::IfElse(_)));
        self.block_signature(func, instr).0.len() + condition
    }

    fn results(&self, func: &LocalFunction, instr: &Instr) -> Vec<ValType> {
        if let Some(site) = callee(instr) {
            return self.ctx.call_signature(&site).1.to_vec();
        }
        self.block_signature(func, instr).1
    }

    /// Parameters and results of a structured instruction (its first
    /// nested sequence: the body, or an `if`'s `then`).
    fn block_signature(&self, func: &LocalFunction, instr: &Instr) -> (Vec<ValType>, Vec<ValType>) {
        match children(instr).next() {
            Some(seq) => self.ctx.block_signature(func.block(seq).ty),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// The piece of one suspending call.
    fn call_piece(
        &mut self,
        instr: Instr,
        loc: InstrLocId,
        inputs: &[Source],
        outputs: &[LocalId],
    ) -> Item {
        let site = self.out.sites;
        // The repeated call during a rewind gets the original arguments, as
        // with Binaryen: a host may look at them again. Instrumented callees
        // restore their own locals instead, so only calls that may reach
        // the host keep them.
        let reaches_host = match callee(&instr).map(|c| c.target) {
            Some(Target::Func(f)) => self.imports.contains(&f),
            _ => true,
        };
        if reaches_host {
            self.out
                .rewind_reads
                .extend(inputs.iter().flat_map(|s| s.locals()));
        }
        self.out.sites += 1;
        let mut code = reload(inputs);
        code.push((instr, loc));
        code.extend(self.unwind_check(site));
        code.extend(spill(outputs));
        Item::Piece(PieceCode {
            code,
            first: site,
            last: site,
            traps: Vec::new(),
        })
    }

    /// `test; if { body }`, recorded as a rewind dispatch.
    fn guarded(&mut self, func: &mut LocalFunction, test: Code, body: Code) -> Code {
        let condition_len = test.len();
        let code = if_then(func, test, body);
        if let Some((Instr::IfElse(g), _)) = code.last() {
            self.out.guards.record(g.consequent, condition_len);
        }
        code
    }

    /// `site not in first..=last`.
    fn site_outside(&self, first: u32, last: u32) -> Code {
        let mut code = vec![at(Instr::LocalGet(LocalGet { local: self.site }))];
        if first == last {
            code.push(at(i32_const(first as i32)));
            code.push(at(Instr::Binop(Binop {
                op: BinaryOp::I32Ne,
            })));
        } else {
            code.push(at(i32_const(first as i32)));
            code.push(at(Instr::Binop(Binop {
                op: BinaryOp::I32Sub,
            })));
            code.push(at(i32_const((last - first) as i32)));
            code.push(at(Instr::Binop(Binop {
                op: BinaryOp::I32GtU,
            })));
        }
        code
    }

    /// After a suspending call: if it started an unwind, leave for the
    /// frame-saving exit with the site number. A call returns in normal
    /// state or unwinding (a rewind always ends before the rewound call
    /// returns, and an overflowing unwind traps), so the state itself is the
    /// test: `br_if $unwind (k) (state); drop`. The number rides on the
    /// branch and the exit stores it (`site_numbers.rs`); in normal state it
    /// is dropped, a byte less than storing it, and no `if` around it.
    fn unwind_check(&self, site: u32) -> Code {
        vec![
            at(i32_const(site as i32)),
            at(Instr::GlobalGet(GlobalGet { global: self.state })),
            at(Instr::BrIf(BrIf { block: self.unwind })),
            at(Instr::Drop(Drop {})),
        ]
    }
}

/// What a cut sequence is made of, in order.
enum Item {
    /// Plain code: runs in normal state only, skipped by a rewind.
    Plain(Code),
    /// The code of one suspending instruction.
    Piece(PieceCode),
}

/// One piece and the call sites inside it.
struct PieceCode {
    code: Code,
    first: u32,
    last: u32,
    /// Site ranges inside catch handlers that stayed in their `try`: a
    /// rewind toward one traps (see `catches.rs`).
    traps: Vec<(u32, u32)>,
}

/// A sequence being cut into pieces.
struct Cutting {
    seq: InstrSeqId,
    /// Code before the ladder: a catch handler's caught values into locals.
    prefix: Code,
    /// The original instructions not taken yet, with their positions.
    old: std::iter::Enumerate<std::vec::IntoIter<(Instr, InstrLocId)>>,
    /// Where each suspending fuel check's condition starts, and its length.
    conditions: HashMap<usize, usize>,
    /// The plain code and pieces so far.
    items: Vec<Item>,
    /// The plain code since the last suspending instruction.
    segment: Segment,
    /// The suspending instruction whose nested sequences are being cut.
    pending: Option<Pending>,
}

/// A suspending instruction waiting for its nested sequences.
struct Pending {
    kind: PendingKind,
    /// The values below its inputs, carried past it.
    persist: Vec<Source>,
    /// Nested sequences still to cut, the next one last.
    nested: Vec<InstrSeqId>,
    /// The nested sequences cut so far, each with its first call site.
    starts: Vec<(InstrSeqId, u32)>,
}

enum PendingKind {
    /// A block, loop, `if`, `try` or `try_table` around call sites.
    Structured {
        instr: Instr,
        loc: InstrLocId,
        inputs: Vec<Source>,
        outputs: Vec<LocalId>,
        /// Its first call site.
        first: u32,
    },
    /// A fuel check (see [`Flow::check_piece`]), and its first call site.
    Check { check: Code, first: u32 },
}

/// What the walk does next.
enum Step {
    /// Keep cutting the sequence on top of the stack.
    Next,
    /// Cut a nested sequence first.
    Descend(InstrSeqId),
    /// The sequence on top of the stack is done.
    Done,
}

/// The values carried past a suspending instruction: those below its
/// inputs, then its results.
fn carried(persist: &[Source], outputs: &[LocalId]) -> Vec<Source> {
    persist
        .iter()
        .copied()
        .chain(outputs.iter().map(|l| Source::local(*l)))
        .collect()
}

/// The loop bodies under `root`.
fn loop_bodies(func: &LocalFunction, root: InstrSeqId) -> HashSet<InstrSeqId> {
    let mut loops = HashSet::new();
    for seq in sequences_from(func, root) {
        for (instr, _) in &func.block(seq).instrs {
            if let Instr::Loop(l) = instr {
                loops.insert(l.seq);
            }
        }
    }
    loops
}

fn reload(sources: &[Source]) -> Code {
    sources.iter().flat_map(|s| s.code()).collect()
}

fn spill(locals: &[LocalId]) -> Code {
    locals
        .iter()
        .rev()
        .map(|l| at(Instr::LocalSet(LocalSet { local: *l })))
        .collect()
}

/// A run of non-suspending instructions being collected, with the operand
/// stack it builds. It starts by pushing the values carried over from the
/// previous piece, so reloads and original code are treated alike.
#[derive(Default)]
struct Segment {
    code: Code,
    stack: Stack,
    /// For each stack slot: how it was pushed, if that is a `local.get`, a
    /// constant or a recomputable expression of them whose value is still
    /// what the slot holds and which nothing else has read. Such code can be
    /// deleted and the value pushed again later instead of going through a
    /// fresh local.
    origins: Vec<Option<Origin>>,
}

impl Segment {
    fn new(flow: &Flow, func: &LocalFunction, carried: &[Source]) -> Result<Segment> {
        let mut segment = Segment {
            code: Vec::new(),
            stack: Stack::default(),
            origins: Vec::new(),
        };
        for source in carried {
            for (instr, loc) in source.code() {
                segment.push(flow, func, instr, loc)?;
            }
        }
        Ok(segment)
    }

    fn push(
        &mut self,
        flow: &Flow,
        func: &LocalFunction,
        instr: Instr,
        loc: InstrLocId,
    ) -> Result<()> {
        let before = self.stack.len();
        // The origins of the values the instruction takes, if it may
        // compute a recomputable value from them.
        let operands: Option<Vec<Origin>> = match &instr {
            Instr::Unop(_) | Instr::Binop(_) => {
                let n = if matches!(instr, Instr::Unop(_)) {
                    1
                } else {
                    2
                };
                before
                    .checked_sub(n)
                    .and_then(|from| self.origins.get(from..before))
                    .and_then(|o| o.iter().copied().collect())
            }
            _ => None,
        };
        self.stack.take_low();
        flow.typer(func)
            .apply(&instr, &mut self.stack)
            .map_err(|e| Error::Unsupported {
                function: flow.name.to_string(),
                construct: format!("{} in a block that contains a suspending call", e.0),
            })?;
        let low = self.stack.take_low();
        self.origins.truncate(low);
        self.origins.resize(self.stack.len(), None);
        let index = self.code.len();
        let pushed_one = low == before && self.stack.len() == before + 1;
        match &instr {
            Instr::LocalGet(_) | Instr::Const(_) if pushed_one => {
                self.origins[before] = Origin::pushed(index, &instr);
            }
            Instr::Unop(_) | Instr::Binop(_) => {
                self.origins[low] =
                    operands.and_then(|operands| Origin::operation(index, &instr, &operands));
            }
            Instr::LocalSet(l) => self.forget_local(l.local),
            Instr::LocalTee(l) => {
                // The value left is the local's: pushed again from it
                // while nothing writes the local.
                self.forget_local(l.local);
                if let Some(top) = self.origins.last_mut() {
                    *top = Some(Origin::teed(index, l.local));
                }
            }
            // A taken conditional branch carries the values below its
            // operand to its label: they are read there.
            Instr::BrIf(_)
            | Instr::BrOnNull(_)
            | Instr::BrOnNonNull(_)
            | Instr::BrOnCast(_)
            | Instr::BrOnCastFail(_) => self.origins.iter_mut().for_each(|o| *o = None),
            _ => {
                for l in self.origins_written(|l| flow.writes.writes(&instr, l)) {
                    self.forget_local(l);
                }
            }
        }
        self.code.push((instr, loc));
        Ok(())
    }

    /// The locals some stack value was pushed from that `written` says are
    /// overwritten.
    fn origins_written(&self, written: impl Fn(LocalId) -> bool) -> HashSet<LocalId> {
        self.origins
            .iter()
            .flatten()
            .flat_map(Origin::locals)
            .filter(|l| written(*l))
            .collect()
    }

    fn forget_local(&mut self, local: LocalId) {
        for origin in self.origins.iter_mut() {
            if origin.is_some_and(|o| o.reads(local)) {
                *origin = None;
            }
        }
    }

    /// Ends the segment before a suspending instruction that consumes
    /// `inputs` values and overwrites the locals in `clobbered`: adds the
    /// segment, with the spills, to `items` as plain code and returns where
    /// each stack value now lives.
    fn spill(
        self,
        flow: &mut Flow,
        items: &mut Vec<Item>,
        inputs: usize,
        clobbered: &HashSet<LocalId>,
    ) -> Result<Vec<Source>> {
        if self.stack.len() < inputs {
            return Err(Error::Unsupported {
                function: flow.name.to_string(),
                construct: "operand stack underflow at a suspending call".into(),
            });
        }
        let mut edits = HashMap::new();
        let mut sources = Vec::with_capacity(self.stack.len());
        let mut spills = Vec::new();
        for (ty, origin) in self.stack.types().iter().zip(&self.origins) {
            // A value still needed after the instruction, or read again on
            // the way back to a call inside it (an `if` condition), must not
            // live in a local the instruction overwrites.
            let kept = |o: &Origin| !o.locals().any(|l| clobbered.contains(&l));
            match origin {
                Some(origin) if kept(origin) => {
                    edits.extend(origin.edits().iter().copied());
                    sources.push(origin.source());
                }
                _ => {
                    let local = flow.locals.add(*ty);
                    spills.push(local);
                    sources.push(Source::local(local));
                }
            }
        }
        let mut body: Code = self
            .code
            .into_iter()
            .enumerate()
            .filter_map(|(i, (instr, loc))| match edits.get(&i) {
                Some(edit) => recompute::apply(*edit, instr).map(|instr| (instr, loc)),
                None => Some((instr, loc)),
            })
            .collect();
        body.extend(spill(&spills));
        if !body.is_empty() {
            items.push(Item::Plain(body));
        }
        Ok(sources)
    }
}
