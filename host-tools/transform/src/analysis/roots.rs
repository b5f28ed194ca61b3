//! Where the state changes start: the imports that may suspend under the
//! import policy, and the runtime roles of functions that call the
//! `asyncify.*` intrinsics.

use std::collections::{HashMap, HashSet};

use walrus::{FunctionId, FunctionKind, Module};

use crate::callgraph::CallGraph;
use crate::error::{Error, Result};
use crate::intrinsics::Intrinsic;
use crate::options::Options;
use crate::patterns::matches;

/// The roots of the propagation.
pub(super) struct Roots {
    /// Imports that may suspend (never an intrinsic).
    pub suspending_imports: HashSet<FunctionId>,
    /// Callers of `start_unwind`/`stop_rewind`: they change the state for
    /// their callers and are not instrumented.
    pub top_most: HashSet<FunctionId>,
    /// Callers of `stop_unwind`/`start_rewind`: never instrumented, and
    /// the propagation stops there.
    pub bottom_most: HashSet<FunctionId>,
    /// A table crosses the module boundary and every import may suspend:
    /// the host may store a suspending foreign function in it.
    pub foreign_may_suspend: bool,
}

impl Roots {
    /// Rejects an import policy that contradicts itself.
    pub fn check_policy(options: &Options) -> Result<()> {
        if options.ignore_imports && options.imports.is_some() {
            return Err(Error::Options(
                "--imports and --ignore-imports contradict each other".into(),
            ));
        }
        Ok(())
    }

    /// Finds the roots under the import policy of `options`.
    pub fn find(
        module: &Module,
        options: &Options,
        intrinsics: &HashMap<FunctionId, Intrinsic>,
        graph: &CallGraph,
        warnings: &mut Vec<String>,
    ) -> Roots {
        let import_name = |f: &walrus::Function| match &f.kind {
            FunctionKind::Import(i) => {
                let imp = module.imports.get(i.import);
                Some(format!("{}.{}", imp.module, imp.name))
            }
            _ => None,
        };
        if let Some(list) = &options.imports {
            for pattern in list {
                let hit = module
                    .funcs
                    .iter()
                    .filter_map(import_name)
                    .any(|full| matches(pattern, &full));
                if !hit {
                    warnings.push(format!("--imports entry `{pattern}` matches no import"));
                }
            }
        }
        let may_suspend = |full: &str| -> bool {
            if options.ignore_imports {
                return false;
            }
            match &options.imports {
                None => true,
                Some(list) => list.iter().any(|p| matches(p, full)),
            }
        };
        let suspending_imports = module
            .funcs
            .iter()
            .filter(|f| !intrinsics.contains_key(&f.id()))
            .filter(|f| import_name(f).is_some_and(|full| may_suspend(&full)))
            .map(|f| f.id())
            .collect();

        let mut top_most = HashSet::new();
        let mut bottom_most = HashSet::new();
        for (f, calls) in &graph.calls {
            for callee in &calls.direct {
                match intrinsics.get(callee) {
                    Some(i) if i.starts_state_change() => {
                        top_most.insert(*f);
                    }
                    Some(i) if i.drives_state_change() => {
                        bottom_most.insert(*f);
                    }
                    _ => {}
                }
            }
        }
        let foreign_may_suspend = CallGraph::table_exposed(module)
            && options.imports.is_none()
            && !options.ignore_imports;
        Roots {
            suspending_imports,
            top_most,
            bottom_most,
            foreign_may_suspend,
        }
    }

    /// Never instrumented, whatever the lists or the propagation say.
    pub fn excluded(&self, f: FunctionId) -> bool {
        self.bottom_most.contains(&f) || self.top_most.contains(&f)
    }
}
