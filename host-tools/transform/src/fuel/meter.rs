//! The metering code of one function: charges at the start of every
//! straight-line run, checks at loop heads and checked entries, the counter
//! kept in a local and synchronised with the global around calls.

use std::collections::{HashMap, HashSet};

use walrus::ir::{
    BinaryOp, Binop, Block, Call, GlobalGet, GlobalSet, Instr, InstrLocId, InstrSeqId,
    InstrSeqType, LocalGet, LocalSet, LocalTee,
};
use walrus::{FunctionId, GlobalId, LocalFunction, LocalId, ModuleTypes};

use crate::ir::{Code, at, callee, children, i64_const, if_then, offset, retarget, sequences};
use crate::report::FuelReport;

use super::costs::Costs;
use super::exceptions;
use super::exit_store;
use super::unroll;

/// The metering of every function: costs, the fuel global, the handler.
pub(super) struct Meter<'a> {
    pub costs: &'a Costs,
    pub fuel: GlobalId,
    pub handler: FunctionId,
    /// [`super::FuelOptions::unroll`].
    pub unroll: u32,
}

/// A straight-line run of instructions being collected.
#[derive(Default)]
struct Run {
    code: Code,
    /// Its static cost, charged when it starts.
    cost: u64,
    /// Where the reload after the run's last call is, if nothing has
    /// touched the counter since.
    reload_at: Option<usize>,
}

/// One function being metered: its counter local and the checks so far.
pub(super) struct Counter<'a> {
    pub local: LocalId,
    pub checks: &'a mut HashMap<InstrSeqId, usize>,
    pub report: &'a mut FuelReport,
}

