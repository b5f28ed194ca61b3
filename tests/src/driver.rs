//! The Binaryen-protocol driver: instantiate a module under wasmi, call its
//! exports, and drive every suspension through unwind and rewind, checking
//! the protocol at each step.
//!
//! For one export call in the instrumented run:
//!
//! 1. call the export; a suspending import may call
//!    `asyncify_start_unwind(DATA)` and return (see [`crate::host`]);
//! 2. if the export returns in state 1: check that the unwind wrote nothing
//!    outside the save stack, call `asyncify_stop_unwind()`, then
//!    `asyncify_start_rewind(DATA)`, and call the same export with the same
//!    arguments again; repeat;
//! 3. if it traps and `asyncify_get_state()` is 3, the save stack overflowed:
//!    check that nothing outside `[DATA, stack_end)` changed and report
//!    [`Outcome::SaveStackOverflow`].
//!
//! The original module runs through the same code with plain imports; its
//! trace is the oracle.
//!
//! Modules metered by `rewind_transform::meter` run with
//! [`RunConfig::fuel`]: before every export call the host sets
//! `__rewind_fuel` to the next budget of a [`FuelSchedule`]; when the module
//! calls `rewind.out_of_fuel` the host always unwinds, then (step 2) checks
//! that the unwind left the counter alone, sets the next budget and rewinds.
//! The trace's [`crate::FuelStats`] count the slices, the out-of-fuel
//! suspensions and the fuel consumed (in total and per call). Rewind fuel is
//! separate from wasmi's own fuel, which stays the harness's hang guard
//! ([`FUEL`]); [`Trace::steps`] sums what the export calls used of it.

use anyhow::{Context, Result};
use rewind_transform::abi;
use wasmi::{Config, Engine, Extern, Func, Instance, Module, Store, Val};

use crate::host::{
    FuelState, HostState, Mode, Proto, call_func, end_slice, fuel_now, grant_fuel, linker_for,
    out_of_fuel_import,
};
use crate::policy::{FuelSchedule, Policy};
use crate::region::SaveRegion;
use crate::trace::{Event, Outcome, Trace};
use crate::value::{Value, from_vals};

/// One top-level export call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// Export name.
    pub export: String,
    /// Arguments.
    pub args: Vec<Value>,
}

impl Call {
    /// A call of `export` with `args`.
    pub fn new(export: &str, args: &[Value]) -> Self {
        Self {
            export: export.to_string(),
            args: args.to_vec(),
        }
    }
}

/// How to run a module.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Original or instrumented.
    pub mode: Mode,
    /// When suspending imports suspend (instrumented runs only).
    pub policy: Policy,
    /// Save-stack capacity in bytes; `None`: the rest of one page.
    pub capacity: Option<u64>,
    /// `module.name` patterns (`*` wildcards) of the imports that suspend.
    pub suspending: Vec<String>,
    /// Export name of the memory that holds the save region; when absent,
    /// the first exported memory.
    pub memory_export: String,
    /// Require the repeated call of a suspending import during the rewind
    /// to have the same arguments as the logical call. Binaryen keeps call
    /// arguments live across the call (a host may look at them again), so
    /// this is on by default.
    pub check_rewind_args: bool,
    /// Go on with the next call after one that trapped (a trap in normal
    /// state leaves the instance usable). Protocol violations and save-stack
    /// overflows always stop the run.
    pub continue_after_trap: bool,
    /// Run a fuel-metered module (`rewind_transform::meter`) in slices of
    /// these budgets, handling `rewind.out_of_fuel` (see the module doc).
    /// The module's `__rewind_fuel` is left out of the compared globals.
    pub fuel: Option<FuelSchedule>,
}

impl RunConfig {
    /// A run of `mode` under `policy`, with the defaults: a one-page save
    /// stack, `env.sleep*` suspends, memory export `memory`.
    pub fn new(mode: Mode, policy: Policy) -> Self {
        Self {
            mode,
            policy,
            capacity: None,
            suspending: vec!["env.sleep*".to_string()],
            memory_export: "memory".to_string(),
            check_rewind_args: true,
            continue_after_trap: false,
            fuel: None,
        }
    }
}

/// Fuel of one export call or one rewind round (instructions, roughly): a
/// module that loops forever — typically a broken rewind — traps with
/// `OutOfFuel` instead of hanging the test suite. It is refilled before
/// every round, because an instrumented run that suspends a thousand times
/// legitimately executes its rewind paths a thousand times.
pub const FUEL: u64 = 50_000_000;

