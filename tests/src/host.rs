//! The host side of a run: the store data, the imports the harness provides,
//! and the Binaryen-protocol half that lives inside a suspending import.
//!
//! Every function import of a module is provided by the harness:
//!
//! * `env.call_NAME` imports call back into the module's export `NAME` with
//!   their own arguments and return its results (re-entrancy while nothing
//!   is suspended);
//! * every other import returns, for its k-th logical call (k from 1, counted
//!   per import), the value `n = 10 * k + j` for result number `j`, encoded by
//!   type (see [`default_result`]); it has no other effect;
//! * imports matching the run's suspension patterns (`env.sleep*` by default)
//!   may suspend in the instrumented run, when the policy says so and the call
//!   comes directly from the top-level export call (depth 1). Suspending
//!   writes `{stack_pos, stack_end}` at `DATA`, calls
//!   `asyncify_start_unwind(DATA)` and returns zeros; when the call is
//!   repeated while the host rewinds, the import calls
//!   `asyncify_stop_rewind()` and returns the results of the logical call.
//!
//! With fuel ([`crate::driver::RunConfig::fuel`]), `rewind.out_of_fuel` is the
//! host's out-of-fuel handler and leaves no event in the trace: called from
//! the top-level export call it always suspends (the driver refills
//! `__rewind_fuel` between unwind and rewind); inside a host callback it
//! refills in place; during the start function it does nothing. The host
//! also checks that neither an unwind nor a rewind changes `__rewind_fuel`:
//! charges must run exactly once.
//!
//! Global, memory and table imports get fresh zero/null definitions. Imports
//! from module `asyncify` are refused: the transform must resolve them.

use std::collections::HashMap;

use wasmi::{
    AsContext, AsContextMut, Caller, Extern, Func, FuncType, Global, Linker, Memory, Module, Store,
    Table, Val, ValType,
};

use crate::policy::{Budgets, Decider, FuelSchedule};
use crate::region::SaveRegion;
use crate::trace::Event;
use crate::value::{Value, from_vals, null_ref, zero};

/// Which module a run executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The uninstrumented module: imports are plain calls.
    Original,
    /// The instrumented module: suspending imports follow the Asyncify
    /// protocol.
    Instrumented,
}

/// Where the host believes the Asyncify state machine is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    Normal,
    Unwinding,
    Rewinding,
}

/// A suspended logical import call, completed during the rewind.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) import: String,
    pub(crate) args: Vec<Value>,
    pub(crate) results: Vec<Val>,
}

/// `module.name` of the out-of-fuel import of metered modules.
pub fn out_of_fuel_import() -> String {
    let (m, n) = rewind_transform::fuel::OUT_OF_FUEL_IMPORT;
    format!("{m}.{n}")
}

/// What the host observed of a metered run's fuel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuelStats {
    /// Budgets granted: one per export call plus one per refill.
    pub slices: u64,
    /// Suspensions (unwind + rewind) because the module ran out of fuel.
    pub out_of_fuel: u64,
    /// Fuel consumed by the export calls: for each slice, its budget minus
    /// what `__rewind_fuel` holds when the slice ends (an overdraw counts as
    /// consumed), as `rewind_host` counts it. The start function's fuel is
    /// not counted.
    pub consumed: u64,
    /// The fuel consumed by each export call that returned or trapped, in
    /// order.
    pub per_call: Vec<u64>,
}

/// The fuel side of a metered run.
#[derive(Debug)]
pub(crate) struct FuelState {
    budgets: Budgets,
    /// `__rewind_fuel`, once the instance exists.
    pub(crate) global: Option<Global>,
    /// The budget of the current slice.
    granted: i64,
    /// The counter when the last unwind started; the unwind must not change it.
    pub(crate) at_unwind: i64,
    /// The counter when the last rewind started; the rewind must not change it.
    pub(crate) at_rewind: i64,
    pub(crate) stats: FuelStats,
}

