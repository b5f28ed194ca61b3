//! Which locals are live after each suspending call, and which locals
//! interfere (are live at the same time) in normal-state execution.
//!
//! The rewritten body is flattened into a control-flow graph of basic
//! blocks (with an explicit stack, so nesting depth costs heap, not native
//! stack), then a backward dataflow analysis runs to a fixed point over
//! dense bit sets of the locals the function mentions:
//!
//! * a `block`, `if` or `try` label is the block after its end, a `loop`
//!   label its head; branches to labels outside the body leave the
//!   function;
//! * after a resumed call the state is normal, so the rewind dispatches
//!   ([`Guards`]) are never entered;
//! * what is live at a suspending call's unwind check (the `br_if` to the
//!   frame-saving exit) is what the frame must save;
//! * inside a `try` body or a `try_table`, every instruction that may throw
//!   (a call, `throw`, `throw_ref`, `rethrow`) ends its basic block with
//!   edges to the handlers of every enclosing `try`/`try_table`, which over-
//!   approximates where an exception may land (saving a local too many is
//!   safe, one too few is not).

use rustc_hash::{FxHashMap, FxHashSet};
use walrus::ir::{Instr, InstrSeqId, LegacyCatch, TryTableCatch};
use walrus::{LocalFunction, LocalId};

use crate::guards::Guards;
use crate::ir::{callee, for_each_instr};

/// A set of locals, as bits over the function's dense local numbering.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn insert(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn remove(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w &= !(1 << (i % 64));
        }
    }
    fn union(&mut self, other: &Bits) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}

/// What a basic block does to the locals, in order.
#[derive(Debug, Clone, Copy)]
enum Op {
    Get(usize),
    Set(usize),
    /// Right after a suspending call: what is live here must be saved.
    Point,
}

#[derive(Debug, Default)]
struct BasicBlock {
    ops: Vec<Op>,
    succ: Vec<usize>,
}

/// A sequence being flattened.
struct Frame {
    seq: InstrSeqId,
    pos: usize,
    /// The block to continue in when the frame starts (`None`: the current
    /// one).
    start: Option<usize>,
    /// Where falling off the end goes (`None`: out of the function).
    end: Option<usize>,
    /// The block to continue in when the nested frames pushed by this one
    /// are done.
    resume: Option<usize>,
    /// Whether the frame pushed exception targets, popped at its end.
    handlers: bool,
}

/// The control-flow graph of a rewritten body, being built.
struct Cfg<'a> {
    func: &'a LocalFunction,
    guards: &'a Guards,
    /// The label a branch to which starts saving the frame.
    unwind: InstrSeqId,
    index: FxHashMap<LocalId, usize>,
    blocks: Vec<BasicBlock>,
    /// The block each label leads to.
    labels: FxHashMap<InstrSeqId, usize>,
    /// The handler blocks of each enclosing `try`/`try_table`, innermost
    /// last.
    handlers: Vec<Vec<usize>>,
    /// Locals mentioned inside the rewind dispatches.
    in_guards: FxHashSet<LocalId>,
    cur: usize,
}

