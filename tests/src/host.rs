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
//!   type (see [`default_result`]; an `externref` result is host object `n`);
//!   it has no other effect;
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
//! Global, memory, table and tag imports get fresh zero/null definitions
//! (made by each engine adapter). Imports from module `asyncify` are
//! refused: the transform must resolve them.
//!
//! Everything here works on a [`Machine`], so one copy of the protocol
//! serves every engine.

use std::collections::HashMap;

use wasmparser::ValType;

use crate::engine::Machine;
use crate::module_info::{Entity, Import};
use crate::policy::{Budgets, Decider, FuelSchedule};
use crate::region::SaveRegion;
use crate::trace::Event;
use crate::value::{Value, is_extern};

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
    pub(crate) results: Vec<Value>,
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
    /// Whether the instance exists (and `__rewind_fuel` with it).
    pub(crate) ready: bool,
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
            ready: false,
            granted: 0,
            at_unwind: 0,
            at_rewind: 0,
            stats: FuelStats::default(),
        }
    }
}

/// The value of `__rewind_fuel`; `None` outside metered runs (or before the
/// instance exists).
pub(crate) fn fuel_now(m: &mut dyn Machine) -> Option<i64> {
    if !m.host().fuel.as_ref()?.ready {
        return None;
    }
    match m.global(FUEL_GLOBAL)? {
        Value::I64(x) => Some(x),
        _ => None,
    }
}

/// Starts a slice: sets `__rewind_fuel` to the next budget.
pub(crate) fn grant_fuel(m: &mut dyn Machine) -> Result<(), String> {
    let Some(fuel) = m.host().fuel.as_mut() else {
        return Ok(());
    };
    if !fuel.ready {
        return Err(format!("the metered module has no `{FUEL_GLOBAL}`"));
    }
    let budget = fuel.budgets.grant();
    fuel.granted = budget;
    fuel.stats.slices += 1;
    m.set_global(FUEL_GLOBAL, Value::I64(budget))
        .map_err(|e| format!("setting `{FUEL_GLOBAL}`: {e}"))
}

/// Ends a slice: counts what it consumed and returns the fuel left.
pub(crate) fn end_slice(m: &mut dyn Machine) -> Result<i64, String> {
    let left = fuel_now(m).ok_or(format!("`{FUEL_GLOBAL}` is not an i64 global"))?;
    let Some(fuel) = m.host().fuel.as_mut() else {
        return Ok(left);
    };
    // Charges only subtract.
    let used = u64::try_from(i128::from(fuel.granted) - i128::from(left)).map_err(|_| {
        format!(
            "`{FUEL_GLOBAL}` grew during a slice: budget {}, now {left}",
            fuel.granted
        )
    })?;
    fuel.stats.consumed = fuel.stats.consumed.saturating_add(used);
    Ok(left)
}

/// The fuel counter of metered modules.
pub use rewind_transform::fuel::FUEL_GLOBAL;

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
    pub(crate) snapshot: Vec<u8>,
    pub(crate) violation: Option<String>,
    pub(crate) check_rewind_args: bool,
    /// Whether instantiation (and its start function) is done: before that
    /// the ABI cannot be driven, and imports are plain calls.
    pub(crate) started: bool,
    /// Fuel accounting, in metered runs.
    pub(crate) fuel: Option<FuelState>,
    /// Hang-guard fuel consumed by the export calls (see
    /// [`crate::driver::FUEL`]).
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
            snapshot: Vec::new(),
            violation: None,
            check_rewind_args: true,
            started: false,
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

/// A function import as the host provides it.
#[derive(Clone, Debug)]
pub struct ImportInfo {
    name: String,
    results: Vec<ValType>,
    behaviour: Behaviour,
    suspends: bool,
}

