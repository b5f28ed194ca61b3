//! One human-readable decision per defined function: instrumented or not,
//! and the rule that applied.

use std::collections::{BTreeMap, HashMap};

use walrus::{FunctionId, FunctionKind, Module, TypeId};

use crate::callgraph::CallGraph;
use crate::intrinsics::Intrinsic;
use crate::ir::function_name;
use crate::report::Decision;

use super::lists::Lists;
use super::propagate::Why;
use super::roots::Roots;

/// The decision for every defined function, keyed by id.
pub(super) fn decide(
    module: &Module,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
    graph: &CallGraph,
    why: &HashMap<FunctionId, Why>,
    roots: &Roots,
    lists: &Lists,
) -> BTreeMap<FunctionId, Decision> {
    let mut decisions = BTreeMap::new();
    for &f in graph.calls.keys() {
        let (instrumented, reason) = match why.get(&f) {
            Some(Why::Calls(callee)) => (true, describe_call(module, intrinsics, *callee)),
            Some(Why::CallsIndirect(ty, target)) => (
                true,
                match target {
                    Some(t) => format!(
                        "calls indirectly through type {} which may reach `{}`",
                        describe_type(module, *ty),
                        function_name(module, *t)
                    ),
                    None => format!(
                        "calls indirectly through type {} and a table crosses the module boundary",
                        describe_type(module, *ty)
                    ),
                },
            ),
            Some(Why::OnlyList) => (true, "in --only-list".into()),
            Some(Why::AddList) => (true, "in --add-list".into()),
            Some(Why::PropagateAddList) => (true, "in --propagate-add-list".into()),
            None if roots.top_most.contains(&f) => (
                false,
                "top-most runtime (calls asyncify.start_unwind or stop_rewind)".into(),
            ),
            None if roots.bottom_most.contains(&f) => (
                false,
                "bottom-most runtime (calls asyncify.stop_unwind or start_rewind)".into(),
            ),
            None if lists.remove.members.contains(&f) => (false, "in --remove-list".into()),
            None if lists.only.is_some() => (false, "not in --only-list".into()),
            None => (false, "cannot reach a suspending call".into()),
        };
        decisions.insert(
            f,
            Decision {
                function: function_name(module, f),
                instrumented,
                reason,
            },
        );
    }
    decisions
}

fn describe_call(
    module: &Module,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
    callee: FunctionId,
) -> String {
    match &module.funcs.get(callee).kind {
        FunctionKind::Import(i) if !intrinsics.contains_key(&callee) => {
            let imp = module.imports.get(i.import);
            format!("calls import `{}.{}`", imp.module, imp.name)
        }
        _ => format!("calls `{}`", function_name(module, callee)),
    }
}

pub(super) fn describe_type(module: &Module, ty: TypeId) -> String {
    let t = module.types.get(ty);
    let list = |v: &[walrus::ValType]| {
        v.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("[{}] -> [{}]", list(t.params()), list(t.results()))
}