impl Cfg<'_> {
    fn new_block(&mut self) -> usize {
        self.blocks.push(BasicBlock::default());
        self.blocks.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize) {
        self.blocks[from].succ.push(to);
    }

    /// An edge to `label`'s block, or none when it leaves the function.
    fn branch(&mut self, label: InstrSeqId) {
        if let Some(&to) = self.labels.get(&label) {
            self.edge(self.cur, to);
        }
    }

    fn op(&mut self, op: Op) {
        let cur = self.cur;
        self.blocks[cur].ops.push(op);
    }

    /// Ends the current block with edges to every enclosing handler.
    fn may_throw(&mut self) {
        let targets: Vec<usize> = self.handlers.iter().flatten().copied().collect();
        for to in targets {
            self.edge(self.cur, to);
        }
    }

    /// Continues in a fresh block reached from the current one.
    fn fall_through(&mut self) {
        let next = self.new_block();
        self.edge(self.cur, next);
        self.cur = next;
    }

    /// Continues in a fresh block nothing reaches.
    fn dead(&mut self) {
        self.cur = self.new_block();
    }

    /// Flattens the sequences reachable from `body`.
    fn build(&mut self, body: InstrSeqId) {
        let mut frames = vec![Frame {
            seq: body,
            pos: 0,
            start: None,
            end: None,
            resume: None,
            handlers: false,
        }];
        while let Some(f) = frames.last_mut() {
            if let Some(start) = f.start.take() {
                self.cur = start;
            }
            if let Some(resume) = f.resume.take() {
                self.cur = resume;
            }
            let func = self.func;
            let instrs = &func.block(f.seq).instrs;
            let Some((instr, _)) = instrs.get(f.pos) else {
                if let Some(end) = f.end {
                    self.edge(self.cur, end);
                }
                if f.handlers {
                    self.handlers.pop();
                }
                frames.pop();
                self.dead();
                continue;
            };
            f.pos += 1;
            let nested = |seq: InstrSeqId, start: Option<usize>, end: usize| Frame {
                seq,
                pos: 0,
                start,
                end: Some(end),
                resume: None,
                handlers: false,
            };
            match instr {
                Instr::LocalGet(l) => self.op(Op::Get(self.index[&l.local])),
                Instr::LocalSet(l) => self.op(Op::Set(self.index[&l.local])),
                Instr::LocalTee(l) => self.op(Op::Set(self.index[&l.local])),
                Instr::Block(b) => {
                    let after = self.new_block();
                    self.labels.insert(b.seq, after);
                    frames.last_mut().expect("current frame").resume = Some(after);
                    frames.push(nested(b.seq, None, after));
                }
                Instr::Loop(l) => {
                    let head = self.new_block();
                    self.edge(self.cur, head);
                    self.labels.insert(l.seq, head);
                    let after = self.new_block();
                    frames.last_mut().expect("current frame").resume = Some(after);
                    frames.push(nested(l.seq, Some(head), after));
                }
                // A rewind dispatch: never entered after a resumed call.
                Instr::IfElse(i) if self.guards.get(i.consequent).is_some() => {
                    let in_guards = &mut self.in_guards;
                    for_each_instr(func, i.consequent, |instr| match instr {
                        Instr::LocalGet(l) => {
                            in_guards.insert(l.local);
                        }
                        Instr::LocalSet(l) => {
                            in_guards.insert(l.local);
                        }
                        Instr::LocalTee(l) => {
                            in_guards.insert(l.local);
                        }
                        _ => {}
                    });
                }
                Instr::IfElse(i) => {
                    let after = self.new_block();
                    let then = self.new_block();
                    let other = self.new_block();
                    self.edge(self.cur, then);
                    self.edge(self.cur, other);
                    self.labels.insert(i.consequent, after);
                    self.labels.insert(i.alternative, after);
                    frames.last_mut().expect("current frame").resume = Some(after);
                    frames.push(nested(i.alternative, Some(other), after));
                    frames.push(nested(i.consequent, Some(then), after));
                }
                Instr::Try(t) => {
                    let after = self.new_block();
                    self.labels.insert(t.seq, after);
                    let mut targets = Vec::new();
                    let mut handler_frames = Vec::new();
                    for c in &t.catches {
                        if let LegacyCatch::Catch { handler, .. }
                        | LegacyCatch::CatchAll { handler } = c
                        {
                            let start = self.new_block();
                            self.labels.insert(*handler, after);
                            targets.push(start);
                            handler_frames.push(nested(*handler, Some(start), after));
                        }
                    }
                    let body = self.new_block();
                    self.edge(self.cur, body);
                    frames.last_mut().expect("current frame").resume = Some(after);
                    frames.extend(handler_frames.into_iter().rev());
                    let mut body_frame = nested(t.seq, Some(body), after);
                    body_frame.handlers = true;
                    self.handlers.push(targets);
                    frames.push(body_frame);
                }
                Instr::TryTable(t) => {
                    let after = self.new_block();
                    self.labels.insert(t.seq, after);
                    let targets = t
                        .catches
                        .iter()
                        .filter_map(|c| match c {
                            TryTableCatch::Catch { label, .. }
                            | TryTableCatch::CatchRef { label, .. }
                            | TryTableCatch::CatchAll { label }
                            | TryTableCatch::CatchAllRef { label } => self.labels.get(label),
                        })
                        .copied()
                        .collect();
                    let body = self.new_block();
                    self.edge(self.cur, body);
                    frames.last_mut().expect("current frame").resume = Some(after);
                    let mut body_frame = nested(t.seq, Some(body), after);
                    body_frame.handlers = true;
                    self.handlers.push(targets);
                    frames.push(body_frame);
                }
                Instr::Br(b) => {
                    self.branch(b.block);
                    self.dead();
                }
                Instr::BrIf(b) => {
                    // An unwind check: what is live here is what is live
                    // after the suspending call before it (only a constant,
                    // the site number, is pushed in between).
                    if b.block == self.unwind {
                        self.op(Op::Point);
                    }
                    self.branch(b.block);
                    self.fall_through();
                }
                Instr::BrOnNull(b) => {
                    self.branch(b.block);
                    self.fall_through();
                }
                Instr::BrOnNonNull(b) => {
                    self.branch(b.block);
                    self.fall_through();
                }
                Instr::BrOnCast(b) => {
                    self.branch(b.block);
                    self.fall_through();
                }
                Instr::BrOnCastFail(b) => {
                    self.branch(b.block);
                    self.fall_through();
                }
                Instr::BrTable(t) => {
                    for label in t.blocks.iter().chain([&t.default]) {
                        self.branch(*label);
                    }
                    self.dead();
                }
                Instr::Return(_) | Instr::Unreachable(_) => self.dead(),
                Instr::Throw(_) | Instr::ThrowRef(_) | Instr::Rethrow(_) => {
                    self.may_throw();
                    self.dead();
                }
                _ => {
                    if let Some(site) = callee(instr) {
                        if !self.handlers.is_empty() {
                            self.may_throw();
                            self.fall_through();
                        }
                        if site.tail {
                            self.dead();
                        }
                    }
                }
            }
        }
    }
}

