//! The module's call graph, built in one walk over every defined function:
//! direct callees, the types of indirect calls, which functions can be
//! called indirectly at all, callers by callee, and the strongly connected
//! components (which functions can be part of a call cycle). The asyncify
//! analysis and the metering plan both read it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use walrus::ir::Instr;
use walrus::{ConstExpr, ElementItems, ExportItem, FunctionId, FunctionKind, Module, TypeId};

use crate::ir::{Target, callee, for_each_instr};

/// What one defined function calls.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    /// Functions called directly (`call`, `return_call`), imports included.
    pub direct: BTreeSet<FunctionId>,
    /// Types of indirect calls (`call_indirect`, `call_ref` and their tail
    /// forms).
    pub indirect: BTreeSet<TypeId>,
}

/// The call graph of a module.
#[derive(Debug)]
pub(crate) struct CallGraph {
    /// Every defined function, with its calls, in index order.
    pub calls: BTreeMap<FunctionId, Calls>,
    /// Functions whose reference the program can obtain: named in element
    /// segments, by `ref.func` in code or in global initialisers. Exported
    /// functions are added by [`CallGraph::expose_exports`].
    pub addressable: HashSet<FunctionId>,
}

impl CallGraph {
    /// Walks every defined function once.
    pub fn new(module: &Module) -> CallGraph {
        let mut calls = BTreeMap::new();
        let mut addressable = HashSet::new();
        for func in module.funcs.iter() {
            let FunctionKind::Local(local) = &func.kind else {
                continue;
            };
            let mut c = Calls::default();
            for_each_instr(local, local.entry_block(), |instr| {
                if let Instr::RefFunc(r) = instr {
                    addressable.insert(r.func);
                }
                match callee(instr).map(|site| site.target) {
                    Some(Target::Func(f)) => {
                        c.direct.insert(f);
                    }
                    Some(Target::Table(ty, _) | Target::Ref(ty)) => {
                        c.indirect.insert(ty);
                    }
                    None => {}
                }
            });
            calls.insert(func.id(), c);
        }
        for elem in module.elements.iter() {
            match &elem.items {
                ElementItems::Functions(fs) => addressable.extend(fs.iter().copied()),
                ElementItems::Expressions(_, exprs) => {
                    addressable.extend(exprs.iter().filter_map(|e| match e {
                        ConstExpr::RefFunc(f) => Some(*f),
                        _ => None,
                    }))
                }
            }
        }
        for global in module.globals.iter() {
            if let walrus::GlobalKind::Local(ConstExpr::RefFunc(f)) = &global.kind {
                addressable.insert(*f);
            }
        }
        CallGraph { calls, addressable }
    }

    /// Whether a table is imported or exported, so that the host can read
    /// and write its entries.
    pub fn table_exposed(module: &Module) -> bool {
        module.tables.iter().any(|t| t.import.is_some())
            || module
                .exports
                .iter()
                .any(|e| matches!(e.item, ExportItem::Table(_)))
    }

    /// Makes exported functions addressable: a host that can write a table
    /// can store them there.
    pub fn expose_exports(&mut self, module: &Module) {
        for export in module.exports.iter() {
            if let ExportItem::Function(f) = export.item {
                self.addressable.insert(f);
            }
        }
    }

    /// Whether `f` is a defined function.
    pub fn is_defined(&self, f: FunctionId) -> bool {
        self.calls.contains_key(&f)
    }

    /// For every callee, its direct callers, each list sorted.
    pub fn callers(&self) -> HashMap<FunctionId, Vec<FunctionId>> {
        self.invert(|c| c.direct.iter().copied().collect())
    }

    /// For every type, the functions that call indirectly through it, each
    /// list sorted.
    pub fn indirect_callers(&self) -> HashMap<TypeId, Vec<FunctionId>> {
        self.invert(|c| c.indirect.iter().copied().collect())
    }

    /// For every key `edges` gives some function, the functions that gave
    /// it, in index order.
    fn invert<K: std::hash::Hash + Eq>(
        &self,
        edges: impl Fn(&Calls) -> Vec<K>,
    ) -> HashMap<K, Vec<FunctionId>> {
        let mut inverse: HashMap<K, Vec<FunctionId>> = HashMap::new();
        for (f, c) in &self.calls {
            for key in edges(c) {
                inverse.entry(key).or_default().push(*f);
            }
        }
        inverse
    }

    /// Defined functions on a cycle of direct calls between defined
    /// functions (Tarjan's algorithm, iterative).
    pub fn cyclic(&self) -> HashSet<FunctionId> {
        let empty = BTreeSet::new();
        let successors = |v: FunctionId| -> Vec<FunctionId> {
            self.calls
                .get(&v)
                .map_or(&empty, |c| &c.direct)
                .iter()
                .copied()
                .filter(|f| self.is_defined(*f))
                .collect()
        };
        let mut index: HashMap<FunctionId, usize> = HashMap::new();
        let mut low: HashMap<FunctionId, usize> = HashMap::new();
        let mut on_stack = HashSet::new();
        let mut stack = Vec::new();
        let mut cyclic = HashSet::new();
        for &root in self.calls.keys() {
            if index.contains_key(&root) {
                continue;
            }
            // (node, its successors, the next one to visit)
            let mut work: Vec<(FunctionId, Vec<FunctionId>, usize)> =
                vec![(root, successors(root), 0)];
            let n = index.len();
            index.insert(root, n);
            low.insert(root, n);
            stack.push(root);
            on_stack.insert(root);
            while let Some((v, succ, i)) = work.last_mut() {
                let v = *v;
                if let Some(&w) = succ.get(*i) {
                    *i += 1;
                    if !index.contains_key(&w) {
                        let n = index.len();
                        index.insert(w, n);
                        low.insert(w, n);
                        stack.push(w);
                        on_stack.insert(w);
                        work.push((w, successors(w), 0));
                    } else if on_stack.contains(&w) {
                        let lw = index[&w];
                        let lv = low.get_mut(&v).expect("visited");
                        *lv = (*lv).min(lw);
                    }
                    continue;
                }
                let (_, succ, _) = work.pop().expect("not empty");
                if let Some((parent, _, _)) = work.last() {
                    let lv = low[&v];
                    let lp = low.get_mut(parent).expect("visited");
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(wat: &str) -> (Module, CallGraph) {
        let module = Module::from_buffer(&wat::parse_str(wat).unwrap()).unwrap();
        let graph = CallGraph::new(&module);
        (module, graph)
    }

    fn named(module: &Module, set: &HashSet<FunctionId>) -> Vec<String> {
        let mut names: Vec<String> = set
            .iter()
            .map(|f| module.funcs.get(*f).name.clone().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn cycles_are_found_and_chains_are_not() {
        let (module, g) = graph(
            r#"(module
                (func $a call $b)
                (func $b call $a)
                (func $self call $self)
                (func $chain call $leaf)
                (func $leaf))"#,
        );
        assert_eq!(named(&module, &g.cyclic()), ["a", "b", "self"]);
    }

    #[test]
    fn references_make_functions_addressable() {
        let (module, g) = graph(
            r#"(module
                (table 1 funcref)
                (elem (i32.const 0) $in_elem)
                (global funcref (ref.func $in_global))
                (func $in_elem)
                (func $in_global)
                (elem declare func $in_code)
                (func $in_code (drop (ref.func $in_code)))
                (func $never))"#,
        );
        assert_eq!(
            named(&module, &g.addressable),
            ["in_code", "in_elem", "in_global"]
        );
    }
}