impl FuelState {
    pub(crate) fn new(schedule: &FuelSchedule) -> Self {
        Self {
            budgets: schedule.budgets(),
            global: None,
            granted: 0,
            at_unwind: 0,
            at_rewind: 0,
            stats: FuelStats::default(),
        }
    }
}

/// The value of `__rewind_fuel`; `None` outside metered runs (or before the
/// instance exists).
pub(crate) fn fuel_now(ctx: impl AsContext<Data = HostState>) -> Option<i64> {
    let global = ctx.as_context().data().fuel.as_ref()?.global?;
    global.get(&ctx).i64()
}

/// Starts a slice: sets `__rewind_fuel` to the next budget.
pub(crate) fn grant_fuel(mut ctx: impl AsContextMut<Data = HostState>) -> Result<(), String> {
    let mut cx = ctx.as_context_mut();
    let Some(fuel) = cx.data_mut().fuel.as_mut() else {
        return Ok(());
    };
    let global = fuel
        .global
        .ok_or("the metered module has no `__rewind_fuel`")?;
    let budget = fuel.budgets.grant();
    fuel.granted = budget;
    fuel.stats.slices += 1;
    global
        .set(&mut cx, Val::I64(budget))
        .map_err(|e| format!("setting `__rewind_fuel`: {e}"))
}

/// Ends a slice: counts what it consumed and returns the fuel left.
pub(crate) fn end_slice(mut ctx: impl AsContextMut<Data = HostState>) -> Result<i64, String> {
    let left = fuel_now(&ctx).ok_or("`__rewind_fuel` is not an i64 global")?;
    let mut cx = ctx.as_context_mut();
    let Some(fuel) = cx.data_mut().fuel.as_mut() else {
        return Ok(left);
    };
    // Charges only subtract.
    let used = u64::try_from(i128::from(fuel.granted) - i128::from(left)).map_err(|_| {
        format!(
            "`__rewind_fuel` grew during a slice: budget {}, now {left}",
            fuel.granted
        )
    })?;
    fuel.stats.consumed = fuel.stats.consumed.saturating_add(used);
    Ok(left)
}

/// The store data of a run.
#[derive(Debug)]
pub struct HostState {
    pub(crate) mode: Mode,
    pub(crate) decider: Decider,
    pub(crate) suspending: Vec<String>,
    pub(crate) events: Vec<Event>,
    pub(crate) counters: HashMap<String, u64>,
    pub(crate) depth: u32,
    pub(crate) proto: Proto,
    pub(crate) pending: Option<Pending>,
    pub(crate) region: Option<SaveRegion>,
    pub(crate) memory: Option<Memory>,
    pub(crate) snapshot: Vec<u8>,
    pub(crate) violation: Option<String>,
    pub(crate) check_rewind_args: bool,
    /// The instance, once instantiation (and its start function) is done.
    /// Imports called before that, or called directly by the host through a
    /// re-exported import, use it to reach the ABI exports.
    pub(crate) instance: Option<wasmi::Instance>,
    /// Fuel accounting, in metered runs.
    pub(crate) fuel: Option<FuelState>,
    /// wasmi fuel consumed by the export calls (see [`crate::driver::FUEL`]).
    pub(crate) steps: u64,
}

impl HostState {
    pub(crate) fn new(mode: Mode, decider: Decider, suspending: Vec<String>) -> Self {
        Self {
            mode,
            decider,
            suspending,
            events: Vec::new(),
            counters: HashMap::new(),
            depth: 0,
            proto: Proto::Normal,
            pending: None,
            region: None,
            memory: None,
            snapshot: Vec::new(),
            violation: None,
            check_rewind_args: true,
            instance: None,
            fuel: None,
            steps: 0,
        }
    }
}

/// What a function import does.
#[derive(Clone, Debug)]
enum Behaviour {
    /// Return [`default_result`]s.
    Default,
    /// Call this export with the import's arguments.
    Callback(String),
    /// The out-of-fuel handler of a metered run.
    OutOfFuel,
}

#[derive(Clone, Debug)]
struct ImportInfo {
    name: String,
    ty: FuncType,
    behaviour: Behaviour,
    suspends: bool,
}

