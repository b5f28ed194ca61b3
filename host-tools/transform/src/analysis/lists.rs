//! The option lists (`--only-list`, `--add-list`, `--propagate-add-list`,
//! `--remove-list`) resolved against the module's function names, and the
//! conflicts between them.

use std::collections::HashSet;

use walrus::{FunctionId, Module};

use crate::error::{Error, Result};
use crate::ir::function_name;
use crate::options::Options;
use crate::patterns::matches;

/// A function list resolved against the module's names.
pub(super) struct List {
    pub flag: &'static str,
    pub members: HashSet<FunctionId>,
}

impl List {
    /// The functions whose name matches one of `patterns`; a pattern that
    /// matches nothing is a warning.
    fn resolve(
        module: &Module,
        flag: &'static str,
        patterns: &[String],
        warnings: &mut Vec<String>,
    ) -> List {
        let mut members = HashSet::new();
        for pattern in patterns {
            let mut hit = false;
            for func in module.funcs.iter() {
                if func.name.as_deref().is_some_and(|n| matches(pattern, n)) {
                    members.insert(func.id());
                    hit = true;
                }
            }
            if !hit {
                warnings.push(format!("{flag} entry `{pattern}` matches no function"));
            }
        }
        List { flag, members }
    }
}

/// All four lists.
pub(super) struct Lists {
    pub only: Option<List>,
    pub add: List,
    pub propagate: List,
    pub remove: List,
}

impl Lists {
    /// Resolves the lists of `options`, rejecting combinations that
    /// contradict each other.
    pub fn resolve(
        module: &Module,
        options: &Options,
        warnings: &mut Vec<String>,
    ) -> Result<Lists> {
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
            .map(|l| List::resolve(module, "--only-list", l, warnings));
        let add = List::resolve(module, "--add-list", &options.add_list, warnings);
        let propagate = List::resolve(
            module,
            "--propagate-add-list",
            &options.propagate_add_list,
            warnings,
        );
        let remove = List::resolve(module, "--remove-list", &options.remove_list, warnings);
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
        Ok(Lists {
            only,
            add,
            propagate,
            remove,
        })
    }
}