impl ImportInfo {
    /// What the host does for function import `import` in the run of
    /// `host`; `Ok(None)` for imports of other kinds, `Err` for imports the
    /// harness refuses (`asyncify.*`).
    pub fn of(import: &Import, host: &HostState) -> anyhow::Result<Option<Self>> {
        let Entity::Func(sig) = &import.entity else {
            return Ok(None);
        };
        let (m, n) = (import.module.as_str(), import.name.as_str());
        let full = import.full_name();
        if m == rewind_transform::abi::INTRINSIC_MODULE {
            anyhow::bail!(
                "the module imports `{full}`: the transform must resolve `asyncify.*` \
                 imports, and an uninstrumented module cannot run with them"
            );
        }
        let out_of_fuel = host.fuel.is_some() && full == out_of_fuel_import();
        let behaviour = match n.strip_prefix("call_") {
            _ if out_of_fuel => Behaviour::OutOfFuel,
            Some(export) if m == "env" => Behaviour::Callback(export.to_string()),
            _ => Behaviour::Default,
        };
        Ok(Some(Self {
            suspends: out_of_fuel || host.suspending.iter().any(|p| glob(p, &full)),
            name: full,
            results: sig.results.clone(),
            behaviour,
        }))
    }
}

/// `*`-wildcard match of `pattern` against `text`: the transform's own
/// matcher, so the harness and the option lists agree.
pub use rewind_transform::matches as glob;

/// Result `j` of the `k`-th logical call of a default import: `n = 10k + j`
/// as `i32`/`i64`, `n + 0.5` as `f32`, `n + 0.25` as `f64`, lanes
/// `[n, n+1, n+2, n+3]` as `v128`, host object `n` as `externref`, null
/// for other references.
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
        ty if is_extern(ty) => Value::host(n as u32),
        ValType::Ref(_) => Value::NULL,
    }
}

/// A failure inside an import: a protocol violation, or a trap to pass on.
enum Fail {
    Protocol(String),
    Trap(String),
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::Protocol(m)
    }
}

/// Runs import `info` with `args` on `m` (the engine adapters' import
/// functions all come here). `Err` is the error the import function
/// returns to the engine: the trap of a callback, passed on, or a protocol
/// violation, which is also recorded for the driver.
pub fn on_import(
    m: &mut dyn Machine,
    info: &ImportInfo,
    args: &[Value],
) -> Result<Vec<Value>, String> {
    match import_call(m, info, args) {
        Ok(results) => Ok(results),
        Err(Fail::Trap(trap)) => Err(trap),
        Err(Fail::Protocol(msg)) => {
            m.host().violation.get_or_insert(msg.clone());
            Err(msg)
        }
    }
}

/// Calls ABI export `name`.
pub(crate) fn abi_call(
    m: &mut dyn Machine,
    name: &str,
    args: &[Value],
) -> Result<Vec<Value>, String> {
    m.call(name, args)
        .map_err(|e| format!("{name} failed: {e}"))
}

/// `asyncify_get_state()`.
pub(crate) fn get_state(m: &mut dyn Machine) -> Result<i32, String> {
    match abi_call(m, rewind_transform::abi::GET_STATE, &[])?.first() {
        Some(Value::I32(state)) => Ok(*state),
        _ => Err("asyncify_get_state returned no i32".to_string()),
    }
}