impl Meter<'_> {
    /// Meters `func`: its body moves into a block between loading the
    /// counter into `counter.local` and storing it back, then every
    /// sequence is cut into runs, each charged when it starts; loop bodies
    /// (and the body itself with `entry_check`) start with a check.
    /// Returns the length of the code loading the counter.
    pub fn function(
        &self,
        func: &mut LocalFunction,
        types: &mut ModuleTypes,
        body_ty: InstrSeqType,
        entry_check: bool,
        counter: &mut Counter,
    ) -> usize {
        let entry = func.entry_block();
        let body = func.builder_mut().dangling_instr_seq(body_ty).id();
        func.block_mut(body).instrs = std::mem::take(&mut func.block_mut(entry).instrs);
        retarget(func, body, entry, body);
        let mut code = self.reload(counter.local);
        let prologue = code.len();
        code.push(at(Instr::Block(Block { seq: body })));
        code.extend(self.store(counter.local));
        func.block_mut(entry).instrs = code;

        let seqs: Vec<InstrSeqId> = sequences(func)
            .into_iter()
            .filter(|s| *s != entry)
            .collect();
        let loops: HashSet<InstrSeqId> = seqs
            .iter()
            .flat_map(|s| func.block(*s).instrs.iter())
            .filter_map(|(i, _)| match i {
                Instr::Loop(l) => Some(l.seq),
                _ => None,
            })
            .collect();
        let plan = unroll::plan(func, self.unroll);
        let mut unrolled = Vec::new();
        for seq in seqs {
            let old = std::mem::take(&mut func.block_mut(seq).instrs);
            let mut out: Code = Vec::with_capacity(old.len() + 8);
            let copies = plan.get(&seq).copied().unwrap_or(1);
            let mut check =
                (loops.contains(&seq) || (seq == body && entry_check)).then_some(copies);
            let mut head = None;
            let mut run = Run::default();
            for (instr, loc) in old {
                run.cost += u64::from(self.costs.of(&instr));
                let ends_run = children(&instr).next().is_some()
                    || matches!(
                        instr,
                        Instr::Br(_) | Instr::BrIf(_) | Instr::BrTable(_) | Instr::Return(_)
                    );
                self.push(&mut run, instr, loc, counter.local);
                if ends_run {
                    head = head.or(self.flush(func, &mut out, &mut run, &mut check, counter));
                }
            }
            head = head.or(self.flush(func, &mut out, &mut run, &mut check, counter));
            func.block_mut(seq).instrs = out;
            if let Some((cost, check_len)) = head.filter(|_| copies > 1) {
                unrolled.push(unroll::Planned {
                    seq,
                    check_len,
                    cost,
                    copies,
                });
            }
        }
        unroll::unroll_loops(func, counter.local, &unrolled);
        counter.report.loops_unrolled += unrolled.len();
        exceptions::reload_where_exceptions_land(func, types, &self.reload(counter.local));
        exit_store::sink(func, counter.local, self.fuel, &self.store(counter.local));
        prologue
    }

    /// Appends an original instruction to a run. The counter goes back to
    /// the global before anything that leaves the function or may look at
    /// the global (calls, `return`) and is read again after a call returns.
    /// Between two calls of one run nothing charges, so the reload after
    /// the first and the store before the second cancel out.
    fn push(&self, run: &mut Run, instr: Instr, loc: InstrLocId, counter: LocalId) {
        let call = callee(&instr);
        let returns_here = call.is_some_and(|c| !c.tail);
        // A throw may land in a handler of a caller, which reloads the
        // counter from the global (see `exceptions.rs`).
        let leaves = matches!(
            instr,
            Instr::Return(_) | Instr::Throw(_) | Instr::ThrowRef(_) | Instr::Rethrow(_)
        ) || call.is_some_and(|c| c.tail);
        if returns_here || leaves {
            match run.reload_at.take() {
                Some(at) => {
                    run.code.drain(at..at + 2);
                }
                None => run.code.extend(self.store(counter)),
            }
        }
        run.code.push((instr, loc));
        if returns_here {
            run.reload_at = Some(run.code.len());
            run.code.extend(self.reload(counter));
        }
    }

    /// Appends the charge for `run` (merged into a check when `check` is
    /// set: the first run of a loop body or of a checked function, with the
    /// number of copies of the body the check covers) and then the run
    /// itself. Returns the check's cost and length when it emitted one.
    fn flush(
        &self,
        func: &mut LocalFunction,
        out: &mut Code,
        run: &mut Run,
        check: &mut Option<u64>,
        counter: &mut Counter,
    ) -> Option<(u64, usize)> {
        let cost = run.cost;
        let mut emitted = None;
        if let Some(copies) = check.take() {
            let code = self.check(func, cost, cost * (copies - 1), counter);
            emitted = Some((cost, code.len()));
            out.extend(code);
            counter.report.checks += 1;
            if cost > 0 {
                counter.report.charges += 1;
            }
        } else if cost > 0 {
            out.extend(charge(counter.local, cost));
            out.push(at(Instr::LocalSet(LocalSet {
                local: counter.local,
            })));
            counter.report.charges += 1;
        }
        out.append(&mut run.code);
        *run = Run::default();
        emitted
    }

    /// `if (counter -= cost) < 0 { store; call $handler; reload }`. The
    /// condition only reads and writes the counter, so the asyncify stage
    /// can leave it unguarded (see `flow.rs`).
    ///
    /// With `ahead` (the entry runs of the other copies of an unrolled loop
    /// body, see `unroll.rs`) the check also charges those but fires as the
    /// one-run check would, `(counter -= cost + ahead) < -ahead`, and the
    /// handler sees the counter without them: `store (counter + ahead);
    /// call; counter = reload - ahead`.
    fn check(
        &self,
        func: &mut LocalFunction,
        cost: u64,
        ahead: u64,
        counter: &mut Counter,
    ) -> Code {
        let local = counter.local;
        let mut test = if cost > 0 {
            let mut code = charge(local, cost + ahead);
            code.push(at(Instr::LocalTee(LocalTee { local })));
            code
        } else {
            vec![at(Instr::LocalGet(LocalGet { local }))]
        };
        test.extend([
            at(i64_const(ahead.wrapping_neg())),
            at(Instr::Binop(Binop {
                op: BinaryOp::I64LtS,
            })),
        ]);
        let condition = test.len();
        let mut call = vec![at(Instr::LocalGet(LocalGet { local }))];
        call.extend(offset(ahead, BinaryOp::I64Add));
        call.push(at(Instr::GlobalSet(GlobalSet { global: self.fuel })));
        call.push(at(Instr::Call(Call { func: self.handler })));
        call.push(at(Instr::GlobalGet(GlobalGet { global: self.fuel })));
        call.extend(offset(ahead, BinaryOp::I64Sub));
        call.push(at(Instr::LocalSet(LocalSet { local })));
        let code = if_then(func, test, call);
        if let Some((Instr::IfElse(i), _)) = code.last() {
            counter.checks.insert(i.consequent, condition);
        }
        code
    }

    /// `global.set $fuel (local.get counter)`.
    fn store(&self, counter: LocalId) -> Code {
        vec![
            at(Instr::LocalGet(LocalGet { local: counter })),
            at(Instr::GlobalSet(GlobalSet { global: self.fuel })),
        ]
    }

    /// `local.set counter (global.get $fuel)`.
    fn reload(&self, counter: LocalId) -> Code {
        vec![
            at(Instr::GlobalGet(GlobalGet { global: self.fuel })),
            at(Instr::LocalSet(LocalSet { local: counter })),
        ]
    }
}

/// `counter - cost`, left on the stack.
fn charge(counter: LocalId, cost: u64) -> Code {
    let mut code = vec![at(Instr::LocalGet(LocalGet { local: counter }))];
    code.extend(offset(cost, BinaryOp::I64Sub));
    code
}
