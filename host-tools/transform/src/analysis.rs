//! Which functions can change the unwind state, and so must be instrumented.
//!
//! # Roots
//!
//! * imports that may suspend: all of them by default, those matching
//!   `--imports`, none with `--ignore-imports` (intrinsics never count);
//! * top-most runtime functions: defined functions that call
//!   `asyncify.start_unwind` or `asyncify.stop_rewind`. They change state
//!   for their callers but are not instrumented themselves;
//! * `--propagate-add-list` functions.
//!
//! # Propagation
//!
//! A defined function that calls a root, or a function already found, is
//! instrumented and becomes a root itself. Bottom-most runtime functions
//! (callers of `stop_unwind`/`start_rewind`) and `--remove-list` functions
//! are never instrumented and stop propagation. `--add-list` functions are
//! instrumented without propagating. `--only-list` replaces all of this with
//! the list itself.
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

use std::collections::{BTreeSet, HashMap, HashSet};

use walrus::ir::Instr;
use walrus::{ConstExpr, ElementItems, ExportItem, FunctionId, FunctionKind, Module, TypeId};

use crate::error::{Error, Result};
use crate::intrinsics::Intrinsic;
use crate::ir::{for_each_instr, function_name};
use crate::options::Options;
use crate::patterns::matches;
use crate::report::Decision;

/// The verdict of the analysis.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// Defined functions to instrument.
    pub instrument: BTreeSet<FunctionId>,
    /// Functions a call to which is a suspending call site.
    pub changes_state: HashSet<FunctionId>,
    /// Types whose indirect calls are suspending call sites.
    pub suspending_types: HashSet<TypeId>,
    /// One decision per defined function, in index order.
    pub decisions: Vec<Decision>,
    /// List entries that matched nothing, and similar findings.
    pub warnings: Vec<String>,
}

/// What one function does that matters to the analysis.
#[derive(Default)]
struct Calls {
    direct: BTreeSet<FunctionId>,
    indirect: BTreeSet<TypeId>,
}

/// Why a function is instrumented or not, before it is written out.
#[derive(Clone)]
enum Why {
    Calls(FunctionId),
    CallsIndirect(TypeId, Option<FunctionId>),
    OnlyList,
    AddList,
    PropagateAddList,
}

/// A function list resolved against the module's names.
struct List {
    flag: &'static str,
    members: HashSet<FunctionId>,
}

fn resolve_list(
    module: &Module,
    flag: &'static str,
    patterns: &[String],
    warnings: &mut Vec<String>,
) -> List {
    let mut members = HashSet::new();
    for pattern in patterns {
        let before = members.len();
        let mut hit = false;
        for func in module.funcs.iter() {
            if func.name.as_deref().is_some_and(|n| matches(pattern, n)) {
                members.insert(func.id());
                hit = true;
            }
        }
        if !hit && members.len() == before {
            warnings.push(format!("{flag} entry `{pattern}` matches no function"));
        }
    }
    List { flag, members }
}