fn import_call(m: &mut dyn Machine, info: &ImportInfo, args: &[Value]) -> Result<Vec<Value>, Fail> {
    use rewind_transform::abi;
    // A start function runs before the ABI can be driven: its imports are
    // plain calls.
    let instrumented = m.host().mode == Mode::Instrumented && m.host().started;
    if instrumented {
        let state = get_state(m)?;
        match m.host().proto {
            Proto::Rewinding => {
                if state != abi::STATE_REWINDING {
                    return Err(format!(
                        "`{}` called while the host rewinds, but asyncify_get_state() = {state}",
                        info.name
                    )
                    .into());
                }
                let Some(p) = m.host().pending.take() else {
                    return Err(format!(
                        "`{}` called while rewinding, but nothing is pending",
                        info.name
                    )
                    .into());
                };
                let args_differ = m.host().check_rewind_args && p.args != args;
                if p.import != info.name || args_differ {
                    return Err(format!(
                        "while rewinding the module called `{}`{args:?}, but the suspended call was `{}`{:?}",
                        info.name, p.import, p.args
                    )
                    .into());
                }
                let region = m.host().region.expect("a pending call has a region");
                let now = m.memory();
                region
                    .check_rewind_writes(&m.host().snapshot, &now)
                    .map_err(|e| format!("during the rewind: {e}"))?;
                let (pos, _) = region.read_header(&now);
                if pos != region.stack_start {
                    return Err(format!(
                        "the rewind reached the suspended call with stack_pos = {pos:#x}, not back at the stack start {:#x}",
                        region.stack_start
                    )
                    .into());
                }
                abi_call(m, abi::STOP_REWIND, &[])?;
                let state = get_state(m)?;
                if state != abi::STATE_NORMAL {
                    return Err(format!("asyncify_stop_rewind left state {state}").into());
                }
                // The counter may be parked while the rewind runs; once it
                // stops, the budget must be back.
                if let Some(left) = fuel_now(m)
                    && let Some(fuel) = m.host().fuel.as_ref()
                    && left != fuel.at_rewind
                {
                    return Err(format!(
                        "the rewind to `{}` changed `{FUEL_GLOBAL}` from {} to {left}",
                        info.name, fuel.at_rewind
                    )
                    .into());
                }
                m.host().proto = Proto::Normal;
                return Ok(p.results);
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
            return Ok(Vec::new());
        }
        end_slice(m)?;
        if m.host().depth != 1 {
            // A host callback's frame cannot be unwound: refill in place.
            grant_fuel(m)?;
            return Ok(Vec::new());
        }
        return suspend(m, info, Vec::new(), Vec::new());
    }

    // A new logical call.
    let depth = m.host().depth;
    let k = {
        let st = m.host();
        st.events.push(Event::Import {
            depth,
            name: info.name.clone(),
            args: args.to_vec(),
        });
        let c = st.counters.entry(info.name.clone()).or_insert(0);
        *c += 1;
        *c
    };
    let real: Vec<Value> = match &info.behaviour {
        // The out-of-fuel handler has no results.
        Behaviour::Default | Behaviour::OutOfFuel => info
            .results
            .iter()
            .enumerate()
            .map(|(j, t)| default_result(k, j, *t))
            .collect(),
        Behaviour::Callback(export) => {
            m.host().depth += 1;
            let r = m.call(export, args);
            m.host().depth -= 1;
            r.map_err(Fail::Trap)?
        }
    };

    if instrumented && info.suspends && depth == 1 && m.host().decider.decide() {
        suspend(m, info, args.to_vec(), real)
    } else {
        Ok(real)
    }
}

/// Starts an unwind out of the logical call of `info` with `args`, which is
/// to return `real` once rewound; returns zeros for now.
fn suspend(
    m: &mut dyn Machine,
    info: &ImportInfo,
    args: Vec<Value>,
    real: Vec<Value>,
) -> Result<Vec<Value>, Fail> {
    use rewind_transform::abi;
    let Some(region) = m.host().region else {
        return Err("a suspension was requested but the module has no memory"
            .to_string()
            .into());
    };
    region.reset_header(m);
    let snapshot = m.memory();
    m.host().snapshot = snapshot;
    if let Some(now) = fuel_now(m)
        && let Some(fuel) = m.host().fuel.as_mut()
    {
        fuel.at_unwind = now;
    }
    abi_call(m, abi::START_UNWIND, &[region.data_arg()])?;
    let state = get_state(m)?;
    if state != abi::STATE_UNWINDING {
        return Err(format!("asyncify_start_unwind left state {state}").into());
    }
    let st = m.host();
    st.proto = Proto::Unwinding;
    st.pending = Some(Pending {
        import: info.name.clone(),
        args,
        results: real,
    });
    Ok(info.results.iter().map(|t| Value::zero(*t)).collect())
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
        use wasmparser::RefType;
        assert_eq!(default_result(2, 0, ValType::I32), Value::I32(20));
        assert_eq!(default_result(2, 1, ValType::I64), Value::I64(21));
        assert_eq!(default_result(1, 0, ValType::F32), Value::f32(10.5));
        assert_eq!(default_result(1, 0, ValType::F64), Value::f64(10.25));
        assert_eq!(
            default_result(1, 0, ValType::V128),
            Value::i32x4([10, 11, 12, 13])
        );
        assert_eq!(
            default_result(3, 1, ValType::Ref(RefType::EXTERNREF)),
            Value::host(31)
        );
        assert_eq!(
            default_result(3, 0, ValType::Ref(RefType::FUNCREF)),
            Value::NULL
        );
    }
}
