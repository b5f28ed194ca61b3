//! The propagation: from the roots up the call graph (direct callers, and
//! indirect callers through the types of addressable functions), or the
//! `--only-list` alone.

use std::collections::{HashMap, HashSet};

use walrus::{FunctionId, Module, TypeId};

use crate::callgraph::CallGraph;
use crate::options::Options;

use super::lists::Lists;
use super::roots::Roots;

/// Why a function is instrumented, before it is written out.
#[derive(Clone)]
pub(super) enum Why {
    Calls(FunctionId),
    CallsIndirect(TypeId, Option<FunctionId>),
    OnlyList,
    AddList,
    PropagateAddList,
}

/// What the propagation found.
pub(super) struct Propagation {
    /// Every function to instrument, with the first reason found.
    pub why: HashMap<FunctionId, Why>,
    /// Types whose indirect calls were found to suspend on the way.
    pub suspending_types: HashSet<TypeId>,
}

/// Marks functions for instrumentation, in a fixed order.
struct Marker<'a> {
    graph: &'a CallGraph,
    roots: &'a Roots,
    lists: &'a Lists,
    why: HashMap<FunctionId, Why>,
    work: Vec<FunctionId>,
}

impl Marker<'_> {
    fn excluded(&self, f: FunctionId) -> bool {
        self.roots.excluded(f) || self.lists.remove.members.contains(&f)
    }

    /// Marks `f` (a defined function not yet marked) and queues it so its
    /// callers are marked in turn.
    fn mark(&mut self, f: FunctionId, reason: Why) {
        if self.excluded(f) || self.why.contains_key(&f) || !self.graph.is_defined(f) {
            return;
        }
        self.why.insert(f, reason);
        self.work.push(f);
    }
}

pub(super) fn run(
    module: &Module,
    options: &Options,
    graph: &CallGraph,
    roots: &Roots,
    lists: &Lists,
) -> Propagation {
    let mut m = Marker {
        graph,
        roots,
        lists,
        why: HashMap::new(),
        work: Vec::new(),
    };
    let mut suspending_types = HashSet::new();
    if let Some(only) = &lists.only {
        for f in &only.members {
            if graph.is_defined(*f) && !m.excluded(*f) {
                m.why.insert(*f, Why::OnlyList);
            }
        }
        return Propagation {
            why: m.why,
            suspending_types,
        };
    }

    for f in &lists.propagate.members {
        if graph.is_defined(*f) && !m.excluded(*f) {
            m.why.insert(*f, Why::PropagateAddList);
        }
    }
    let callers = graph.callers();
    let indirect_callers = if options.ignore_indirect {
        HashMap::new()
    } else {
        graph.indirect_callers()
    };
    let mut work: Vec<FunctionId> = roots
        .suspending_imports
        .iter()
        .chain(&roots.top_most)
        .chain(m.why.keys())
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    work.sort();
    m.work = work;
    if roots.foreign_may_suspend && !options.ignore_indirect {
        let mut types: Vec<&TypeId> = indirect_callers.keys().collect();
        types.sort();
        for ty in types {
            suspending_types.insert(*ty);
            for caller in &indirect_callers[ty] {
                m.mark(*caller, Why::CallsIndirect(*ty, None));
            }
        }
    }
    while let Some(f) = m.work.pop() {
        for caller in callers.get(&f).into_iter().flatten() {
            m.mark(*caller, Why::Calls(f));
        }
        if graph.addressable.contains(&f) && !options.ignore_indirect {
            let ty = module.funcs.get(f).ty();
            if suspending_types.insert(ty) {
                for caller in indirect_callers.get(&ty).into_iter().flatten() {
                    m.mark(*caller, Why::CallsIndirect(ty, Some(f)));
                }
            }
        }
    }
    for f in &lists.add.members {
        if graph.is_defined(*f) && !m.excluded(*f) {
            m.why.entry(*f).or_insert(Why::AddList);
        }
    }
    Propagation {
        why: m.why,
        suspending_types,
    }
}
