//! Deterministic fuel metering whose exhaustion suspends instead of trapping.
//!
//! The pass adds an `i64` global, `__rewind_fuel`, holding the remaining
//! budget (exported, or imported from `env` with `import_fuel`). Every
//! straight-line run of instructions is charged its static cost when it
//! starts (a run ends at a nested block, loop or `if` and at every branch).
//! Function entries and loop headers check the counter, merged with the
//! charge of the run that follows:
//!
//! ```text
//! if (counter -= cost) < 0 { call $out_of_fuel }
//! ```
//!
//! Only loops and calls can make code run unboundedly, so checks go at the
//! head of every loop body and at the entry of every function that can be
//! part of a call cycle: functions in a cycle of direct calls, functions
//! that call indirectly (any cycle through an indirect call passes through
//! its caller), and functions that call imports (the host may call back;
//! the imports the transform resolves itself do not count). Leaf code is
//! only charged.
//!
//! Runtime functions (callers of the `asyncify.*` intrinsics that change
//! the unwind state, like a guest's stack-switching code) are not metered
//! at all, like imports: they are never instrumented, so a check in one
//! could not suspend, and the top-most one runs again on every rewind, so
//! charging it would make the fuel a run consumes depend on how often it
//! was suspended.
//!
//! # The counter in a local
//!
//! Inside a function the counter lives in a local (an interpreter runs a
//! charge as one instruction and a check as one branch, where going through
//! the global costs three): it is loaded from the global on entry, stored
//! back before every call and `return` and at the end, and reloaded after
//! every call, so callees, the host and the out-of-fuel handler always see
//! the global up to date. Between two calls of one run nothing charges, so
//! the reload after the first and the store before the second are left out.
//!
//! A trap therefore loses the charges the trapping function made since its
//! last call, return or out-of-fuel stop. Slicing only adds stops, so a
//! call that traps is charged at least what it is charged in one slice and
//! at most the charges it executed; with the same slicing the count is the
//! same on every run and engine. (Storing the counter at every check would
//! make traps exact too, at the price of a guarded global write per loop
//! iteration.)
//!
//! # Small loops
//!
//! After metering, small call-free innermost loops are laid out up to
//! [`FuelOptions::unroll`] times (default [`DEFAULT_UNROLL`]) so that one
//! check covers several iterations ([`crate::unroll`]). Charges stay
//! exactly the same (the global holds the same value at every call, return
//! and out-of-fuel stop), and a check fires exactly when the original
//! would; only a budget that runs out inside the later copies is noticed at
//! the next check.
//!
//! # Suspending
//!
//! `$out_of_fuel` is the import `rewind.out_of_fuel` (added when missing),
//! or a guest function given by name. The asyncify pass that runs next
//! treats it as a suspending call, so running out of fuel unwinds to the
//! host (or to the guest scheduler that owns the handler), which can add
//! fuel and rewind: execution continues exactly where it stopped. Charges
//! are never repeated on rewind, so the fuel consumed by a call that
//! returns is the same on every engine and for every way of slicing it.
//!
//! The asyncify pass is told where the checks are ([`Hints`]): it leaves a
//! check's condition unguarded and saves the counter with the frame, so in
//! normal state a check costs its charge and one branch (`flow.rs` explains
//! why that is safe during a rewind), and it lets the counter load run
//! before the frame is restored.
//!
//! # Reading and setting the counter from the guest
//!
//! The imports `rewind.get_fuel: [] -> [i64]` and `rewind.set_fuel: [i64]
//! -> []`, when the module has them, are replaced by functions reading and
//! writing the counter (same indices; not metered). A guest scheduler uses
//! them to give its tasks budgets of their own.
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

use walrus::ir::{
    BinaryOp, Binop, Block, Call, Const, GlobalGet, GlobalSet, Instr, InstrLocId, InstrSeqId,
    InstrSeqType, LocalGet, LocalSet, LocalTee, Value,
};
use walrus::{
    ConstExpr, ExportItem, FunctionId, FunctionKind, GlobalId, LocalFunction, LocalId, Module,
    ValType,
};

use crate::error::{Error, Result};
use crate::intrinsics;
use crate::ir::{Code, at, children, for_each_instr, function_name, if_then, retarget};
use crate::normalize::sequences;
use crate::unroll;

