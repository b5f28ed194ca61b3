//! Tail calls to functions that may suspend, kept as tail calls.
//!
//! A `return_call` replaces its caller's frame, so when its callee (or a
//! function it tail-calls in turn) unwinds, the caller is no longer on the
//! stack: the callee saves its frame and returns straight to the caller's
//! caller, which saves its own. On the rewind that caller calls the
//! function it called, which finds on top of the save stack a frame that is
//! not its own. So the frames of every function involved carry a *tag* as
//! their last word, and a function that keeps its tail calls
//! starts its rewind by reading the tag of the top frame: its own, it
//! resumes as usual; another function's, it tail-calls that function with
//! placeholder arguments (the callee restores its locals, parameters
//! included, from its frame). The native stack stays as deep as in the
//! original.
//!
//! A function keeps its tail calls (`return_call`, `return_call_indirect`)
//! when every function they may reach is a defined function that is
//! instrumented and whose parameters all have a placeholder value (numbers,
//! nullable references); an indirect one needs a table the host cannot
//! write (else foreign functions may be reached). Otherwise, and for every
//! `return_call_ref`, the tail calls of that function to functions that may
//! suspend become `call` + `return` (`normalize.rs`): correct, but one
//! native frame per iteration.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use walrus::ir::{
    BinaryOp, Binop, GlobalGet, Instr, LocalGet, LocalSet, ReturnCall, UnaryOp, Unop, Unreachable,
};
use walrus::{FunctionId, FunctionKind, LocalFunction, ModuleLocals, TypeId, ValType};

use crate::abi_state::Abi;
use crate::analysis::Analysis;
use crate::ir::{Code, Target, at, callee, for_each_instr, i32_const, if_then};

/// Which functions keep their tail calls, and the tags.
#[derive(Debug, Default)]
pub(crate) struct TailCalls {
    /// Functions whose suspending `return_call` and `return_call_indirect`
    /// stay tail calls, with the functions a rewind into them may have to
    /// re-enter by tag (every function reachable through kept tail calls).
    keepers: BTreeMap<FunctionId, BTreeSet<FunctionId>>,
    /// The tag each involved function writes in its frame.
    tags: HashMap<FunctionId, u32>,
    /// How many tail calls each keeper keeps.
    kept: HashMap<FunctionId, usize>,
}

impl TailCalls {
    /// Decides for every function `analysis` instruments.
    pub fn plan(module: &walrus::Module, analysis: &Analysis, table_exposed: bool) -> TailCalls {
        let by_type = addressable_by_type(module, analysis);
        let eligible = |f: FunctionId| {
            analysis.instrument.contains(&f)
                && !analysis.runtime.contains(&f)
                && module
                    .types
                    .get(module.funcs.get(f).ty())
                    .params()
                    .iter()
                    .all(|t| has_placeholder(*t))
        };
        // Each function's suspending tail calls' targets, `None` when one
        // of them cannot be kept.
        let mut direct: BTreeMap<FunctionId, BTreeSet<FunctionId>> = BTreeMap::new();
        let mut kept = HashMap::new();
        for &g in &analysis.instrument {
            let FunctionKind::Local(func) = &module.funcs.get(g).kind else {
                continue;
            };
            let mut targets = Some(BTreeSet::new());
            let mut sites = 0;
            for_each_instr(func, func.entry_block(), |instr| {
                let Some(site) = callee(instr).filter(|s| s.tail) else {
                    return;
                };
                let reach: Option<Vec<FunctionId>> = match site.target {
                    Target::Func(f) if analysis.changes_state.contains(&f) => Some(vec![f]),
                    Target::Table(ty, _) if analysis.suspending_types.contains(&ty) => {
                        (!table_exposed).then(|| by_type.get(&ty).cloned().unwrap_or_default())
                    }
                    Target::Ref(ty) if analysis.suspending_types.contains(&ty) => None,
                    _ => return,
                };
                sites += 1;
                match reach {
                    Some(fs) if fs.iter().all(|f| eligible(*f)) => {
                        if let Some(t) = &mut targets {
                            t.extend(fs);
                        }
                    }
                    _ => targets = None,
                }
            });
            if let (1.., Some(t)) = (sites, targets) {
                direct.insert(g, t);
                kept.insert(g, sites);
            }
        }
        let mut keepers = BTreeMap::new();
        let mut tagged = BTreeSet::new();
        for (&g, first) in &direct {
            let mut reach: BTreeSet<FunctionId> = first.clone();
            let mut pending: Vec<FunctionId> = first.iter().copied().collect();
            while let Some(c) = pending.pop() {
                for &d in direct.get(&c).into_iter().flatten() {
                    if reach.insert(d) {
                        pending.push(d);
                    }
                }
            }
            tagged.insert(g);
            tagged.extend(reach.iter().copied());
            reach.remove(&g);
            keepers.insert(g, reach);
        }
        let tags = tagged.into_iter().zip(1..).collect();
        TailCalls {
            keepers,
            tags,
            kept,
        }
    }

