//! The fuel counter parked during a rewind, so that the entry fuel check of
//! a metered function also answers "is this a rewind?".
//!
//! A metered function on a call cycle starts by charging its entry run and
//! testing the counter (`fuel/`); an instrumented one also tests the state
//! on entry, since a rewind must restore its frame. Both tests run on every
//! call. While a rewind runs, no metered code writes `__rewind_fuel` (every
//! store of the counter is normal-state code, which a rewind skips), so the
//! runtime can keep the budget aside and leave [`PARKED`] in the global:
//! `asyncify_start_rewind` parks it, `asyncify_stop_rewind` puts it back.
//! Then a rewind always fails the entry fuel check, and the state test can
//! move inside it (*folding*):
//!
//! ```text
//! block $after                          ;; normal state, fuel left: one test
//!   block $handler
//!     br_if $after ((counter -= cost) >= 0)
//!     br_if $handler (state == NORMAL)  ;; out of fuel
//!     restore the frame; br_table ...   ;; rewinding: the function's dispatch
//!   end
//!   block { the check's handler call, with its own ladder }
//! end
//! ```
//!
//! A budget of [`PARKED`] or below is read as "parked" (`stop_rewind`
//! leaves such a counter alone), so parking twice keeps the first budget.
//!
//! Which functions fold: only ones no host can call, because a host might
//! set the budget after `asyncify_start_rewind` and then call the export it
//! resumes. A function a host can call (exported, or addressable through
//! a table or a reference) is never folded, and its frame restore parks the
//! counter again; every rewind enters through such a function or through a
//! guest's own `asyncify_start_rewind`. With `--export-globals` or
//! `--import-globals` a host may change the state without the runtime
//! functions, so nothing is parked or folded.

use std::collections::HashMap;

use walrus::ir::{
    BinaryOp, Binop, Block, BrIf, Call, GlobalGet, GlobalSet, Instr, InstrSeqId, InstrSeqType,
    UnaryOp, Unop, Value,
};
use walrus::{
    ConstExpr, FunctionBuilder, FunctionId, FunctionKind, GlobalId, InstrSeqBuilder, LocalFunction,
    Module, ValType,
};

use crate::abi;
use crate::hints::Hints;
use crate::ir::{Code, at, i64_const, retarget};
use crate::options::Options;

/// The counter's value while a rewind runs: far below any charge sum, so
/// that subtracting a function's entry cost keeps it negative.
pub(crate) const PARKED: i64 = -(1 << 62);

/// Where a parked budget waits, and the function that parks it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parking {
    fuel: GlobalId,
    parked: GlobalId,
    park: FunctionId,
}

impl Parking {
    /// Adds the parking global and function when `fuel` is the metered
    /// module's fuel global and only the runtime functions change the state
    /// (see the module doc).
    pub fn install(module: &mut Module, options: &Options, hints: &Hints) -> Option<Self> {
        let fuel = hints
            .fuel
            .filter(|_| !options.export_globals && !options.import_globals)?;
        let parked =
            module
                .globals
                .add_local(ValType::I64, true, false, ConstExpr::Value(Value::I64(0)));
        module.globals.get_mut(parked).name = Some(abi::PARKED_FUEL_GLOBAL.to_string());
        // if fuel > PARKED { parked = fuel; fuel = PARKED }
        let mut builder = FunctionBuilder::new(&mut module.types, &[], &[]);
        builder.name(abi::PARK_FUEL_FUNCTION.to_string());
        builder
            .func_body()
            .instr(GlobalGet { global: fuel })
            .instr(i64_const(PARKED as u64))
            .instr(Binop {
                op: BinaryOp::I64GtS,
            })
            .if_else(
                None,
                |then| {
                    then.instr(GlobalGet { global: fuel })
                        .instr(GlobalSet { global: parked })
                        .instr(i64_const(PARKED as u64))
                        .instr(GlobalSet { global: fuel });
                },
                |_| {},
            );
        let park = builder.finish(vec![], &mut module.funcs);
        let parking = Parking { fuel, parked, park };
        for &accessor in &hints.fuel_accessors {
            if let FunctionKind::Local(func) = &mut module.funcs.get_mut(accessor).kind {
                parking.see_through(func);
            }
        }
        Some(parking)
    }

    /// Rewrites the body of `rewind.get_fuel` or `rewind.set_fuel` (told
    /// apart by their parameter) to read or write the budget where it is:
    /// parked, or in the counter. A guest scheduler may set a budget during
    /// a rewind it started itself.
    fn see_through(&self, func: &mut LocalFunction) {
        let (fuel, parked) = (self.fuel, self.parked);
        let arg = func.args.first().copied();
        let entry = func.entry_block();
        func.block_mut(entry).instrs.clear();
        let results = if arg.is_none() {
            Some(ValType::I64)
        } else {
            None
        };
        let mut body = func.builder_mut().func_body();
        body.instr(GlobalGet { global: fuel })
            .instr(i64_const(PARKED as u64))
            .instr(Binop {
                op: BinaryOp::I64LeS,
            });
        let access = |seq: &mut InstrSeqBuilder, global: GlobalId| match arg {
            Some(value) => {
                seq.local_get(value).instr(GlobalSet { global });
            }
            None => {
                seq.instr(GlobalGet { global });
            }
        };
        body.if_else(
            results,
            |then| access(then, parked),
            |other| access(other, fuel),
        );
    }

    /// `call $park`: parks the counter unless it is parked already.
    pub fn park(&self) -> Instr {
        Instr::Call(Call { func: self.park })
    }