/// The liveness of one rewritten body, solved once and asked twice: for
/// the locals the frame saves ([`Liveness::live_after`]) and, once the
/// function is complete, for the locals that may share a slot
/// ([`Liveness::interference`]).
pub(crate) struct Liveness {
    /// The locals the body mentions, in order of first appearance.
    order: Vec<LocalId>,
    index: FxHashMap<LocalId, usize>,
    blocks: Vec<BasicBlock>,
    /// What is live into each block: a row of `words` words per block.
    live_in: Vec<u64>,
    words: usize,
    /// Locals mentioned inside the rewind dispatches, which the graph
    /// leaves out.
    in_guards: FxHashSet<LocalId>,
}

impl Liveness {
    /// Analyses the code reachable from `body`. Branches to labels not
    /// inside `body` count as leaving the function; each unwind check (a
    /// `br_if` to `unwind`) is a point after a suspending call. After a
    /// resumed call the state is normal: the rewind dispatches (`guards`)
    /// are never entered.
    pub fn analyse(
        func: &LocalFunction,
        body: InstrSeqId,
        unwind: InstrSeqId,
        guards: &Guards,
    ) -> Liveness {
        let mut index = FxHashMap::default();
        let mut order = Vec::new();
        for_each_instr(func, body, |instr| {
            let local = match instr {
                Instr::LocalGet(l) => l.local,
                Instr::LocalSet(l) => l.local,
                Instr::LocalTee(l) => l.local,
                _ => return,
            };
            index.entry(local).or_insert_with(|| {
                order.push(local);
                order.len() - 1
            });
        });
        let mut cfg = Cfg {
            func,
            guards,
            unwind,
            index,
            blocks: vec![BasicBlock::default()],
            labels: FxHashMap::default(),
            handlers: Vec::new(),
            in_guards: FxHashSet::default(),
            cur: 0,
        };
        cfg.build(body);
        let words = order.len().div_ceil(64).max(1);
        let live_in = solve(&cfg.blocks, words);
        Liveness {
            order,
            index: cfg.index,
            blocks: cfg.blocks,
            live_in,
            words,
            in_guards: cfg.in_guards,
        }
    }

    /// The union of the locals live right after any suspending call (at
    /// its unwind check).
    pub fn live_after(&self) -> Vec<LocalId> {
        let mut found = Bits::default();
        let mut live = Bits::default();
        for (b, block) in self.blocks.iter().enumerate() {
            if !block.ops.iter().any(|op| matches!(op, Op::Point)) {
                continue;
            }
            self.live_out(b, &mut live);
            for op in block.ops.iter().rev() {
                match *op {
                    Op::Get(i) => live.insert(i),
                    Op::Set(i) => live.remove(i),
                    Op::Point => found.union(&live),
                }
            }
        }
        found.iter().map(|i| self.order[i]).collect()
    }