    /// Whether `f` keeps its suspending direct and table tail calls.
    pub fn keeps(&self, f: FunctionId) -> bool {
        self.keepers.contains_key(&f)
    }

    /// How many tail calls `f` keeps.
    pub fn kept(&self, f: FunctionId) -> usize {
        self.kept.get(&f).copied().unwrap_or(0)
    }

    /// The tag `f`'s frame carries, if any.
    pub fn tag(&self, f: FunctionId) -> Option<u32> {
        self.tags.get(&f).copied()
    }

    /// The functions a rewind into `f` may have to re-enter.
    pub fn reentries(&self, f: FunctionId) -> impl Iterator<Item = FunctionId> + '_ {
        self.keepers.get(&f).into_iter().flatten().copied()
    }

    /// For a function that keeps its tail calls: on a rewind, when the top
    /// frame is not its own, tail-call the function it belongs to, with
    /// `args[c]` (placeholders for its parameters). Empty for other
    /// functions.
    pub fn reentry(
        &self,
        func: &mut LocalFunction,
        f: FunctionId,
        abi: &Abi,
        locals: &mut ModuleLocals,
        mut args: HashMap<FunctionId, Code>,
    ) -> Code {
        let Some(reach) = self.keepers.get(&f) else {
            return Vec::new();
        };
        let tag = locals.add(ValType::I32);
        let is = |t: u32| {
            vec![
                at(Instr::LocalGet(LocalGet { local: tag })),
                at(i32_const(t as i32)),
                at(Instr::Binop(Binop {
                    op: BinaryOp::I32Eq,
                })),
            ]
        };
        let mut others = Vec::new();
        for &c in reach {
            let mut call = args.remove(&c).unwrap_or_default();
            call.push(at(Instr::ReturnCall(ReturnCall { func: c })));
            others.extend(if_then(func, is(self.tags[&c]), call));
        }
        // No function of the plan wrote this tag: the save stack is not
        // one this module unwound.
        others.push(at(Instr::Unreachable(Unreachable {})));
        let mut body = vec![
            // tag = the last word of the top frame
            at(Instr::GlobalGet(GlobalGet { global: abi.data })),
            at(abi.load_ptr(0)),
            at(abi.ptr_const(4)),
            at(abi.ptr_op(BinaryOp::I32Sub, BinaryOp::I64Sub)),
            at(abi.load(ValType::I32, 0)),
            at(Instr::LocalSet(LocalSet { local: tag })),
        ];
        let mut not_own = is(self.tags[&f]);
        not_own.push(at(Instr::Unop(Unop {
            op: UnaryOp::I32Eqz,
        })));
        body.extend(if_then(func, not_own, others));
        if_then(func, abi.rewinding(), body)
    }
}

/// For every function type, the addressable functions of that type that
/// change state.
fn addressable_by_type(
    module: &walrus::Module,
    analysis: &Analysis,
) -> HashMap<TypeId, Vec<FunctionId>> {
    let mut by_type: HashMap<TypeId, Vec<FunctionId>> = HashMap::new();
    let addressable: HashSet<&FunctionId> = analysis.addressable.iter().collect();
    for f in module.funcs.iter() {
        if addressable.contains(&f.id()) && analysis.changes_state.contains(&f.id()) {
            by_type.entry(f.ty()).or_default().push(f.id());
        }
    }
    by_type
}

/// Whether a placeholder of `ty` is one constant (`placeholder.rs` makes
/// it): a number or a nullable reference.
fn has_placeholder(ty: ValType) -> bool {
    !matches!(ty, ValType::Ref(r) if !r.nullable)
}