/// The wasmi engine all tests use: every proposal the transform supports
/// that wasmi implements.
pub fn engine() -> Engine {
    let mut config = Config::default();
    config
        .wasm_multi_value(true)
        .wasm_simd(true)
        .wasm_memory64(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_tail_call(true)
        .wasm_multi_memory(true)
        .wasm_sign_extension(true)
        .wasm_saturating_float_to_int(true)
        .wasm_extended_const(true)
        .consume_fuel(true);
    Engine::new(&config)
}

/// A live instance with its store.
#[derive(Debug)]
pub struct Running {
    /// The store; its data is the host state.
    pub store: Store<HostState>,
    /// The instance.
    pub instance: Instance,
}

/// Instantiates `wasm` with every import stubbed (see [`crate::host`]) and
/// reserves the save region; does not call anything but the start function.
pub fn instantiate(wasm: &[u8], cfg: &RunConfig) -> Result<Running> {
    let engine = engine();
    let module = Module::new(&engine, wasm).context("wasmi rejects the module")?;
    let mut state = HostState::new(cfg.mode, cfg.policy.decider(), cfg.suspending.clone());
    state.check_rewind_args = cfg.check_rewind_args;
    state.fuel = cfg.fuel.as_ref().map(FuelState::new);
    let mut store = Store::new(&engine, state);
    store.set_fuel(FUEL).context("setting fuel")?;
    let linker = linker_for(&mut store, &module)?;
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .context("instantiation failed")?;
    store.data_mut().instance = Some(instance);
    if cfg.fuel.is_some() {
        let global = instance
            .get_global(&store, FUEL_GLOBAL)
            .with_context(|| format!("the metered module does not export `{FUEL_GLOBAL}`"))?;
        if global.get(&store).i64().is_none() {
            anyhow::bail!("`{FUEL_GLOBAL}` is not an i64 global");
        }
        if let Some(fuel) = store.data_mut().fuel.as_mut() {
            fuel.global = Some(global);
        }
    }
    let memory = instance
        .get_memory(&store, &cfg.memory_export)
        .or_else(|| instance.exports(&store).find_map(|e| e.into_memory()));
    if let Some(memory) = memory {
        let region = SaveRegion::reserve(&mut store, memory, cfg.capacity)?;
        let st = store.data_mut();
        st.memory = Some(memory);
        st.region = Some(region);
    }
    Ok(Running { store, instance })
}

/// The fuel counter of metered modules.
pub use rewind_transform::fuel::FUEL_GLOBAL;

/// Runs `calls` in order on a fresh instance of `wasm` and returns the trace.
/// Stops after the first call that does not return normally.
pub fn run(wasm: &[u8], cfg: &RunConfig, calls: &[Call]) -> Result<Trace> {
    let mut r = instantiate(wasm, cfg)?;
    let mut suspensions = 0;
    for call in calls {
        let func = r
            .instance
            .get_func(&r.store, &call.export)
            .with_context(|| format!("no exported function `{}`", call.export))?;
        r.store.data_mut().events.push(Event::Export {
            name: call.export.clone(),
            args: call.args.clone(),
        });
        if cfg.fuel.is_some() {
            grant_fuel(&mut r.store).map_err(anyhow::Error::msg)?;
        }
        let mut outcome = drive(&mut r, cfg.mode, func, call, &mut suspensions)?;
        if cfg.fuel.is_some() && matches!(outcome, Outcome::Returned(_) | Outcome::Trapped(_)) {
            match end_slice(&mut r.store) {
                Ok(_) => {
                    let fuel = r.store.data_mut().fuel.as_mut().expect("a metered run");
                    let before: u64 = fuel.stats.per_call.iter().sum();
                    let call = fuel.stats.consumed - before;
                    fuel.stats.per_call.push(call);
                }
                Err(msg) => outcome = Outcome::Protocol(msg),
            }
        }
        let done = match &outcome {
            Outcome::Trapped(_) => !cfg.continue_after_trap,
            other => !other.is_return(),
        };
        r.store.data_mut().events.push(Event::Finished {
            name: call.export.clone(),
            outcome,
        });
        if done {
            break;
        }
    }
    let globals = r
        .instance
        .exports(&r.store)
        .filter(|e| !e.name().starts_with("__asyncify_"))
        .filter(|e| cfg.fuel.is_none() || e.name() != FUEL_GLOBAL)
        .filter_map(|e| {
            let name = e.name().to_string();
            e.into_global().map(|g| (name, g))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(n, g)| (n, Value::from_val(&g.get(&r.store))))
        .collect();
    let st = r.store.data();
    let fuel = st.fuel.as_ref().map(|f| f.stats.clone());
    let memory = match (st.memory, st.region) {
        (Some(m), Some(region)) => m.data(&r.store)[..region.data as usize].to_vec(),
        (Some(m), None) => m.data(&r.store).to_vec(),
        _ => Vec::new(),
    };
    Ok(Trace {
        events: std::mem::take(&mut r.store.data_mut().events),
        suspensions,
        steps: r.store.data().steps,
        fuel,
        globals,
        memory,
    })
}

fn abi_call(r: &mut Running, name: &str, args: &[Val]) -> Result<Vec<Val>, String> {
    let f = r
        .instance
        .get_func(&r.store, name)
        .ok_or_else(|| format!("the instrumented module does not export `{name}`"))?;
    call_func(&mut r.store, f, args).map_err(|e| format!("{name} failed: {e}"))
}

fn state_of(r: &mut Running) -> Result<i32, String> {
    abi_call(r, abi::GET_STATE, &[])?
        .first()
        .and_then(Val::i32)
        .ok_or_else(|| "asyncify_get_state returned no i32".to_string())
}

/// Cross-checks the exported ABI globals, when `--export-globals` put them
/// there.
fn check_globals(r: &mut Running, state: i32) -> Result<(), String> {
    let get = |name: &str| {
        r.instance
            .get_export(&r.store, name)
            .and_then(Extern::into_global)
            .map(|g| g.get(&r.store))
    };
    if let Some(v) = get(abi::STATE_GLOBAL)
        && v.i32() != Some(state)
    {
        return Err(format!(
            "exported {} is {v:?}, asyncify_get_state() is {state}",
            abi::STATE_GLOBAL
        ));
    }
    if state != abi::STATE_NORMAL
        && let (Some(v), Some(region)) = (get(abi::DATA_GLOBAL), r.store.data().region)
    {
        let data = match v {
            Val::I32(x) => x as u32 as u64,
            Val::I64(x) => x as u64,
            _ => u64::MAX,
        };
        if data != region.data {
            return Err(format!(
                "exported {} is {v:?} while DATA is {:#x}",
                abi::DATA_GLOBAL,
                region.data
            ));
        }
    }
    Ok(())
}

fn memory_now(r: &Running) -> Vec<u8> {
    match r.store.data().memory {
        Some(m) => m.data(&r.store).to_vec(),
        None => Vec::new(),
    }
}

fn describe(e: &wasmi::Error) -> String {
    match e.as_trap_code() {
        Some(code) => format!("{code:?}"),
        None => e.to_string(),
    }
}

/// Drives one export call through every suspension.
fn drive(
    r: &mut Running,
    mode: Mode,
    func: Func,
    call: &Call,
    suspensions: &mut u64,
) -> Result<Outcome> {
    let args: Vec<Val> = call.args.iter().map(|v| v.to_val()).collect();
    loop {
        r.store.set_fuel(FUEL).context("setting fuel")?;
        r.store.data_mut().depth = 1;
        let result = call_func(&mut r.store, func, &args);
        let left = r.store.get_fuel().unwrap_or(FUEL);
        r.store.data_mut().steps += FUEL - left;
        r.store.data_mut().depth = 0;
        if let Some(v) = r.store.data_mut().violation.take() {
            return Ok(Outcome::Protocol(v));
        }
        if mode == Mode::Original {
            return Ok(match result {
                Ok(out) => Outcome::Returned(from_vals(&out)),
                Err(e) => Outcome::Trapped(describe(&e)),
            });
        }
        match step(r, result, suspensions) {
            Ok(Some(outcome)) => return Ok(outcome),
            Ok(None) => continue,
            Err(msg) => return Ok(Outcome::Protocol(msg)),
        }
    }
}

/// Handles the end of one call of the export in the instrumented run:
/// `Some(outcome)` when the logical call is over, `None` to call again
/// (rewinding).
fn step(
    r: &mut Running,
    result: Result<Vec<Val>, wasmi::Error>,
    suspensions: &mut u64,
) -> Result<Option<Outcome>, String> {
    let proto = r.store.data().proto;
    let state = state_of(r)?;
    match result {
        Err(e) => {
            if state == abi::STATE_OVERFLOWED {
                if proto != Proto::Unwinding {
                    return Err(format!(
                        "state 3 (overflow) outside an unwind, after trap {}",
                        describe(&e)
                    ));
                }
                let region = r.store.data().region.expect("unwinding has a region");
                let now = memory_now(r);
                region
                    .check_unwind_writes(&r.store.data().snapshot, &now)
                    .map_err(|m| {
                        format!("the overflowing unwind wrote outside the save stack: {m}")
                    })?;
                return Ok(Some(Outcome::SaveStackOverflow {
                    header: region.read_header(&now),
                }));
            }
            match proto {
                Proto::Normal => Ok(Some(Outcome::Trapped(describe(&e)))),
                Proto::Unwinding => Err(format!(
                    "trapped while unwinding (state {state}): {}",
                    describe(&e)
                )),
                Proto::Rewinding => Err(format!(
                    "trapped while rewinding (state {state}): {}",
                    describe(&e)
                )),
            }
        }
        Ok(out) => match proto {
            Proto::Normal => {
                if state != abi::STATE_NORMAL {
                    return Err(format!("the export returned in state {state}"));
                }
                check_globals(r, state)?;
                Ok(Some(Outcome::Returned(from_vals(&out))))
            }
            Proto::Rewinding => Err(format!(
                "the export returned in state {state} while rewinding: the suspended call was never reached"
            )),
            Proto::Unwinding => {
                if state != abi::STATE_UNWINDING {
                    return Err(format!(
                        "after an unwind the export returned in state {state}"
                    ));
                }
                check_globals(r, state)?;
                let region = r.store.data().region.expect("unwinding has a region");
                let now = memory_now(r);
                region
                    .check_unwind_writes(&r.store.data().snapshot, &now)
                    .map_err(|m| format!("the unwind wrote outside the save stack: {m}"))?;
                abi_call(r, abi::STOP_UNWIND, &[])?;
                let s = state_of(r)?;
                if s != abi::STATE_NORMAL {
                    return Err(format!("asyncify_stop_unwind left state {s}"));
                }
                *suspensions += 1;
                refuel(r)?;
                r.store.data_mut().snapshot = memory_now(r);
                abi_call(r, abi::START_REWIND, &[region.data_arg()])?;
                let s = state_of(r)?;
                if s != abi::STATE_REWINDING {
                    return Err(format!("asyncify_start_rewind left state {s}"));
                }
                check_globals(r, s)?;
                r.store.data_mut().proto = Proto::Rewinding;
                Ok(None)
            }
        },
    }
}

/// Between an unwind and its rewind in a metered run: checks that the unwind
/// did not change `__rewind_fuel`; after an out-of-fuel unwind grants the
/// next budget. Notes the counter the rewind must leave alone.
fn refuel(r: &mut Running) -> Result<(), String> {
    let Some(at_unwind) = r.store.data().fuel.as_ref().map(|f| f.at_unwind) else {
        return Ok(());
    };
    let now = fuel_now(&r.store).ok_or("`__rewind_fuel` is not an i64 global")?;
    if now != at_unwind {
        return Err(format!(
            "the unwind changed `{FUEL_GLOBAL}` from {at_unwind} to {now}"
        ));
    }
    let out_of_fuel = r
        .store
        .data()
        .pending
        .as_ref()
        .is_some_and(|p| p.import == out_of_fuel_import());
    if out_of_fuel {
        grant_fuel(&mut r.store)?;
    }
    let now = fuel_now(&r.store).ok_or("`__rewind_fuel` is not an i64 global")?;
    let fuel = r.store.data_mut().fuel.as_mut().expect("a metered run");
    fuel.at_rewind = now;
    if out_of_fuel {
        fuel.stats.out_of_fuel += 1;
    }
    Ok(())
}

/// Instantiates `wasm` with stub imports and no calls: proves that wasmi
/// accepts (validates and links) a module.
pub fn check_instantiates(wasm: &[u8]) -> Result<()> {
    let cfg = RunConfig::new(Mode::Instrumented, Policy::Never);
    let engine = engine();
    let module = Module::new(&engine, wasm).context("wasmi rejects the module")?;
    let state = HostState::new(cfg.mode, cfg.policy.decider(), cfg.suspending.clone());
    let mut store = Store::new(&engine, state);
    store.set_fuel(FUEL).context("setting fuel")?;
    let linker = linker_for(&mut store, &module)?;
    linker
        .instantiate_and_start(&mut store, &module)
        .context("instantiation failed")?;
    Ok(())
}