/// Runs the analysis.
pub(crate) fn analyse(
    module: &Module,
    options: &Options,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
) -> Result<Analysis> {
    let mut warnings = Vec::new();
    if options.ignore_imports && options.imports.is_some() {
        return Err(Error::Options(
            "--imports and --ignore-imports contradict each other".into(),
        ));
    }
    if options.only_list.is_some()
        && (!options.add_list.is_empty()
            || !options.propagate_add_list.is_empty()
            || !options.remove_list.is_empty())
    {
        return Err(Error::Options(
            "--only-list cannot be combined with --add-list, --propagate-add-list or --remove-list"
                .into(),
        ));
    }
    let only = options
        .only_list
        .as_ref()
        .map(|l| resolve_list(module, "--only-list", l, &mut warnings));
    let add = resolve_list(module, "--add-list", &options.add_list, &mut warnings);
    let propagate = resolve_list(
        module,
        "--propagate-add-list",
        &options.propagate_add_list,
        &mut warnings,
    );
    let remove = resolve_list(module, "--remove-list", &options.remove_list, &mut warnings);
    for listed in [&add, &propagate] {
        if let Some(both) = listed.members.iter().find(|f| remove.members.contains(f)) {
            return Err(Error::Options(format!(
                "function `{}` is in both {} and {}",
                function_name(module, *both),
                listed.flag,
                remove.flag
            )));
        }
    }

    // Suspending imports.
    let import_may_suspend = |module_name: &str, name: &str| -> bool {
        if options.ignore_imports {
            return false;
        }
        match &options.imports {
            None => true,
            Some(list) => {
                let full = format!("{module_name}.{name}");
                list.iter().any(|p| matches(p, &full))
            }
        }
    };
    let mut suspending_imports = HashSet::new();
    if let Some(list) = &options.imports {
        for pattern in list {
            let hit = module.funcs.iter().any(|f| match &f.kind {
                FunctionKind::Import(i) => {
                    let imp = module.imports.get(i.import);
                    matches(pattern, &format!("{}.{}", imp.module, imp.name))
                }
                _ => false,
            });
            if !hit {
                warnings.push(format!("--imports entry `{pattern}` matches no import"));
            }
        }
    }
    for func in module.funcs.iter() {
        if let FunctionKind::Import(i) = &func.kind {
            let imp = module.imports.get(i.import);
            if !intrinsics.contains_key(&func.id()) && import_may_suspend(&imp.module, &imp.name) {
                suspending_imports.insert(func.id());
            }
        }
    }

    // Per-function calls, runtime roles, and addressable functions.
    let mut calls: HashMap<FunctionId, Calls> = HashMap::new();
    let mut top_most = HashSet::new();
    let mut bottom_most = HashSet::new();
    let mut addressable: HashSet<FunctionId> = HashSet::new();
    for func in module.funcs.iter() {
        let FunctionKind::Local(local) = &func.kind else {
            continue;
        };
        let mut c = Calls::default();
        for_each_instr(local, local.entry_block(), |instr| match instr {
            Instr::Call(walrus::ir::Call { func })
            | Instr::ReturnCall(walrus::ir::ReturnCall { func }) => {
                c.direct.insert(*func);
            }
            Instr::CallIndirect(ci) => {
                c.indirect.insert(ci.ty);
            }
            Instr::ReturnCallIndirect(ci) => {
                c.indirect.insert(ci.ty);
            }
            Instr::CallRef(cr) => {
                c.indirect.insert(cr.ty);
            }
            Instr::ReturnCallRef(cr) => {
                c.indirect.insert(cr.ty);
            }
            Instr::RefFunc(r) => {
                addressable.insert(r.func);
            }
            _ => {}
        });
        for callee in &c.direct {
            match intrinsics.get(callee) {
                Some(i) if i.starts_state_change() => {
                    top_most.insert(func.id());
                }
                Some(i) if i.drives_state_change() => {
                    bottom_most.insert(func.id());
                }
                _ => {}
            }
        }
        calls.insert(func.id(), c);
    }
    for elem in module.elements.iter() {
        match &elem.items {
            ElementItems::Functions(fs) => addressable.extend(fs.iter().copied()),
            ElementItems::Expressions(_, exprs) => {
                for e in exprs {
                    if let ConstExpr::RefFunc(f) = e {
                        addressable.insert(*f);
                    }
                }
            }
        }
    }
    for global in module.globals.iter() {
        if let walrus::GlobalKind::Local(ConstExpr::RefFunc(f)) = &global.kind {
            addressable.insert(*f);
        }
    }
    let table_exposed = module.tables.iter().any(|t| t.import.is_some())
        || module
            .exports
            .iter()
            .any(|e| matches!(e.item, ExportItem::Table(_)));
    if table_exposed {
        for export in module.exports.iter() {
            if let ExportItem::Function(f) = export.item {
                addressable.insert(f);
            }
        }
    }
    let foreign_may_suspend = table_exposed && options.imports.is_none() && !options.ignore_imports;
    let func_type = |f: FunctionId| module.funcs.get(f).ty();

    // Propagation.
    let mut why: HashMap<FunctionId, Why> = HashMap::new();
    let mut propagating: HashSet<FunctionId> = suspending_imports.clone();
    propagating.extend(top_most.iter().copied());
    let mut suspending_types: HashSet<TypeId> = HashSet::new();
    let excluded = |f: &FunctionId| {
        remove.members.contains(f) || bottom_most.contains(f) || top_most.contains(f)
    };

    if let Some(only) = &only {
        for f in &only.members {
            if calls.contains_key(f) && !excluded(f) {
                why.insert(*f, Why::OnlyList);
            }
        }
        propagating.extend(why.keys().copied());
    } else {
        for f in &propagate.members {
            if calls.contains_key(f) && !excluded(f) {
                why.insert(*f, Why::PropagateAddList);
                propagating.insert(*f);
            }
        }
        let mut callers: HashMap<FunctionId, Vec<FunctionId>> = HashMap::new();
        let mut indirect_callers: HashMap<TypeId, Vec<FunctionId>> = HashMap::new();
        for (f, c) in &calls {
            for callee in &c.direct {
                callers.entry(*callee).or_default().push(*f);
            }
            if !options.ignore_indirect {
                for ty in &c.indirect {
                    indirect_callers.entry(*ty).or_default().push(*f);
                }
            }
        }
        for list in callers.values_mut().chain(indirect_callers.values_mut()) {
            list.sort();
        }
        let mut work: Vec<FunctionId> = propagating.iter().copied().collect();
        work.sort();
        let mark = |f: FunctionId,
                    reason: Why,
                    why: &mut HashMap<FunctionId, Why>,
                    propagating: &mut HashSet<FunctionId>,
                    work: &mut Vec<FunctionId>| {
            if excluded(&f) || why.contains_key(&f) || !calls.contains_key(&f) {
                return;
            }
            why.insert(f, reason);
            propagating.insert(f);
            work.push(f);
        };
        if foreign_may_suspend && !options.ignore_indirect {
            for (ty, list) in &indirect_callers {
                suspending_types.insert(*ty);
                for caller in list {
                    mark(
                        *caller,
                        Why::CallsIndirect(*ty, None),
                        &mut why,
                        &mut propagating,
                        &mut work,
                    );
                }
            }
        }
        while let Some(f) = work.pop() {
            for caller in callers.get(&f).into_iter().flatten() {
                mark(
                    *caller,
                    Why::Calls(f),
                    &mut why,
                    &mut propagating,
                    &mut work,
                );
            }
            if addressable.contains(&f) && !options.ignore_indirect {
                let ty = func_type(f);
                if suspending_types.insert(ty) {
                    for caller in indirect_callers.get(&ty).into_iter().flatten() {
                        mark(
                            *caller,
                            Why::CallsIndirect(ty, Some(f)),
                            &mut why,
                            &mut propagating,
                            &mut work,
                        );
                    }
                }
            }
        }
        for f in &add.members {
            if calls.contains_key(f) && !excluded(f) {
                why.entry(*f).or_insert(Why::AddList);
            }
        }
    }

    let instrument: BTreeSet<FunctionId> = why.keys().copied().collect();
    let mut changes_state: HashSet<FunctionId> = suspending_imports;
    changes_state.extend(top_most.iter().copied());
    changes_state.extend(instrument.iter().copied());
    if !options.ignore_indirect {
        if foreign_may_suspend {
            suspending_types.extend(calls.values().flat_map(|c| c.indirect.iter().copied()));
        }
        for f in &changes_state {
            if addressable.contains(f) {
                suspending_types.insert(func_type(*f));
            }
        }
    } else {
        suspending_types.clear();
    }

    let mut decisions = Vec::new();
    let mut locals: Vec<FunctionId> = calls.keys().copied().collect();
    locals.sort();
    for f in locals {
        let name = function_name(module, f);
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
            None if top_most.contains(&f) => (
                false,
                "top-most runtime (calls asyncify.start_unwind or stop_rewind)".into(),
            ),
            None if bottom_most.contains(&f) => (
                false,
                "bottom-most runtime (calls asyncify.stop_unwind or start_rewind)".into(),
            ),
            None if remove.members.contains(&f) => (false, "in --remove-list".into()),
            None if only.is_some() => (false, "not in --only-list".into()),
            None => (false, "cannot reach a suspending call".into()),
        };
        decisions.push(Decision {
            function: name,
            instrumented,
            reason,
        });
    }

    Ok(Analysis {
        instrument,
        changes_state,
        suspending_types,
        decisions,
        warnings,
    })
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

fn describe_type(module: &Module, ty: TypeId) -> String {
    let t = module.types.get(ty);
    let list = |v: &[walrus::ValType]| {
        v.iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("[{}] -> [{}]", list(t.params()), list(t.results()))
}
