//! Why one function is (or is not) instrumented: the rule that decided it
//! and, when it was reached by propagation, a shortest chain of calls from
//! it to where the suspension starts (a suspending import, a top-most
//! runtime function, a `--propagate-add-list` entry, or an indirect call
//! through a table the host may fill).

use std::collections::{HashMap, VecDeque};

use walrus::{FunctionId, FunctionKind, Module};

use crate::callgraph::CallGraph;
use crate::intrinsics::Intrinsic;
use crate::ir::function_name;
use crate::options::Options;
use crate::report::{Explanation, Step};

use super::Analysis;
use super::lists::Lists;
use super::roots::Roots;

/// One hop of the search: how a function reaches the next one.
#[derive(Clone)]
enum Hop {
    Calls,
    /// An indirect call of this type, to an addressable function of the
    /// type that changes state.
    Indirect(walrus::TypeId),
}

/// Explains `target`'s decision.
pub(crate) fn explain(
    module: &Module,
    options: &Options,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
    analysis: &Analysis,
    target: FunctionId,
) -> Explanation {
    let decision = &analysis.decisions[&target];
    let mut explanation = Explanation {
        function: decision.function.clone(),
        instrumented: decision.instrumented,
        rule: decision.reason.clone(),
        path: Vec::new(),
    };
    if !decision.instrumented && !analysis.instrument.contains(&target) {
        return explanation;
    }
    let mut warnings = Vec::new();
    let Ok(lists) = Lists::resolve(module, options, &mut warnings) else {
        return explanation;
    };
    if lists.only.is_some() {
        return explanation;
    }
    let mut graph = CallGraph::new(module);
    let roots = Roots::find(module, options, intrinsics, &graph, &mut warnings);
    if CallGraph::table_exposed(module) {
        graph.expose_exports(module);
    }
    let is_root = |f: FunctionId| {
        roots.suspending_imports.contains(&f)
            || roots.top_most.contains(&f)
            || lists.propagate.members.contains(&f)
    };
    // Breadth first over the calls that change state.
    let mut came_from: HashMap<FunctionId, (FunctionId, Hop)> = HashMap::new();
    let mut queue = VecDeque::from([target]);
    let mut end = None;
    while let Some(f) = queue.pop_front() {
        if f != target && is_root(f) {
            end = Some(f);
            break;
        }
        let Some(calls) = graph.calls.get(&f) else {
            continue;
        };
        let mut hops: Vec<(FunctionId, Hop)> = calls
            .direct
            .iter()
            .filter(|g| analysis.changes_state.contains(g))
            .map(|g| (*g, Hop::Calls))
            .collect();
        for ty in &calls.indirect {
            if !analysis.suspending_types.contains(ty) {
                continue;
            }
            let via =
                graph.addressable.iter().copied().filter(|g| {
                    module.funcs.get(*g).ty() == *ty && analysis.changes_state.contains(g)
                });
            let mut via: Vec<FunctionId> = via.collect();
            via.sort();
            match via.first() {
                Some(g) => hops.push((*g, Hop::Indirect(*ty))),
                None if roots.foreign_may_suspend => {
                    explanation.path = chain(module, &came_from, target, f);
                    explanation.path.push(Step {
                        function: function_name(module, f),
                        how: format!(
                            "calls indirectly through type {}, and a table crosses the module boundary (the host may store a suspending function there)",
                            super::decisions::describe_type(module, *ty)
                        ),
                    });
                    return explanation;
                }
                None => {}
            }
        }
        for (g, hop) in hops {
            if g != target && !came_from.contains_key(&g) {
                came_from.insert(g, (f, hop));
                queue.push_back(g);
            }
        }
    }
    if let Some(end) = end {
        explanation.path = chain(module, &came_from, target, end);
        explanation.path.push(Step {
            function: describe_end(module, end),
            how: end_rule(options, &roots, end),
        });
    }
    explanation
}

/// The steps from `target` to just before `to`.
fn chain(
    module: &Module,
    came_from: &HashMap<FunctionId, (FunctionId, Hop)>,
    target: FunctionId,
    to: FunctionId,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut at = to;
    while at != target {
        let (from, hop) = came_from[&at].clone();
        let how = match hop {
            Hop::Calls => "calls".to_string(),
            Hop::Indirect(ty) => format!(
                "calls indirectly through type {}, which may reach",
                super::decisions::describe_type(module, ty)
            ),
        };
        steps.push(Step {
            function: function_name(module, from),
            how,
        });
        at = from;
    }
    steps.reverse();
    steps
}

fn describe_end(module: &Module, f: FunctionId) -> String {
    match &module.funcs.get(f).kind {
        FunctionKind::Import(i) => {
            let import = module.imports.get(i.import);
            format!("{}.{}", import.module, import.name)
        }
        _ => function_name(module, f),
    }
}

/// Why the end of a chain changes the state.
fn end_rule(options: &Options, roots: &Roots, f: FunctionId) -> String {
    if roots.suspending_imports.contains(&f) {
        return match &options.imports {
            None => "an import: every import may suspend unless --imports says otherwise".into(),
            Some(_) => "an import matched by --imports".into(),
        };
    }
    if roots.top_most.contains(&f) {
        return "top-most runtime: calls asyncify.start_unwind or stop_rewind".into();
    }
    "in --propagate-add-list".into()
}