/// `*`-wildcard match of `pattern` against `text`: the transform's own
/// matcher, so the harness and the option lists agree.
pub use rewind_transform::matches as glob;

/// Result `j` of the `k`-th logical call of a default import: `n = 10k + j`
/// as `i32`/`i64`, `n + 0.5` as `f32`, `n + 0.25` as `f64`, lanes
/// `[n, n+1, n+2, n+3]` as `v128`, null references.
pub fn default_result(k: u64, j: usize, ty: ValType) -> Value {
    let n = 10 * k + j as u64;
    match ty {
        ValType::I32 => Value::I32(n as i32),
        ValType::I64 => Value::I64(n as i64),
        ValType::F32 => Value::f32(n as f32 + 0.5),
        ValType::F64 => Value::f64(n as f64 + 0.25),
        ValType::V128 => {
            let n = n as i32;
            Value::i32x4([n, n + 1, n + 2, n + 3])
        }
        ValType::FuncRef => Value::FuncRef { null: true },
        ValType::ExternRef => Value::ExternRef { null: true },
    }
}

/// A failure inside an import: a protocol violation, or a trap to pass on.
enum Fail {
    Protocol(String),
    Wasm(wasmi::Error),
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::Protocol(m)
    }
}

/// Calls `func` with `args`, returning its results.
pub(crate) fn call_func(
    mut ctx: impl AsContextMut,
    func: Func,
    args: &[Val],
) -> Result<Vec<Val>, wasmi::Error> {
    let ty = func.ty(ctx.as_context());
    let mut out: Vec<Val> = ty.results().iter().map(|t| zero(*t)).collect();
    func.call(ctx.as_context_mut(), args, &mut out)?;
    Ok(out)
}

fn export_func(caller: &Caller<'_, HostState>, name: &str) -> Result<Func, String> {
    let by_instance = caller
        .data()
        .instance
        .and_then(|i| i.get_func(caller, name));
    by_instance
        .or_else(|| caller.get_export(name).and_then(Extern::into_func))
        .ok_or_else(|| format!("the module does not export `{name}`"))
}

fn abi(caller: &mut Caller<'_, HostState>, name: &str, args: &[Val]) -> Result<Vec<Val>, String> {
    let f = export_func(caller, name)?;
    call_func(&mut *caller, f, args).map_err(|e| format!("{name} failed: {e}"))
}

fn get_state(caller: &mut Caller<'_, HostState>) -> Result<i32, String> {
    let out = abi(caller, rewind_transform::abi::GET_STATE, &[])?;
    out.first()
        .and_then(Val::i32)
        .ok_or_else(|| "asyncify_get_state returned no i32".to_string())
}

fn memory_bytes(caller: &Caller<'_, HostState>) -> Vec<u8> {
    match caller.data().memory {
        Some(m) => m.data(caller).to_vec(),
        None => Vec::new(),
    }
}

