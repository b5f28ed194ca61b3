//! Deterministic fuel metering whose exhaustion suspends instead of trapping.
//!
//! The pass adds an `i64` global, `__rewind_fuel`, holding the remaining
//! budget (exported, or imported from `env` with `import_fuel`). Every
//! straight-line run of instructions is charged its static cost when it
//! starts (a run ends at a nested block, loop or `if` and at every branch).
//! Function entries and loop headers check the counter:
//!
//! ```text
//! if __rewind_fuel < 0 { call $out_of_fuel }
//! ```
//!
//! Only loops and calls can make code run unboundedly, so checks go at the
//! head of every loop body and at the entry of every function that can be
//! part of a call cycle: functions in a cycle of direct calls, functions
//! that call indirectly (any cycle through an indirect call passes through
//! its caller), and functions that call imports (the host may call back).
//! Leaf code is only charged.
//!
//! `$out_of_fuel` is the import `rewind.out_of_fuel` (added when missing),
//! or a guest function given by name. The asyncify pass that runs next
//! treats it as a suspending call, so running out of fuel unwinds to the
//! host (or to the guest scheduler that owns the handler), which can add
//! fuel and rewind: execution continues exactly where it stopped. Charges
//! are never repeated on rewind, so the fuel consumed by a run is the same
//! on every engine and for every way of slicing it.
//!
//! # Cost table
//!
//! | name | default | instructions |
//! | --- | --- | --- |
//! | `default` | 1 | everything not below |
//! | `local` | 0 | `local.get`, `local.set`, `local.tee` |
//! | `const` | 0 | `*.const` |
//! | `call` | 5 | `call`, `call_indirect`, `call_ref` |
//! | `load` | 1 | memory loads |
//! | `store` | 1 | memory stores |
//! | `memory_grow` | 100 | `memory.grow` |
//! | `bulk` | 10 | `memory.copy`, `memory.fill`, `memory.init`, `table.copy`, `table.init`, `table.fill` |
//!
//! A cost file overrides entries, one `NAME COST` per line (`#` starts a
//! comment).

use std::collections::{HashMap, HashSet};

use walrus::ir::{BinaryOp, Binop, Call, Const, GlobalGet, GlobalSet, Instr, InstrSeqId, Value};
use walrus::{
    ConstExpr, ExportItem, FunctionId, FunctionKind, GlobalId, LocalFunction, Module, ValType,
};

use crate::error::{Error, Result};
use crate::ir::{Code, at, children, for_each_instr, function_name, if_then};
use crate::normalize::sequences;

/// Name of the fuel global (and of its export).
pub const FUEL_GLOBAL: &str = "__rewind_fuel";
/// Module and name of the default out-of-fuel import.
pub const OUT_OF_FUEL_IMPORT: (&str, &str) = ("rewind", "out_of_fuel");

/// Static cost of each instruction class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Costs {
    table: HashMap<&'static str, u32>,
}

const CLASSES: [(&str, u32); 8] = [
    ("default", 1),
    ("local", 0),
    ("const", 0),
    ("call", 5),
    ("load", 1),
    ("store", 1),
    ("memory_grow", 100),
    ("bulk", 10),
];

impl Default for Costs {
    fn default() -> Self {
        Costs {
            table: CLASSES.iter().copied().collect(),
        }
    }
}

impl Costs {
    /// The default table with the entries of a cost file applied.
    pub fn parse(text: &str) -> Result<Costs> {
        let mut costs = Costs::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad =
                |why: &str| Error::Options(format!("cost file line {}: {why}: `{line}`", n + 1));
            let mut words = line.split_whitespace();
            let (Some(name), Some(cost), None) = (words.next(), words.next(), words.next()) else {
                return Err(bad("expected `NAME COST`"));
            };
            let class = CLASSES
                .iter()
                .map(|(c, _)| *c)
                .find(|c| *c == name)
                .ok_or_else(|| bad("unknown instruction class"))?;
            let cost = cost
                .parse::<u32>()
                .map_err(|_| bad("cost is not a non-negative integer"))?;
            costs.table.insert(class, cost);
        }
        Ok(costs)
    }

    /// The cost of one instruction.
    pub(crate) fn of(&self, instr: &Instr) -> u32 {
        let class = match instr {
            Instr::LocalGet(_) | Instr::LocalSet(_) | Instr::LocalTee(_) => "local",
            Instr::Const(_) => "const",
            Instr::Call(_)
            | Instr::CallIndirect(_)
            | Instr::CallRef(_)
            | Instr::ReturnCall(_)
            | Instr::ReturnCallIndirect(_)
            | Instr::ReturnCallRef(_) => "call",
            Instr::Load(_) | Instr::LoadSimd(_) => "load",
            Instr::Store(_) => "store",
            Instr::MemoryGrow(_) => "memory_grow",
            Instr::MemoryCopy(_)
            | Instr::MemoryFill(_)
            | Instr::MemoryInit(_)
            | Instr::TableCopy(_)
            | Instr::TableInit(_)
            | Instr::TableFill(_) => "bulk",
            _ => "default",
        };
        self.table[class]
    }
}