/// Name of the fuel global (and of its export).
pub const FUEL_GLOBAL: &str = "__rewind_fuel";
/// Module and name of the default out-of-fuel import.
pub const OUT_OF_FUEL_IMPORT: (&str, &str) = ("rewind", "out_of_fuel");
/// Import resolved to a function returning the counter: `[] -> [i64]`.
pub const GET_FUEL_IMPORT: (&str, &str) = ("rewind", "get_fuel");
/// Import resolved to a function setting the counter: `[i64] -> []`.
pub const SET_FUEL_IMPORT: (&str, &str) = ("rewind", "set_fuel");

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuelOptions {
    /// Instruction costs.
    pub costs: Costs,
    /// Import the fuel global from `env` instead of defining and exporting it.
    pub import_fuel: bool,
    /// A guest function (export or name-section name, type `[] -> []`) to
    /// call when fuel runs out, instead of the `rewind.out_of_fuel` import.
    pub handler: Option<String>,
    /// Lay small loop bodies out up to this many times so that one check
    /// covers that many iterations (see [`crate::unroll`]); 1 turns it off.
    pub unroll: u32,
}

impl Default for FuelOptions {
    fn default() -> Self {
        FuelOptions {
            costs: Costs::default(),
            import_fuel: false,
            handler: None,
            unroll: DEFAULT_UNROLL,
        }
    }
}

/// How many iterations of a small loop one check covers by default.
pub const DEFAULT_UNROLL: u32 = 4;

/// What the metering pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FuelReport {
    /// Functions that received charges.
    pub functions_metered: usize,
    /// Fuel checks inserted (function entries and loop headers).
    pub checks: usize,
    /// Charge points inserted.
    pub charges: usize,
    /// Small loops laid out several times, one check for several
    /// iterations.
    pub loops_unrolled: usize,
}

/// The handler the checks call, and whether it is the default import.
pub(crate) struct Metered {
    pub handler_is_import: bool,
    pub report: FuelReport,
    pub hints: Hints,
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

    let accessors = resolve_accessors(module, fuel)?;

    let plan = plan_checks(module, handler);
    let mut report = FuelReport::default();
    let mut hints = Hints::default();
    let ids: Vec<FunctionId> = module
        .funcs
        .iter()
        .filter(|f| {
            matches!(f.kind, FunctionKind::Local(_))
                && f.id() != handler
                && !accessors.contains(&f.id())
                && !plan.runtime.contains(&f.id())
        })
        .map(|f| f.id())
        .collect();
    let m = Meter {
        costs: &options.costs,
        fuel,
        handler,
        unroll: options.unroll,
    };
    for id in ids {
        let ty = module.types.get(module.funcs.get(id).ty());
        let results = ty.results().to_vec();
        let body_ty = InstrSeqType::new(&mut module.types, &[], &results);
        let FunctionKind::Local(func) = &mut module.funcs.get_mut(id).kind else {
            continue;
        };
        let mut counter = Counter {
            local: module.locals.add(ValType::I64),
            checks: &mut hints.checks,
            report: &mut report,
        };
        let prologue = m.function(func, body_ty, plan.entries.contains(&id), &mut counter);
        hints.prologue.insert(id, prologue);
        report.functions_metered += 1;
    }
    Ok(Metered {
        handler_is_import,
        report,
        hints,
    })
}