    /// `if fuel <= PARKED { fuel = parked }`: the end of a rewind.
    pub fn unpark(&self, body: &mut InstrSeqBuilder) {
        let (fuel, parked) = (self.fuel, self.parked);
        body.instr(GlobalGet { global: fuel })
            .instr(i64_const(PARKED as u64))
            .instr(Binop {
                op: BinaryOp::I64LeS,
            })
            .if_else(
                None,
                |then| {
                    then.instr(GlobalGet { global: parked })
                        .instr(GlobalSet { global: fuel });
                },
                |_| {},
            );
    }
}

/// Where a function's entry fuel check and its rewind test meet.
pub(crate) struct Fold {
    /// The sequence holding the check, and the check's position in it.
    seq: InstrSeqId,
    at: usize,
    /// How many instructions before the check's `if` compute its condition.
    condition_len: usize,
    /// The dispatch that tests the state before the check (the `then` of
    /// `global.get $state; if`, alone in the first block of `seq`), if the
    /// body starts with one; without it the frame restore is the whole
    /// rewind path.
    dispatch: Option<InstrSeqId>,
}

impl Fold {
    /// Finds the entry check of `body`, a rewritten body: the body's first
    /// dispatch (`dispatch`, see `Guards::entry`), alone in its block,
    /// followed by a fuel check, or with no dispatch a fuel check first.
    /// `checks` are the metering's checks by their `then` sequence, with
    /// their condition lengths.
    pub fn find(
        func: &LocalFunction,
        body: InstrSeqId,
        dispatch: Option<InstrSeqId>,
        checks: &HashMap<InstrSeqId, usize>,
    ) -> Option<Fold> {
        let (seq, at) = match dispatch {
            None => (body, 0),
            Some(d) => {
                let mut seq = body;
                loop {
                    let Some((Instr::Block(b), _)) = func.block(seq).instrs.first() else {
                        return None;
                    };
                    match func.block(b.seq).instrs.as_slice() {
                        [(Instr::GlobalGet(_), _), (Instr::IfElse(i), _)] if i.consequent == d => {
                            break (seq, 1);
                        }
                        _ => seq = b.seq,
                    }
                }
            }
        };
        let instrs = &func.block(seq).instrs;
        let condition_len = (at..instrs.len()).find_map(|i| match &instrs[i].0 {
            Instr::IfElse(c) => checks.get(&c.consequent).filter(|n| i == at + **n).copied(),
            _ => None,
        })?;
        let compares = matches!(
            instrs[at + condition_len - 1].0,
            Instr::Binop(Binop {
                op: BinaryOp::I64LtS
            })
        );
        compares.then_some(Fold {
            seq,
            at,
            condition_len,
            dispatch,
        })
    }

    /// Folds the state test into the check (the module doc's layout);
    /// `restore` is the frame restore, which runs before the dispatch.
    /// The function's `prologue`, which loads the counter and which
    /// nothing separates from the check, merges into the check's charge
    /// (`counter = fuel - cost` instead of `counter = fuel; counter -=
    /// cost`).
    pub fn apply(
        self,
        func: &mut LocalFunction,
        state: GlobalId,
        prologue: &mut Code,
        mut restore: Code,
    ) {
        let builder = func.builder_mut();
        let after = builder.dangling_instr_seq(InstrSeqType::Simple(None)).id();
        let handler = builder.dangling_instr_seq(InstrSeqType::Simple(None)).id();
        let mut instrs = std::mem::take(&mut func.block_mut(self.seq).instrs);
        let check_at = self.at + self.condition_len;
        let mut rest = instrs.split_off(check_at + 1);
        let Some((Instr::IfElse(check), loc)) = instrs.pop() else {
            unreachable!("`find` saw the check's `if` here");
        };
        let mut test = instrs.split_off(self.at);
        // Only a charging check writes the counter (`local.tee`); one of
        // cost 0 only reads it, and the load must stay.
        let charges = |local| {
            test.iter()
                .any(|(i, _)| matches!(i, Instr::LocalTee(t) if t.local == local))
        };
        if let [(Instr::GlobalGet(load), _), (Instr::LocalSet(set), _)] = prologue.as_slice()
            && charges(set.local)
            && let Some((first, _)) = test.first_mut()
            && matches!(first, Instr::LocalGet(get) if get.local == set.local)
        {
            *first = Instr::GlobalGet(GlobalGet {
                global: load.global,
            });
            prologue.clear();
        }
        if let Some((Instr::Binop(b), _)) = test.last_mut() {
            b.op = BinaryOp::I64GeS;
        }
        test.extend([
            at(Instr::BrIf(BrIf { block: after })),
            at(Instr::GlobalGet(GlobalGet { global: state })),
            at(Instr::Unop(Unop {
                op: UnaryOp::I32Eqz,
            })),
            at(Instr::BrIf(BrIf { block: handler })),
        ]);
        test.append(&mut restore);
        if let Some(d) = self.dispatch {
            test.append(&mut func.block_mut(d).instrs);
        }
        func.block_mut(handler).instrs = test;
        if self.dispatch.is_some() {
            // The dispatch's block goes: its branches target the rungs
            // around it, the first of which is now `$handler`.
            let Some((Instr::Block(first), _)) = instrs.first() else {
                unreachable!("`find` saw the dispatch's block here");
            };
            retarget(func, handler, first.seq, handler);
            instrs.remove(0);
        }
        func.block_mut(after).instrs = vec![
            at(Instr::Block(Block { seq: handler })),
            (
                Instr::Block(Block {
                    seq: check.consequent,
                }),
                loc,
            ),
        ];
        instrs.push(at(Instr::Block(Block { seq: after })));
        instrs.append(&mut rest);
        func.block_mut(self.seq).instrs = instrs;
    }
}
