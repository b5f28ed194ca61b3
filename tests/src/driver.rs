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
//! The engine is the one [`EngineKind::for_module`] picks, unless
//! [`RunConfig::engine`] names one (the differential tests run an original
//! and its instrumented version on one engine).
//!
//! Modules metered by `rewind_transform::meter` run with
//! [`RunConfig::fuel`]: before every export call the host sets
//! `__rewind_fuel` to the next budget of a [`FuelSchedule`]; when the module
//! calls `rewind.out_of_fuel` the host always unwinds, then (step 2) checks
//! that the unwind left the counter alone, sets the next budget and rewinds.
//! The trace's [`crate::FuelStats`] count the slices, the out-of-fuel
//! suspensions and the fuel consumed (in total and per call). Rewind fuel is
//! separate from the engine's own fuel, which stays the harness's hang guard
//! ([`FUEL`]); [`Trace::steps`] sums what the export calls used of it.

use anyhow::{Context, Result};
use rewind_transform::abi;

use crate::engine::{EngineKind, Instance, instantiate as engine_instantiate};
use crate::host::{
    FUEL_GLOBAL, FuelState, HostState, Mode, Proto, abi_call, end_slice, fuel_now, get_state,
    grant_fuel, out_of_fuel_import,
};
use crate::module_info::ModuleInfo;
use crate::policy::{FuelSchedule, Policy};
use crate::region::SaveRegion;
use crate::trace::{Event, Outcome, Trace};
use crate::value::Value;

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
    /// The engine; `None`: [`EngineKind::for_module`].
    pub engine: Option<EngineKind>,
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
            engine: None,
        }
    }
}

/// Fuel of one export call or one rewind round (instructions, roughly): a
/// module that loops forever — typically a broken rewind — traps with
/// `OutOfFuel` instead of hanging the test suite. It is refilled before
/// every round, because an instrumented run that suspends a thousand times
/// legitimately executes its rewind paths a thousand times.
pub const FUEL: u64 = 50_000_000;

/// A live instance, with what the driver knows about its module.
pub struct Running {
    /// The instance; its host state is the run's.
    pub instance: Box<dyn Instance>,
    /// The module's imports and exports.
    pub info: ModuleInfo,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running").field("info", &self.info).finish()
    }
}

/// Instantiates `wasm` with every import stubbed (see [`crate::host`]) and
/// reserves the save region; does not call anything but the start function.
pub fn instantiate(wasm: &[u8], cfg: &RunConfig) -> Result<Running> {
    let info = ModuleInfo::read(wasm)?;
    let engine = cfg.engine.unwrap_or_else(|| EngineKind::for_module(wasm));
    let mut state = HostState::new(cfg.mode, cfg.policy.decider(), cfg.suspending.clone());
    state.check_rewind_args = cfg.check_rewind_args;
    state.fuel = cfg.fuel.as_ref().map(FuelState::new);
    let save_memory = info.save_memory(&cfg.memory_export);
    let mut instance = engine_instantiate(
        engine,
        wasm,
        &info,
        state,
        save_memory.map(|(name, _)| name),
    )
    .with_context(|| format!("on {engine:?}"))?;
    instance.host().started = true;
    if let Some(fuel) = instance.host().fuel.as_mut() {
        fuel.ready = true;
    }
    if cfg.fuel.is_some() && fuel_now(&mut *instance).is_none() {
        anyhow::bail!("the metered module does not export an i64 global `{FUEL_GLOBAL}`");
    }
    if let Some((_, ty)) = save_memory {
        let region = SaveRegion::reserve(&mut *instance, ty.memory64, cfg.capacity)?;
        instance.host().region = Some(region);
    }
    Ok(Running { instance, info })
}