/// Replaces the imports `rewind.get_fuel: [] -> [i64]` and
/// `rewind.set_fuel: [i64] -> []` by functions reading and writing the
/// counter, keeping their indices. Returns their ids: they are not metered.
fn resolve_accessors(module: &mut Module, fuel: GlobalId) -> Result<Vec<FunctionId>> {
    let mut resolved = Vec::new();
    for ((from, name), params, results) in [
        (GET_FUEL_IMPORT, &[][..], &[ValType::I64][..]),
        (SET_FUEL_IMPORT, &[ValType::I64][..], &[][..]),
    ] {
        let Some(import) = module.imports.find(from, name) else {
            continue;
        };
        let walrus::ImportKind::Function(id) = module.imports.get(import).kind else {
            return Err(Error::Extension(format!(
                "the module imports `{from}.{name}` but not as a function"
            )));
        };
        let ty = module.types.get(module.funcs.get(id).ty());
        if ty.params() != params || ty.results() != results {
            return Err(Error::Extension(format!(
                "import `{from}.{name}` has type {:?} -> {:?}, expected {params:?} -> {results:?}",
                ty.params(),
                ty.results(),
            )));
        }
        let get = params.is_empty();
        let id = module
            .replace_imported_func(id, |(body, args)| {
                if get {
                    body.instr(GlobalGet { global: fuel });
                } else {
                    body.instr(LocalGet { local: args[0] })
                        .instr(GlobalSet { global: fuel });
                }
            })
            .map_err(|e| Error::Extension(format!("cannot resolve `{name}`: {e}")))?;
        resolved.push(id);
    }
    Ok(resolved)
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

/// Where checks may go, found before metering.
struct CheckPlan {
    /// Functions whose entry needs a check: those that can be part of a
    /// call cycle (see the module doc).
    entries: HashSet<FunctionId>,
    /// Runtime functions (callers of the intrinsics that change the unwind
    /// state): not metered.
    runtime: HashSet<FunctionId>,
}

fn plan_checks(module: &Module, handler: FunctionId) -> CheckPlan {
    let mut edges: HashMap<FunctionId, Vec<FunctionId>> = HashMap::new();
    let mut entries = HashSet::new();
    let mut runtime = HashSet::new();
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
                    entries.insert(f.id());
                    return;
                }
                _ => return,
            };
            match &module.funcs.get(callee).kind {
                FunctionKind::Import(import) if callee != handler => {
                    let import = module.imports.get(import.import);
                    match intrinsics::classify(&import.module, &import.name) {
                        // The host may call back into the module.
                        None => {
                            entries.insert(f.id());
                        }
                        Some(true) => {
                            runtime.insert(f.id());
                        }
                        Some(false) => {}
                    }
                }
                FunctionKind::Local(_) => out.push(callee),
                _ => {}
            }
        });
        edges.insert(f.id(), out);
    }
    entries.extend(in_cycles(&edges));
    CheckPlan { entries, runtime }
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

/// What the asyncify stage needs to know about a metered module.
#[derive(Debug, Default)]
pub(crate) struct Hints {
    /// The `then` sequence of each check's `if`, with the number of
    /// instructions of its condition, which directly precede the `if` (see
    /// `flow.rs`).
    pub checks: HashMap<InstrSeqId, usize>,
    /// Functions whose body starts by loading the counter, with the length
    /// of that code: it may run before the frame is restored, which
    /// overwrites the counter with its saved value (see `transform.rs`).
    pub prologue: HashMap<FunctionId, usize>,
}

struct Meter<'a> {
    costs: &'a Costs,
    fuel: GlobalId,
    handler: FunctionId,
    unroll: u32,
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
struct Counter<'a> {
    local: LocalId,
    checks: &'a mut HashMap<InstrSeqId, usize>,
    report: &'a mut FuelReport,
}

impl Meter<'_> {
    /// Meters `func`: its body moves into a block between loading the
    /// counter into `counter.local` and storing it back, then every
    /// sequence is cut into runs, each charged when it starts; loop bodies
    /// (and the body itself with `entry_check`) start with a check.
    /// Returns the length of the code loading the counter.
    fn function(
        &self,
        func: &mut LocalFunction,
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
                let ends_run = !children(&instr).is_empty()
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
        prologue
    }

    /// Appends an original instruction to a run. The counter goes back to
    /// the global before anything that leaves the function or may look at
    /// the global (calls, `return`) and is read again after a call returns.
    /// Between two calls of one run nothing charges, so the reload after
    /// the first and the store before the second cancel out.
    fn push(&self, run: &mut Run, instr: Instr, loc: InstrLocId, counter: LocalId) {
        let returns_here = matches!(
            instr,
            Instr::Call(_) | Instr::CallIndirect(_) | Instr::CallRef(_)
        );
        let leaves = matches!(
            instr,
            Instr::Return(_)
                | Instr::ReturnCall(_)
                | Instr::ReturnCallIndirect(_)
                | Instr::ReturnCallRef(_)
        );
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

/// `i64.const amount; op` applied to the `i64` on the stack (nothing for
/// 0).
pub(crate) fn offset(amount: u64, op: BinaryOp) -> Code {
    if amount == 0 {
        return Vec::new();
    }
    vec![at(i64_const(amount)), at(Instr::Binop(Binop { op }))]
}

fn i64_const(v: u64) -> Instr {
    Instr::Const(Const {
        value: Value::I64(v as i64),
    })
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