/// Options of the metering pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuelOptions {
    /// Instruction costs.
    pub costs: Costs,
    /// Import the fuel global from `env` instead of defining and exporting it.
    pub import_fuel: bool,
    /// A guest function (export or name-section name, type `[] -> []`) to
    /// call when fuel runs out, instead of the `rewind.out_of_fuel` import.
    pub handler: Option<String>,
}

/// What the metering pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuelReport {
    /// Functions that received charges.
    pub functions_metered: usize,
    /// Fuel checks inserted (function entries and loop headers).
    pub checks: usize,
    /// Charge points inserted.
    pub charges: usize,
}

/// The handler the checks call, and whether it is the default import.
pub(crate) struct Metered {
    pub handler_is_import: bool,
    pub report: FuelReport,
}

/// Meters every defined function of `module`.
pub(crate) fn meter(module: &mut Module, options: &FuelOptions) -> Result<Metered> {
    if module
        .globals
        .iter()
        .any(|g| g.name.as_deref() == Some(FUEL_GLOBAL))
        || module.exports.iter().any(|e| e.name == FUEL_GLOBAL)
    {
        return Err(Error::AlreadyInstrumented(FUEL_GLOBAL.into()));
    }
    let (handler, handler_is_import) = find_handler(module, options)?;
    let fuel = if options.import_fuel {
        module
            .add_import_global("env", FUEL_GLOBAL, ValType::I64, true, false)
            .0
    } else {
        let g =
            module
                .globals
                .add_local(ValType::I64, true, false, ConstExpr::Value(Value::I64(0)));
        module.exports.add(FUEL_GLOBAL, g);
        g
    };
    module.globals.get_mut(fuel).name = Some(FUEL_GLOBAL.into());

    let checked = entry_checked(module, handler);
    let mut report = FuelReport::default();
    let ids: Vec<FunctionId> = module
        .funcs
        .iter()
        .filter(|f| matches!(f.kind, FunctionKind::Local(_)) && f.id() != handler)
        .map(|f| f.id())
        .collect();
    for id in ids {
        let FunctionKind::Local(func) = &mut module.funcs.get_mut(id).kind else {
            continue;
        };
        let m = Meter {
            costs: &options.costs,
            fuel,
            handler,
        };
        m.function(func, checked.contains(&id), &mut report);
        report.functions_metered += 1;
    }
    Ok(Metered {
        handler_is_import,
        report,
    })
}

fn find_handler(module: &mut Module, options: &FuelOptions) -> Result<(FunctionId, bool)> {
    let (found, is_import) = match &options.handler {
        Some(name) => {
            let by_export = module.exports.iter().find_map(|e| match e.item {
                ExportItem::Function(f) if &e.name == name => Some(f),
                _ => None,
            });
            let by_name = || {
                module
                    .funcs
                    .iter()
                    .find(|f| f.name.as_deref() == Some(name.as_str()))
                    .map(|f| f.id())
            };
            let id = by_export.or_else(by_name).ok_or_else(|| {
                Error::Options(format!("--fuel-handler `{name}` names no function"))
            })?;
            (Some(id), false)
        }
        None => {
            let (m, n) = OUT_OF_FUEL_IMPORT;
            (
                module
                    .imports
                    .find(m, n)
                    .and_then(|i| match module.imports.get(i).kind {
                        walrus::ImportKind::Function(f) => Some(f),
                        _ => None,
                    }),
                true,
            )
        }
    };
    match found {
        Some(id) => {
            let ty = module.types.get(module.funcs.get(id).ty());
            if !ty.params().is_empty() || !ty.results().is_empty() {
                return Err(Error::Options(format!(
                    "the out-of-fuel handler `{}` must have type [] -> []",
                    function_name(module, id)
                )));
            }
            Ok((id, is_import))
        }
        None => {
            let (m, n) = OUT_OF_FUEL_IMPORT;
            let ty = module.types.add(&[], &[]);
            Ok((module.add_import_func(m, n, ty).0, true))
        }
    }
}

/// Functions whose entry needs a check: those that can be part of a call
/// cycle (see the module doc).
fn entry_checked(module: &Module, handler: FunctionId) -> HashSet<FunctionId> {
    let mut edges: HashMap<FunctionId, Vec<FunctionId>> = HashMap::new();
    let mut checked = HashSet::new();
    for f in module.funcs.iter() {
        let FunctionKind::Local(local) = &f.kind else {
            continue;
        };
        let mut out = Vec::new();
        for_each_instr(local, local.entry_block(), |instr| {
            let callee = match instr {
                Instr::Call(c) => c.func,
                Instr::ReturnCall(c) => c.func,
                Instr::CallIndirect(_)
                | Instr::ReturnCallIndirect(_)
                | Instr::CallRef(_)
                | Instr::ReturnCallRef(_) => {
                    checked.insert(f.id());
                    return;
                }
                _ => return,
            };
            match module.funcs.get(callee).kind {
                FunctionKind::Import(_) if callee != handler => {
                    checked.insert(f.id());
                }
                FunctionKind::Local(_) => out.push(callee),
                _ => {}
            }
        });
        edges.insert(f.id(), out);
    }
    checked.extend(in_cycles(&edges));
    checked
}