/// Runs `calls` in order on a fresh instance of `wasm` and returns the trace.
/// Stops after the first call that does not return normally.
pub fn run(wasm: &[u8], cfg: &RunConfig, calls: &[Call]) -> Result<Trace> {
    let Running { mut instance, info } = instantiate(wasm, cfg)?;
    let r = &mut *instance;
    let mut suspensions = 0;
    for call in calls {
        if info.export_func(&call.export).is_none() {
            anyhow::bail!("no exported function `{}`", call.export);
        }
        r.host().events.push(Event::Export {
            name: call.export.clone(),
            args: call.args.clone(),
        });
        if cfg.fuel.is_some() {
            grant_fuel(r).map_err(anyhow::Error::msg)?;
        }
        let mut outcome = drive(r, cfg.mode, call, &mut suspensions)?;
        if cfg.fuel.is_some() && matches!(outcome, Outcome::Returned(_) | Outcome::Trapped(_)) {
            match end_slice(r) {
                Ok(_) => {
                    let fuel = r.host().fuel.as_mut().expect("a metered run");
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
        r.host().events.push(Event::Finished {
            name: call.export.clone(),
            outcome,
        });
        if done {
            break;
        }
    }
    let globals = info
        .export_globals()
        .map(|(name, _)| name)
        .filter(|name| !name.starts_with("__asyncify_"))
        .filter(|name| cfg.fuel.is_none() || *name != FUEL_GLOBAL)
        .map(|name| {
            let value = r.global(name).expect("an exported global");
            (name.to_string(), value)
        })
        .collect();
    let memory = match r.host().region {
        Some(region) => r.memory()[..region.data as usize].to_vec(),
        None => r.memory(),
    };
    let st = r.host();
    Ok(Trace {
        events: std::mem::take(&mut st.events),
        suspensions,
        steps: st.steps,
        fuel: st.fuel.as_ref().map(|f| f.stats.clone()),
        globals,
        memory,
    })
}

/// Cross-checks the exported ABI globals, when `--export-globals` put them
/// there.
fn check_globals(r: &mut dyn Instance, state: i32) -> Result<(), String> {
    if let Some(v) = r.global(abi::STATE_GLOBAL)
        && v != Value::I32(state)
    {
        return Err(format!(
            "exported {} is {v:?}, asyncify_get_state() is {state}",
            abi::STATE_GLOBAL
        ));
    }
    if state != abi::STATE_NORMAL
        && let Some(region) = r.host().region
        && let Some(v) = r.global(abi::DATA_GLOBAL)
        && v != region.data_arg()
    {
        return Err(format!(
            "exported {} is {v:?} while DATA is {:#x}",
            abi::DATA_GLOBAL,
            region.data
        ));
    }
    Ok(())
}

/// Drives one export call through every suspension.
fn drive(r: &mut dyn Instance, mode: Mode, call: &Call, suspensions: &mut u64) -> Result<Outcome> {
    loop {
        r.set_fuel(FUEL).context("setting fuel")?;
        r.host().depth = 1;
        let result = r.call(&call.export, &call.args);
        let used = FUEL - r.fuel();
        r.host().steps += used;
        r.host().depth = 0;
        // The driver's own ABI calls (`asyncify_get_state` after the hang
        // guard stopped the program) must not fail for want of fuel.
        r.set_fuel(FUEL).context("setting fuel")?;
        if let Some(v) = r.host().violation.take() {
            return Ok(Outcome::Protocol(v));
        }
        if mode == Mode::Original {
            return Ok(match result {
                Ok(out) => Outcome::Returned(out),
                Err(trap) => Outcome::Trapped(trap),
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
    r: &mut dyn Instance,
    result: Result<Vec<Value>, String>,
    suspensions: &mut u64,
) -> Result<Option<Outcome>, String> {
    let proto = r.host().proto;
    let state = get_state(r)?;
    match result {
        Err(trap) => {
            if state == abi::STATE_OVERFLOWED {
                if proto != Proto::Unwinding {
                    return Err(format!(
                        "state 3 (overflow) outside an unwind, after trap {trap}"
                    ));
                }
                let region = r.host().region.expect("unwinding has a region");
                let now = r.memory();
                region
                    .check_unwind_writes(&r.host().snapshot, &now)
                    .map_err(|m| {
                        format!("the overflowing unwind wrote outside the save stack: {m}")
                    })?;
                return Ok(Some(Outcome::SaveStackOverflow {
                    header: region.read_header(&now),
                }));
            }
            match proto {
                Proto::Normal => Ok(Some(Outcome::Trapped(trap))),
                Proto::Unwinding => Err(format!("trapped while unwinding (state {state}): {trap}")),
                Proto::Rewinding => Err(format!("trapped while rewinding (state {state}): {trap}")),
            }
        }
        Ok(out) => match proto {
            Proto::Normal => {
                if state != abi::STATE_NORMAL {
                    return Err(format!("the export returned in state {state}"));
                }
                check_globals(r, state)?;
                Ok(Some(Outcome::Returned(out)))
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
                let region = r.host().region.expect("unwinding has a region");
                let now = r.memory();
                region
                    .check_unwind_writes(&r.host().snapshot, &now)
                    .map_err(|m| format!("the unwind wrote outside the save stack: {m}"))?;
                abi_call(r, abi::STOP_UNWIND, &[])?;
                let s = get_state(r)?;
                if s != abi::STATE_NORMAL {
                    return Err(format!("asyncify_stop_unwind left state {s}"));
                }
                *suspensions += 1;
                refuel(r)?;
                let snapshot = r.memory();
                r.host().snapshot = snapshot;
                abi_call(r, abi::START_REWIND, &[region.data_arg()])?;
                let s = get_state(r)?;
                if s != abi::STATE_REWINDING {
                    return Err(format!("asyncify_start_rewind left state {s}"));
                }
                check_globals(r, s)?;
                r.host().proto = Proto::Rewinding;
                Ok(None)
            }
        },
    }
}

/// Between an unwind and its rewind in a metered run: checks that the unwind
/// did not change `__rewind_fuel`; after an out-of-fuel unwind grants the
/// next budget. Notes the counter the rewind must leave alone.
fn refuel(r: &mut dyn Instance) -> Result<(), String> {
    let Some(at_unwind) = r.host().fuel.as_ref().map(|f| f.at_unwind) else {
        return Ok(());
    };
    let now = fuel_now(r).ok_or(format!("`{FUEL_GLOBAL}` is not an i64 global"))?;
    if now != at_unwind {
        return Err(format!(
            "the unwind changed `{FUEL_GLOBAL}` from {at_unwind} to {now}"
        ));
    }
    let out_of_fuel = r
        .host()
        .pending
        .as_ref()
        .is_some_and(|p| p.import == out_of_fuel_import());
    if out_of_fuel {
        grant_fuel(r)?;
    }
    let now = fuel_now(r).ok_or(format!("`{FUEL_GLOBAL}` is not an i64 global"))?;
    let fuel = r.host().fuel.as_mut().expect("a metered run");
    fuel.at_rewind = now;
    if out_of_fuel {
        fuel.stats.out_of_fuel += 1;
    }
    Ok(())
}

/// Instantiates `wasm` with stub imports and no calls: proves that its
/// engine accepts (validates and links) a module.
pub fn check_instantiates(wasm: &[u8]) -> Result<()> {
    let cfg = RunConfig::new(Mode::Instrumented, Policy::Never);
    instantiate(wasm, &cfg).map(|_| ())
}