fn import_call(
    caller: &mut Caller<'_, HostState>,
    info: &ImportInfo,
    args: &[Val],
    results: &mut [Val],
) -> Result<(), Fail> {
    use rewind_transform::abi;
    let args_v = from_vals(args);
    // A start function runs before the ABI can be driven: its imports are
    // plain calls.
    let instrumented = caller.data().mode == Mode::Instrumented && caller.data().instance.is_some();
    if instrumented {
        let state = get_state(caller)?;
        match caller.data().proto {
            Proto::Rewinding => {
                if state != abi::STATE_REWINDING {
                    return Err(format!(
                        "`{}` called while the host rewinds, but asyncify_get_state() = {state}",
                        info.name
                    )
                    .into());
                }
                let Some(p) = caller.data_mut().pending.take() else {
                    return Err(format!(
                        "`{}` called while rewinding, but nothing is pending",
                        info.name
                    )
                    .into());
                };
                let args_differ = caller.data().check_rewind_args && p.args != args_v;
                if p.import != info.name || args_differ {
                    return Err(format!(
                        "while rewinding the module called `{}`{args_v:?}, but the suspended call was `{}`{:?}",
                        info.name, p.import, p.args
                    )
                    .into());
                }
                let region = caller.data().region.expect("a pending call has a region");
                let now = memory_bytes(caller);
                region
                    .check_rewind_writes(&caller.data().snapshot, &now)
                    .map_err(|m| format!("during the rewind: {m}"))?;
                if let Some(fuel) = caller.data().fuel.as_ref()
                    && let Some(left) = fuel_now(&*caller)
                    && left != fuel.at_rewind
                {
                    return Err(format!(
                        "the rewind to `{}` changed `__rewind_fuel` from {} to {left}",
                        info.name, fuel.at_rewind
                    )
                    .into());
                }
                let (pos, _) = region.read_header(&now);
                if pos != region.stack_start {
                    return Err(format!(
                        "the rewind reached the suspended call with stack_pos = {pos:#x}, not back at the stack start {:#x}",
                        region.stack_start
                    )
                    .into());
                }
                abi(caller, abi::STOP_REWIND, &[])?;
                let state = get_state(caller)?;
                if state != abi::STATE_NORMAL {
                    return Err(format!("asyncify_stop_rewind left state {state}").into());
                }
                caller.data_mut().proto = Proto::Normal;
                results.clone_from_slice(&p.results);
                return Ok(());
            }
            Proto::Unwinding => {
                return Err(format!("`{}` called while unwinding", info.name).into());
            }
            // Guest runtimes may call plain imports in any state (e.g. a
            // bottom-most runtime between its own unwind and rewind); only
            // the host's suspending imports need state 0 here.
            Proto::Normal if info.suspends => {
                if state != abi::STATE_NORMAL {
                    return Err(format!(
                        "`{}` called in normal execution, but asyncify_get_state() = {state}",
                        info.name
                    )
                    .into());
                }
            }
            Proto::Normal => {}
        }
    }

    if let Behaviour::OutOfFuel = info.behaviour {
        if !instrumented {
            // The start function: no slices yet, nothing to count.
            return Ok(());
        }
        end_slice(&mut *caller)?;
        if caller.data().depth != 1 {
            // A host callback's frame cannot be unwound: refill in place.
            grant_fuel(&mut *caller)?;
            return Ok(());
        }
        return suspend(caller, info, Vec::new(), Vec::new(), results);
    }

    // A new logical call.
    let depth = caller.data().depth;
    let k = {
        let st = caller.data_mut();
        st.events.push(Event::Import {
            depth,
            name: info.name.clone(),
            args: args_v.clone(),
        });
        let c = st.counters.entry(info.name.clone()).or_insert(0);
        *c += 1;
        *c
    };
    let real: Vec<Val> = match &info.behaviour {
        // The out-of-fuel handler has no results.
        Behaviour::Default | Behaviour::OutOfFuel => info
            .ty
            .results()
            .iter()
            .enumerate()
            .map(|(j, t)| default_result(k, j, *t).to_val())
            .collect(),
        Behaviour::Callback(export) => {
            let f = export_func(caller, export)?;
            caller.data_mut().depth += 1;
            let r = call_func(&mut *caller, f, args);
            caller.data_mut().depth -= 1;
            r.map_err(Fail::Wasm)?
        }
    };

    if instrumented && info.suspends && depth == 1 && caller.data_mut().decider.decide() {
        suspend(caller, info, args_v, real, results)
    } else {
        results.clone_from_slice(&real);
        Ok(())
    }
}

