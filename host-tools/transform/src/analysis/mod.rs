//! Which functions can change the unwind state, and so must be instrumented.
//!
//! # Roots ([`roots`])
//!
//! * imports that may suspend: all of them by default, those matching
//!   `--imports`, none with `--ignore-imports` (intrinsics never count);
//! * top-most runtime functions: defined functions that call
//!   `asyncify.start_unwind` or `asyncify.stop_rewind`. They change state
//!   for their callers but are not instrumented themselves;
//! * `--propagate-add-list` functions.
//!
//! # Propagation ([`propagate`])
//!
//! A defined function that calls a root, or a function already found, is
//! instrumented and becomes a root itself. Bottom-most runtime functions
//! (callers of `stop_unwind`/`start_rewind`) and `--remove-list` functions
//! are never instrumented and stop propagation. `--add-list` functions are
//! instrumented without propagating. `--only-list` replaces all of this with
//! the list itself ([`lists`]).
//!
//! # Indirect calls
//!
//! A `call_indirect` or `call_ref` of type `T` can only reach a function
//! whose reference the program or its host can obtain: functions named in
//! element segments or by `ref.func` (in code or constant expressions),
//! plus, when a table is imported or exported, exported functions and any
//! foreign function the host stores there. Such a call therefore suspends
//! only if some *addressable* function of type `T` changes state, or if the
//! host may store foreign functions (a table crosses the module boundary)
//! and foreign code may suspend (the import policy is the default "every
//! import may suspend"). This is sound: a function whose reference never
//! exists cannot be the target of an indirect call, and validation
//! guarantees the target's type equals `T` (the call traps otherwise).
//! `--ignore-indirect` makes every indirect call non-suspending.
//!
//! # Decisions ([`decisions`])
//!
//! Every defined function gets one [`Decision`], keyed by its id, saying
//! why it is or is not instrumented.

mod decisions;
mod explain;
mod lists;
mod propagate;
mod roots;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use walrus::{FunctionId, Module, TypeId};

use crate::callgraph::CallGraph;
use crate::error::Result;
use crate::intrinsics::Intrinsic;
use crate::options::Options;
use crate::report::Decision;

pub(crate) use explain::explain;
use lists::Lists;
use roots::Roots;

/// The verdict of the analysis.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Defined functions to instrument.
    pub instrument: BTreeSet<FunctionId>,
    /// Functions a call to which is a suspending call site.
    pub changes_state: HashSet<FunctionId>,
    /// Types whose indirect calls are suspending call sites.
    pub suspending_types: HashSet<TypeId>,
    /// Runtime functions: callers of the `asyncify.*` intrinsics that
    /// change the state (top-most and bottom-most).
    pub runtime: HashSet<FunctionId>,
    /// Functions whose reference the program (or, through an exposed
    /// table, its host) can obtain: the possible targets of indirect calls.
    pub addressable: HashSet<FunctionId>,
    /// One decision per defined function.
    pub decisions: BTreeMap<FunctionId, Decision>,
    /// List entries that matched nothing, and similar findings.
    pub warnings: Vec<String>,
}

impl Analysis {
    /// Adds `note` to the reason of `f`'s decision.
    pub fn note(&mut self, f: FunctionId, note: &str) {
        if let Some(d) = self.decisions.get_mut(&f) {
            d.reason.push_str("; ");
            d.reason.push_str(note);
        }
    }

    /// Records that `f`, selected for instrumentation, turned out to have
    /// no suspending call site and was left unchanged.
    pub fn left_unchanged(&mut self, f: FunctionId) {
        if let Some(d) = self.decisions.get_mut(&f) {
            d.instrumented = false;
            d.reason
                .push_str(", but has no suspending call site: left unchanged");
        }
    }
}

/// Runs the analysis.
pub(crate) fn analyse(
    module: &Module,
    options: &Options,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
) -> Result<Analysis> {
    Roots::check_policy(options)?;
    let mut warnings = Vec::new();
    let lists = Lists::resolve(module, options, &mut warnings)?;
    let mut graph = CallGraph::new(module);
    let roots = Roots::find(module, options, intrinsics, &graph, &mut warnings);
    if CallGraph::table_exposed(module) {
        graph.expose_exports(module);
    }
    let propagation = propagate::run(module, options, &graph, &roots, &lists);

    let instrument: BTreeSet<FunctionId> = propagation.why.keys().copied().collect();
    let mut changes_state: HashSet<FunctionId> = roots.suspending_imports.clone();
    changes_state.extend(roots.top_most.iter().copied());
    changes_state.extend(instrument.iter().copied());
    let mut suspending_types = propagation.suspending_types;
    if options.ignore_indirect {
        suspending_types.clear();
    } else {
        if roots.foreign_may_suspend {
            suspending_types.extend(
                graph
                    .calls
                    .values()
                    .flat_map(|c| c.indirect.iter().copied()),
            );
        }
        for f in &changes_state {
            if graph.addressable.contains(f) {
                suspending_types.insert(module.funcs.get(*f).ty());
            }
        }
    }
    let decisions = decisions::decide(module, intrinsics, &graph, &propagation.why, &roots, &lists);
    Ok(Analysis {
        instrument,
        changes_state,
        suspending_types,
        runtime: roots.top_most.union(&roots.bottom_most).copied().collect(),
        addressable: graph.addressable,
        decisions,
        warnings,
    })
}