/// Nodes on a cycle of `edges` (Tarjan's algorithm, iterative).
fn in_cycles(edges: &HashMap<FunctionId, Vec<FunctionId>>) -> HashSet<FunctionId> {
    let mut nodes: Vec<FunctionId> = edges.keys().copied().collect();
    nodes.sort();
    let mut index: HashMap<FunctionId, usize> = HashMap::new();
    let mut low: HashMap<FunctionId, usize> = HashMap::new();
    let mut on_stack = HashSet::new();
    let mut stack = Vec::new();
    let mut cyclic = HashSet::new();
    let empty = Vec::new();
    for root in nodes {
        if index.contains_key(&root) {
            continue;
        }
        let mut work: Vec<(FunctionId, usize)> = vec![(root, 0)];
        while let Some((v, i)) = work.pop() {
            if i == 0 {
                let n = index.len();
                index.insert(v, n);
                low.insert(v, n);
                stack.push(v);
                on_stack.insert(v);
            }
            let succ = edges.get(&v).unwrap_or(&empty);
            if let Some(&w) = succ.get(i) {
                work.push((v, i + 1));
                if !index.contains_key(&w) {
                    work.push((w, 0));
                } else if on_stack.contains(&w) {
                    let lw = index[&w];
                    let lv = low.get_mut(&v).expect("visited");
                    *lv = (*lv).min(lw);
                }
                continue;
            }
            // All successors done: propagate low to the parent, pop an SCC.
            if let Some(&(parent, _)) = work.last() {
                let lv = low[&v];
                let lp = low.get_mut(&parent).expect("visited");
                *lp = (*lp).min(lv);
            }
            if low[&v] == index[&v] {
                let mut scc = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack.remove(&w);
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 || succ.contains(&v) {
                    cyclic.extend(scc);
                }
            }
        }
    }
    cyclic
}

struct Meter<'a> {
    costs: &'a Costs,
    fuel: GlobalId,
    handler: FunctionId,
}

impl Meter<'_> {
    fn function(&self, func: &mut LocalFunction, entry_check: bool, report: &mut FuelReport) {
        let seqs = sequences(func);
        let loops: HashSet<InstrSeqId> = seqs
            .iter()
            .flat_map(|s| func.block(*s).instrs.iter())
            .filter_map(|(i, _)| match i {
                Instr::Loop(l) => Some(l.seq),
                _ => None,
            })
            .collect();
        let entry = func.entry_block();
        for seq in seqs {
            let old = std::mem::take(&mut func.block_mut(seq).instrs);
            let mut out: Code = Vec::with_capacity(old.len() + 8);
            if loops.contains(&seq) || (seq == entry && entry_check) {
                out.extend(self.check(func));
                report.checks += 1;
            }
            let mut run: Code = Vec::new();
            let mut cost: u64 = 0;
            for (instr, loc) in old {
                cost += u64::from(self.costs.of(&instr));
                let ends_run = !children(&instr).is_empty()
                    || matches!(
                        instr,
                        Instr::Br(_) | Instr::BrIf(_) | Instr::BrTable(_) | Instr::Return(_)
                    );
                run.push((instr, loc));
                if ends_run {
                    self.flush(&mut out, &mut run, &mut cost, report);
                }
            }
            self.flush(&mut out, &mut run, &mut cost, report);
            func.block_mut(seq).instrs = out;
        }
    }

    /// Appends the charge for `run` and then `run` itself.
    fn flush(&self, out: &mut Code, run: &mut Code, cost: &mut u64, report: &mut FuelReport) {
        if *cost > 0 {
            out.extend([
                at(Instr::GlobalGet(GlobalGet { global: self.fuel })),
                at(Instr::Const(Const {
                    value: Value::I64(*cost as i64),
                })),
                at(Instr::Binop(Binop {
                    op: BinaryOp::I64Sub,
                })),
                at(Instr::GlobalSet(GlobalSet { global: self.fuel })),
            ]);
            report.charges += 1;
        }
        out.append(run);
        *cost = 0;
    }

    /// `if fuel < 0 { call $handler }`.
    fn check(&self, func: &mut LocalFunction) -> Code {
        let test = vec![
            at(Instr::GlobalGet(GlobalGet { global: self.fuel })),
            at(Instr::Const(Const {
                value: Value::I64(0),
            })),
            at(Instr::Binop(Binop {
                op: BinaryOp::I64LtS,
            })),
        ];
        let call = vec![at(Instr::Call(Call { func: self.handler }))];
        if_then(func, test, call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_files_override_classes() {
        let costs = Costs::parse("# comment\ncall 7\n\nload 3 # trailing\n").unwrap();
        assert_eq!(costs.table["call"], 7);
        assert_eq!(costs.table["load"], 3);
        assert_eq!(costs.table["default"], 1);
    }

    #[test]
    fn cost_files_reject_unknown_classes_and_bad_numbers() {
        assert!(Costs::parse("jump 3").is_err());
        assert!(Costs::parse("call -1").is_err());
        assert!(Costs::parse("call").is_err());
    }
}