/// Starts an unwind out of the logical call of `info` with `args`, which is
/// to return `real` once rewound; returns zeros for now.
fn suspend(
    caller: &mut Caller<'_, HostState>,
    info: &ImportInfo,
    args: Vec<Value>,
    real: Vec<Val>,
    results: &mut [Val],
) -> Result<(), Fail> {
    use rewind_transform::abi;
    let Some(region) = caller.data().region else {
        return Err("a suspension was requested but the module has no memory"
            .to_string()
            .into());
    };
    let memory = caller.data().memory.expect("a region has a memory");
    region.reset_header(memory.data_mut(&mut *caller));
    caller.data_mut().snapshot = memory_bytes(caller);
    if let Some(now) = fuel_now(&*caller)
        && let Some(fuel) = caller.data_mut().fuel.as_mut()
    {
        fuel.at_unwind = now;
    }
    abi(caller, abi::START_UNWIND, &[region.data_arg()])?;
    let state = get_state(caller)?;
    if state != abi::STATE_UNWINDING {
        return Err(format!("asyncify_start_unwind left state {state}").into());
    }
    let st = caller.data_mut();
    st.proto = Proto::Unwinding;
    st.pending = Some(Pending {
        import: info.name.clone(),
        args,
        results: real,
    });
    for (r, t) in results.iter_mut().zip(info.ty.results()) {
        *r = zero(*t);
    }
    Ok(())
}

/// Builds a linker that satisfies every import of `module` (see the module
/// documentation), creating global, memory and table definitions in `store`.
pub(crate) fn linker_for(
    store: &mut Store<HostState>,
    module: &Module,
) -> anyhow::Result<Linker<HostState>> {
    let mut linker = Linker::new(store.engine());
    let suspending = store.data().suspending.clone();
    let metered = store.data().fuel.is_some();
    for import in module.imports() {
        let (m, n) = (import.module(), import.name());
        let full = format!("{m}.{n}");
        match import.ty() {
            wasmi::ExternType::Func(ty) => {
                if m == rewind_transform::abi::INTRINSIC_MODULE {
                    anyhow::bail!(
                        "the module imports `{full}`: the transform must resolve `asyncify.*` \
                         imports, and an uninstrumented module cannot run with them"
                    );
                }
                let out_of_fuel = metered && full == out_of_fuel_import();
                let behaviour = match n.strip_prefix("call_") {
                    _ if out_of_fuel => Behaviour::OutOfFuel,
                    Some(export) if m == "env" => Behaviour::Callback(export.to_string()),
                    _ => Behaviour::Default,
                };
                let info = ImportInfo {
                    suspends: out_of_fuel || suspending.iter().any(|p| glob(p, &full)),
                    name: full,
                    ty: ty.clone(),
                    behaviour,
                };
                linker.func_new(m, n, ty.clone(), move |mut caller, args, results| {
                    match import_call(&mut caller, &info, args, results) {
                        Ok(()) => Ok(()),
                        Err(Fail::Wasm(e)) => Err(e),
                        Err(Fail::Protocol(msg)) => {
                            caller.data_mut().violation.get_or_insert(msg.clone());
                            Err(wasmi::Error::new(msg))
                        }
                    }
                })?;
            }
            wasmi::ExternType::Global(ty) => {
                let g = Global::new(&mut *store, zero(ty.content()), ty.mutability());
                linker.define(m, n, g)?;
            }
            wasmi::ExternType::Memory(ty) => {
                let mem = Memory::new(&mut *store, *ty)?;
                linker.define(m, n, mem)?;
            }
            wasmi::ExternType::Table(ty) => {
                let t = Table::new(&mut *store, *ty, null_ref(ty.element()))?;
                linker.define(m, n, t)?;
            }
        }
    }
    Ok(linker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches() {
        assert!(glob("env.sleep*", "env.sleep"));
        assert!(glob("env.sleep*", "env.sleep_i32"));
        assert!(!glob("env.sleep*", "env.log"));
        assert!(glob("*.read", "wasi.read"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("a*c*e", "abcd"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
    }

    #[test]
    fn default_results_by_type() {
        assert_eq!(default_result(2, 0, ValType::I32), Value::I32(20));
        assert_eq!(default_result(2, 1, ValType::I64), Value::I64(21));
        assert_eq!(default_result(1, 0, ValType::F32), Value::f32(10.5));
        assert_eq!(default_result(1, 0, ValType::F64), Value::f64(10.25));
        assert_eq!(
            default_result(1, 0, ValType::V128),
            Value::i32x4([10, 11, 12, 13])
        );
    }
}
