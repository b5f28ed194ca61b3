//! `--asserts`: a function left uninstrumented that ends up on the stack
//! during a suspension traps at once, naming itself and the call.
//!
//! Every defined function that is not instrumented (nor runtime code) gets
//! a check after each call that can change the state (an import other than
//! the intrinsics, an indirect call, a call to an instrumented function or
//! to a top-most runtime function), and one on entry:
//!
//! ```text
//! call $read                 ;; may unwind
//! if state != NORMAL { __rewind_not_instrumented(FUNCTION, CALLEE) }
//! ```
//!
//! After such a call the state must be normal: unwinding means an unwind
//! is passing through a function that cannot save itself, rewinding means
//! the callee's rewind did not end; on entry, anything but normal means a
//! rewind is replaying a call into the function. The trap function stores
//! the two ids in the exported globals `__rewind_missing_function` and
//! `__rewind_missing_callee` and traps; its caller in a stack trace is the
//! uninstrumented function. The ids index the names in the custom section
//! `rewind.asserts` (see [`crate::abi::ASSERTS_SECTION`]), so a host can say
//! `function foo is on the stack during a suspension but was not
//! instrumented`. Calls to other uninstrumented functions are not checked:
//! those check themselves.

use std::collections::{HashMap, HashSet};

use walrus::ir::{Call, Const, GlobalGet, GlobalSet, Instr, Unreachable, Value};
use walrus::{
    ConstExpr, FunctionBuilder, FunctionId, FunctionKind, GlobalId, Module, RawCustomSection,
    ValType,
};

use crate::abi;
use crate::analysis::Analysis;
use crate::intrinsics::Intrinsic;
use crate::ir::{Code, Target, at, callee, function_name, if_then, sequences};

/// Names and their ids in the `rewind.asserts` section.
#[derive(Default)]
struct Names {
    list: Vec<String>,
    ids: HashMap<String, i32>,
}

impl Names {
    fn id(&mut self, name: String) -> i32 {
        if let Some(id) = self.ids.get(&name) {
            return *id;
        }
        let id = self.list.len() as i32;
        self.list.push(name.replace('\n', "\\n"));
        self.ids
            .insert(self.list.last().expect("pushed").clone(), id);
        id
    }
}

/// What a checked call calls, by name.
fn callee_name(module: &Module, target: Target) -> Option<String> {
    match target {
        Target::Func(f) => match &module.funcs.get(f).kind {
            FunctionKind::Import(i) => {
                let import = module.imports.get(i.import);
                Some(format!("{}.{}", import.module, import.name))
            }
            _ => Some(function_name(module, f)),
        },
        Target::Table(..) | Target::Ref(_) => None,
    }
}

/// Adds the checks to every function of `functions` (the defined functions
/// the analysis saw) that is neither in `instrumented` nor runtime code.
/// `only_list` says which list the advice in a host's message names.
/// Returns how many checks were added.
pub(crate) fn install(
    module: &mut Module,
    analysis: &Analysis,
    functions: &[FunctionId],
    instrumented: &HashSet<FunctionId>,
    intrinsics: &HashMap<FunctionId, Intrinsic>,
    state: GlobalId,
    only_list: bool,
) -> usize {
    let missing = |module: &mut Module, name: &str| {
        let g =
            module
                .globals
                .add_local(ValType::I32, true, false, ConstExpr::Value(Value::I32(-1)));
        module.globals.get_mut(g).name = Some(name.to_string());
        module.exports.add(name, g);
        g
    };
    let missing_function = missing(module, abi::MISSING_FUNCTION_GLOBAL);
    let missing_callee = missing(module, abi::MISSING_CALLEE_GLOBAL);
    let (f, c) = (
        module.locals.add(ValType::I32),
        module.locals.add(ValType::I32),
    );
    let mut builder = FunctionBuilder::new(&mut module.types, &[ValType::I32, ValType::I32], &[]);
    builder.name(abi::NOT_INSTRUMENTED_FUNCTION.to_string());
    builder
        .func_body()
        .local_get(f)
        .instr(GlobalSet {
            global: missing_function,
        })
        .local_get(c)
        .instr(GlobalSet {
            global: missing_callee,
        })
        .instr(Unreachable {});
    let trap = builder.finish(vec![f, c], &mut module.funcs);

    let checked = |g: FunctionId, module: &Module| match &module.funcs.get(g).kind {
        FunctionKind::Import(_) => !intrinsics.contains_key(&g),
        _ => {
            instrumented.contains(&g)
                || (analysis.runtime.contains(&g) && analysis.changes_state.contains(&g))
        }
    };
    let mut names = Names::default();
    let mut checks = 0;
    for &id in functions {
        if instrumented.contains(&id) || analysis.runtime.contains(&id) {
            continue;
        }
        // The ids of the callees each checked call names, by position.
        let mut sites: HashMap<(walrus::ir::InstrSeqId, usize), i32> = HashMap::new();
        let FunctionKind::Local(func) = &module.funcs.get(id).kind else {
            continue;
        };
        for seq in sequences(func) {
            for (at_index, (instr, _)) in func.block(seq).instrs.iter().enumerate() {
                let Some(site) = callee(instr).filter(|c| !c.tail) else {
                    continue;
                };
                let wanted = match site.target {
                    Target::Func(g) => checked(g, module),
                    Target::Table(..) | Target::Ref(_) => true,
                };
                if wanted {
                    let callee_id = match callee_name(module, site.target) {
                        Some(name) => names.id(name),
                        None => abi::MISSING_CALLEE_INDIRECT,
                    };
                    sites.insert((seq, at_index), callee_id);
                }
            }
        }
        if sites.is_empty() {
            continue;
        }
        let me = names.id(function_name(module, id));
        checks += sites.len() + 1;
        let FunctionKind::Local(func) = &mut module.funcs.get_mut(id).kind else {
            continue;
        };
        let check = |func: &mut walrus::LocalFunction, callee_id: i32| -> Code {
            let test = vec![at(Instr::GlobalGet(GlobalGet { global: state }))];
            let report = vec![
                at(Instr::Const(Const {
                    value: Value::I32(me),
                })),
                at(Instr::Const(Const {
                    value: Value::I32(callee_id),
                })),
                at(Instr::Call(Call { func: trap })),
            ];
            if_then(func, test, report)
        };
        for seq in sequences(func) {
            let old = std::mem::take(&mut func.block_mut(seq).instrs);
            let mut out = Vec::with_capacity(old.len() + 4);
            for (at_index, (instr, loc)) in old.into_iter().enumerate() {
                out.push((instr, loc));
                if let Some(callee_id) = sites.get(&(seq, at_index)) {
                    out.extend(check(func, *callee_id));
                }
            }
            func.block_mut(seq).instrs = out;
        }
        let entry = func.entry_block();
        let on_entry = check(func, abi::MISSING_CALLEE_REWOUND_INTO);
        func.block_mut(entry).instrs.splice(0..0, on_entry);
    }
    let lists = if only_list { "only-list" } else { "add-list" };
    let mut text = format!("{}\nlists {lists}\n", abi::ASSERTS_SECTION_HEADER);
    for name in &names.list {
        text.push_str(name);
        text.push('\n');
    }
    module.customs.add(RawCustomSection {
        name: abi::ASSERTS_SECTION.to_string(),
        data: text.into_bytes(),
    });
    checks
}
