//! Where checks go: the entries of functions that can be part of a call
//! cycle (see the module doc of [`super`]), and which functions are runtime
//! code that is not metered at all.

use std::collections::HashSet;

use walrus::{FunctionId, FunctionKind, Module};

use crate::callgraph::CallGraph;
use crate::intrinsics;

/// Where checks may go, found before metering.
pub(super) struct CheckPlan {
    /// Functions whose entry needs a check: those that can be part of a
    /// call cycle (see the module doc).
    pub entries: HashSet<FunctionId>,
    /// Runtime functions (callers of the intrinsics that change the unwind
    /// state): not metered.
    pub runtime: HashSet<FunctionId>,
}

impl CheckPlan {
    /// A function can be part of a call cycle when it is on a cycle of
    /// direct calls, calls indirectly, or calls an import that is not an
    /// intrinsic (the host may call back). `handler` is the out-of-fuel
    /// handler: calling it is not a host call.
    pub fn new(module: &Module, handler: FunctionId) -> CheckPlan {
        let graph = CallGraph::new(module);
        let mut entries = graph.cyclic();
        let mut runtime = HashSet::new();
        for (f, calls) in &graph.calls {
            if !calls.indirect.is_empty() {
                entries.insert(*f);
            }
            for callee in &calls.direct {
                let FunctionKind::Import(import) = &module.funcs.get(*callee).kind else {
                    continue;
                };
                if *callee == handler {
                    continue;
                }
                let import = module.imports.get(import.import);
                match intrinsics::classify(&import.module, &import.name) {
                    // The host may call back into the module.
                    None => {
                        entries.insert(*f);
                    }
                    Some(true) => {
                        runtime.insert(*f);
                    }
                    Some(false) => {}
                }
            }
        }
        CheckPlan { entries, runtime }
    }
}