    /// The locals the body mentions outside the rewind dispatches, in
    /// order of first appearance.
    pub fn locals(&self) -> impl Iterator<Item = LocalId> + '_ {
        self.order
            .iter()
            .copied()
            .filter(|l| !self.in_guards.contains(l))
    }

    /// For each of `locals` (all mentioned by the body), the indices into
    /// `locals` of those it interferes with in normal-state execution:
    /// one is written while the other is live. What rewinding reads on
    /// its way to a call site does not count.
    pub fn interference(&self, locals: &[LocalId]) -> Vec<Vec<usize>> {
        let mut of = vec![usize::MAX; self.order.len()];
        for (k, l) in locals.iter().enumerate() {
            of[self.index[l]] = k;
        }
        let mut rows = vec![Bits::default(); locals.len()];
        let mut live = Bits::default();
        for b in 0..self.blocks.len() {
            self.live_out(b, &mut live);
            for op in self.blocks[b].ops.iter().rev() {
                match *op {
                    Op::Get(i) => live.insert(i),
                    Op::Set(i) => {
                        live.remove(i);
                        if of[i] == usize::MAX {
                            continue;
                        }
                        for j in live.iter().filter(|j| of[*j] != usize::MAX) {
                            rows[of[i]].insert(of[j]);
                            rows[of[j]].insert(of[i]);
                        }
                    }
                    Op::Point => {}
                }
            }
        }
        rows.iter().map(|row| row.iter().collect()).collect()
    }

    /// Sets `out` to what is live out of block `b`: the union of what is
    /// live into its successors.
    fn live_out(&self, b: usize, out: &mut Bits) {
        out.0.clear();
        out.0.resize(self.words, 0);
        for s in &self.blocks[b].succ {
            let row = &self.live_in[s * self.words..(s + 1) * self.words];
            for (o, l) in out.0.iter_mut().zip(row) {
                *o |= l;
            }
        }
    }
}

/// Runs the backward analysis to a fixed point: what is live into each
/// block, as rows of `words` words of one flat array, so an iteration
/// allocates nothing.
fn solve(blocks: &[BasicBlock], words: usize) -> Vec<u64> {
    let row = |b: usize| b * words..(b + 1) * words;
    let mut gen_ = vec![0u64; blocks.len() * words];
    let mut kill = vec![0u64; blocks.len() * words];
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); blocks.len()];
    for (b, block) in blocks.iter().enumerate() {
        let (g, k) = (&mut gen_[row(b)], &mut kill[row(b)]);
        for op in block.ops.iter().rev() {
            match *op {
                Op::Get(i) => {
                    g[i / 64] |= 1 << (i % 64);
                    k[i / 64] &= !(1 << (i % 64));
                }
                Op::Set(i) => {
                    k[i / 64] |= 1 << (i % 64);
                    g[i / 64] &= !(1 << (i % 64));
                }
                Op::Point => {}
            }
        }
        for s in &block.succ {
            preds[*s].push(b);
        }
    }
    let mut live_in = vec![0u64; blocks.len() * words];
    let mut new_in = vec![0u64; words];
    let mut queued = vec![true; blocks.len()];
    let mut work: Vec<usize> = (0..blocks.len()).collect();
    while let Some(b) = work.pop() {
        queued[b] = false;
        new_in.fill(0);
        for s in &blocks[b].succ {
            for (n, l) in new_in.iter_mut().zip(&live_in[row(*s)]) {
                *n |= l;
            }
        }
        for ((n, k), g) in new_in.iter_mut().zip(&kill[row(b)]).zip(&gen_[row(b)]) {
            *n = (*n & !k) | g;
        }
        // Sets only grow, so a change is an inequality.
        if new_in[..] == live_in[row(b)] {
            continue;
        }
        live_in[row(b)].copy_from_slice(&new_in);
        for p in &preds[b] {
            if !queued[*p] {
                queued[*p] = true;
                work.push(*p);
            }
        }
    }
    live_in
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn bit_sets_grow_and_join() {
        let mut a = Bits::default();
        a.insert(3);
        a.insert(130);
        let mut b = Bits::default();
        b.insert(3);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![3]);
        b.union(&a);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![3, 130]);
        b.remove(130);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![3]);
    }
}
