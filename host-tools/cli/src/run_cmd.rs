//! `rewind run`: run a module under wasmi — a WASI preview1 command
//! (`_start`) or any export (`--invoke`) — optionally suspending and
//! resuming at every call of chosen imports.
//!
//! Without `--suspend-at` the module runs under plain wasmi with
//! `wasmi_wasi`, instrumented or not. With it, the module must be
//! instrumented (`rewind asyncify`), and it runs under rewind-host: every
//! call of a matching WASI import does its work, unwinds the guest to the
//! driver and is rewound into (see `wasi.rs`). The number of suspensions
//! is printed on stderr as `suspensions: N`, also when the program exits
//! through `proc_exit` or traps. Both ways use the same WASI
//! implementation, so a program must print exactly the same either way.
//!
//! With `--fuel-slice N` the module must be metered (`rewind fuel`); it runs
//! under rewind-host in slices of N fuel, and `slices: S` and `fuel: F` are
//! printed on stderr (with `--max-slices K`, a call still running after K
//! slices is stopped with an error).
//!
//! A module that imports `rewind.yield_to_host` (rewind-guest's
//! `yield_to_host()`) gets it defined (`yields.rs`): instrumented, it runs
//! under rewind-host, each call suspends to `rewind run` and is resumed,
//! `yields: N` is printed on stderr, and `--max-yields K` ends a frame loop
//! after K yields (successfully: it was asked to). This works with
//! `--suspend-at` and `--fuel-slice` alike.

use rewind_transform::matches;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use rewind_host::wasmi::{self, Engine, ExternType, FuncType, Store, Val, ValType};
use rewind_host::{CallOutcome, Config, FuelOutcome, SuspendedCall};
use wasmi_wasi::WasiCtx;
use wasmi_wasi::sync::{Dir, WasiCtxBuilder, ambient_authority};

use crate::cli::{RunArgs, RunOptions};
use crate::yields::{self, Counter};
use crate::{not_instrumented, wasi};

/// The entry point of a WASI command.
const START: &str = "_start";

/// Runs `rewind run`; the exit code is the program's (`proc_exit`).
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let path = &args.program.module;
    let wasm =
        wat::parse_file(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let program = Program {
        path,
        wasm: &wasm,
        args: &args.program.args,
        options: &args.options,
    };
    execute(&program, &mut |_| {}).map(finish)
}

/// A program to run: the module (its path names it in messages and is
/// argv\[0\]), its arguments and how to run it.
pub struct Program<'a> {
    /// The module's path.
    pub path: &'a Path,
    /// The module's binary.
    pub wasm: &'a [u8],
    /// The program's arguments, or `--invoke`'s.
    pub args: &'a [String],
    /// How to run it.
    pub options: &'a RunOptions,
}

/// Runs `program`; `suspended` sees every suspension of a run under
/// rewind-host before it is resumed.
pub fn execute(program: &Program<'_>, suspended: &mut dyn FnMut(&SuspendedCall)) -> Result<Ran> {
    let path = program.path.display();
    let args = program.options;
    let engine = Engine::default();
    let module = wasmi::Module::new(&engine, program.wasm)
        .with_context(|| format!("failed to compile `{path}`"))?;

    let export = args.invoke.as_deref().unwrap_or(START);
    let ty = export_type(&module, export)?;
    let (params, argv) = match &args.invoke {
        Some(_) => (parse_params(export, &ty, program.args)?, &[][..]),
        None => (Vec::new(), program.args),
    };
    let yields = yields::imported(&module)?;
    if args.max_yields.is_some() && !yields {
        eprintln!(
            "warning: --max-yields: the module does not import `{}`",
            yields::NAME
        );
    }
    let tally = Tally {
        suspensions: (!args.suspend_at.is_empty()).then_some(0),
        yields: yields.then(|| Counter::new(args.max_yields)),
    };
    // Yields need an instrumented module; without one, plain wasmi.
    let suspending = !args.suspend_at.is_empty()
        || (yields && rewind_host::Module::from_wasmi(module.clone()).is_ok());
    let setup = Setup {
        ctx: wasi_ctx(program.path, argv, args)?,
        engine,
        module,
        export,
        params,
        options: args,
    };

    let ran = if let Some(slice) = args.fuel_slice {
        run_fueled(setup, slice, tally, suspended)
    } else if suspending {
        run_suspending(setup, tally, suspended)
    } else {
        run_plain(setup, ty.results().len(), yields)
    };
    ran.map_err(|err| match not_instrumented::advice(&err, program.path) {
        Some(advice) => advice,
        None => err.context(format!("failed to run `{export}` of `{path}`")),
    })
}

/// The exit code of a run that ended, after printing an export's results.
pub fn finish(ran: Ran) -> ExitCode {
    match ran {
        Ran::Returned(values) => {
            for value in &values {
                println!("{}", show(value));
            }
            ExitCode::SUCCESS
        }
        Ran::Exited(status) => exit_code(status),
        Ran::Stopped(max) => {
            eprintln!(
                "stopped after {max} yield{} (--max-yields {max})",
                plural(max)
            );
            ExitCode::SUCCESS
        }
    }
}

/// How the program ended.
pub enum Ran {
    /// The export returned these values.
    Returned(Vec<Val>),
    /// It called `proc_exit` with this status.
    Exited(i32),
    /// `--max-yields`: it was stopped after this many yields.
    Stopped(u64),
}

/// What the three ways of running take: the compiled module, the WASI
/// context, the export and its arguments, and the options.
struct Setup<'a> {
    engine: Engine,
    module: wasmi::Module,
    ctx: WasiCtx,
    export: &'a str,
    params: Vec<Val>,
    options: &'a RunOptions,
}

/// The suspensions of one call, by kind, for the lines on stderr: those of
/// `--suspend-at` imports (if any are selected) and the yields (if the
/// module imports `rewind.yield_to_host`).
struct Tally {
    suspensions: Option<u64>,
    yields: Option<Counter>,
}

impl Tally {
    /// Counts a suspension of `call`; whether the call may be resumed
    /// (`--max-yields` not reached).
    fn count(&mut self, call: &SuspendedCall) -> bool {
        match &mut self.yields {
            Some(yields) if call.is_yield() && call.import() == yields::NAME => yields.resume(),
            _ => {
                *self.suspensions.get_or_insert(0) += 1;
                true
            }
        }
    }

    /// The call stopped by `--max-yields`.
    fn stopped(&self) -> Ran {
        Ran::Stopped(self.yields.as_ref().map_or(0, Counter::count))
    }

    /// Prints `suspensions: N` and `yields: N` on stderr.
    fn report(&self) {
        if let Some(n) = self.suspensions {
            eprintln!("suspensions: {n}");
        }
        if let Some(yields) = &self.yields {
            eprintln!("yields: {}", yields.count());
        }
    }
}

/// Plain wasmi, no suspension; with `yields`, `rewind.yield_to_host` is
/// defined as a trap (the module is not instrumented).
fn run_plain(setup: Setup<'_>, n_results: usize, yields: bool) -> Result<Ran> {
    let Setup {
        engine,
        module,
        ctx,
        export,
        params,
        ..
    } = setup;
    let mut store = Store::new(&engine, ctx);
    let mut linker = wasmi::Linker::<WasiCtx>::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx)
        .map_err(|e| anyhow!("{e}"))
        .context("failed to define the WASI imports")?;
    if yields {
        yields::define_trap(&mut linker)?;
    }
    let instance = match linker.instantiate_and_start(&mut store, &module) {
        Ok(instance) => instance,
        Err(err) => return exited(err).context("failed to instantiate the module"),
    };
    let func = instance
        .get_func(&store, export)
        .ok_or_else(|| anyhow!("no function export `{export}`"))?;
    let mut results = vec![Val::I32(0); n_results];
    match func.call(&mut store, &params, &mut results) {
        Ok(()) => Ok(Ran::Returned(results)),
        Err(err) => exited(err),
    }
}

/// `proc_exit` is an exit; anything else an error.
fn exited(err: wasmi::Error) -> Result<Ran> {
    match err.i32_exit_status() {
        Some(status) => Ok(Ran::Exited(status)),
        None => Err(err.into()),
    }
}

/// Under rewind-host: a trap from `proc_exit` is an exit; anything else an
/// error.
fn host_exited(err: rewind_host::Error) -> Result<Ran> {
    if let rewind_host::Error::Trap { source, .. } = &err
        && let Some(status) = source.i32_exit_status()
    {
        return Ok(Ran::Exited(status));
    }
    Err(err.into())
}

/// rewind-host, suspending at every call of the imports `--suspend-at`
/// selects and of `rewind.yield_to_host`.
fn run_suspending(
    setup: Setup<'_>,
    mut tally: Tally,
    suspended: &mut dyn FnMut(&SuspendedCall),
) -> Result<Ran> {
    let imports: Vec<String> = setup
        .module
        .imports()
        .map(|import| format!("{}.{}", import.module(), import.name()))
        .collect();
    for pattern in &setup.options.suspend_at {
        if !imports.iter().any(|import| matches(pattern, import)) {
            eprintln!("warning: --suspend-at `{pattern}` matches no import of the module");
        }
    }
    let (export, params) = (setup.export, setup.params.clone());
    let mut instance = host_instance(
        setup,
        "--suspend-at needs a module instrumented by `rewind asyncify`",
        tally.yields.is_some(),
    )?;

    let mut outcome = instance.call_resumable(export, &params);
    let ran = loop {
        outcome = match outcome {
            Ok(CallOutcome::Finished(values)) => break Ok(Ran::Returned(values)),
            Ok(CallOutcome::Suspended(call) | CallOutcome::Yielded(call)) => {
                if !tally.count(&call) {
                    // Dropping the call abandons it.
                    break Ok(tally.stopped());
                }
                suspended(&call);
                instance.resume(call)
            }
            Err(err) => break host_exited(err),
        };
    };
    tally.report();
    ran
}

/// A rewind-host instance with the WASI imports, those `--suspend-at`
/// selects suspending, and with `yields` `rewind.yield_to_host`; `needs`
/// says what the module must be when rewind-host rejects it.
fn host_instance(
    setup: Setup<'_>,
    needs: &'static str,
    yields: bool,
) -> Result<rewind_host::Instance<WasiCtx>> {
    let module = rewind_host::Module::from_wasmi(setup.module).context(needs)?;
    let mut linker = rewind_host::Linker::<WasiCtx>::new(&setup.engine);
    let suspend = |name: &str| {
        let import = wasi::qualified(name);
        setup.options.suspend_at.iter().any(|p| matches(p, &import))
    };
    wasi::define(&mut linker, suspend).context("failed to define the WASI imports")?;
    if yields {
        yields::define_yield(&mut linker)
            .with_context(|| format!("failed to define `{}`", yields::NAME))?;
    }
    let config = Config::default().buffer_size(setup.options.save_buffer);
    linker
        .instantiate_with_config(&module, setup.ctx, config)
        .context("failed to instantiate the module")
}

/// rewind-host with a module metered by `rewind fuel`: slices of `slice`
/// fuel, resumed after each, at most `--max-slices`.
fn run_fueled(
    setup: Setup<'_>,
    slice: u64,
    mut tally: Tally,
    suspended: &mut dyn FnMut(&SuspendedCall),
) -> Result<Ran> {
    const NEEDS: &str = "--fuel-slice needs a module metered by `rewind fuel`";
    let (export, params, args) = (setup.export, setup.params.clone(), setup.options);
    let mut instance = host_instance(setup, NEEDS, tally.yields.is_some())?;
    if instance.fuel_remaining().is_none() {
        return Err(anyhow::Error::new(rewind_host::Error::NotMetered).context(NEEDS));
    }

    let mut slices: u64 = 1;
    let mut outcome = instance.call_with_fuel(export, &params, slice);
    let ran = loop {
        outcome = match outcome {
            Ok(FuelOutcome::Finished(values)) => break Ok(Ran::Returned(values)),
            Ok(FuelOutcome::OutOfFuel(call)) => {
                if let Some(max) = args.max_slices.filter(|&max| slices >= max) {
                    // Dropping the call abandons it.
                    drop(call);
                    break Err(anyhow!(
                        "stopped after {max} slice{} of {slice} fuel (--max-slices {max}): \
                         `{export}` did not finish",
                        plural(max)
                    ));
                }
                slices += 1;
                suspended(&call);
                instance.resume_with_fuel(call, slice)
            }
            Ok(FuelOutcome::Suspended(call)) => {
                if !tally.count(&call) {
                    break Ok(tally.stopped());
                }
                suspended(&call);
                instance.continue_with_fuel(call)
            }
            Err(err) => break host_exited(err),
        };
    };
    tally.report();
    eprintln!("slices: {slices}");
    eprintln!("fuel: {}", instance.fuel_consumed());
    ran
}

/// The WASI context: argv (the module's path, then `argv`), `--env`,
/// `--dir`, and this process's stdin, stdout and stderr.
fn wasi_ctx(module: &Path, argv: &[String], args: &RunOptions) -> Result<WasiCtx> {
    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio();
    let program = module.to_string_lossy();
    for arg in std::iter::once(program.as_ref()).chain(argv.iter().map(String::as_str)) {
        builder
            .arg(arg)
            .map_err(|e| anyhow!("argument `{arg}`: {e}"))?;
    }
    for var in &args.env {
        let (key, value) = var
            .split_once('=')
            .ok_or_else(|| anyhow!("--env `{var}`: expected KEY=VALUE"))?;
        builder
            .env(key, value)
            .map_err(|e| anyhow!("--env `{var}`: {e}"))?;
    }
    for spec in &args.dir {
        let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
        let dir = Dir::open_ambient_dir(host, ambient_authority())
            .with_context(|| format!("--dir `{spec}`: cannot open directory `{host}`"))?;
        builder
            .preopened_dir(dir, guest)
            .map_err(|e| anyhow!("--dir `{spec}`: {e}"))?;
    }
    Ok(builder.build())
}

/// The type of function export `export`.
fn export_type(module: &wasmi::Module, export: &str) -> Result<FuncType> {
    match module.get_export(export) {
        Some(ExternType::Func(ty)) => Ok(ty),
        Some(_) => bail!("export `{export}` is not a function"),
        None if export == START => bail!(
            "the module exports no `{START}`: it is not a WASI command; call an export with --invoke NAME"
        ),
        None => bail!("the module has no export `{export}`"),
    }
}

/// `--invoke` arguments, parsed by the export's parameter types.
fn parse_params(export: &str, ty: &FuncType, args: &[String]) -> Result<Vec<Val>> {
    if args.len() != ty.params().len() {
        bail!(
            "`{export}` takes {} argument{} ({}), {} given",
            ty.params().len(),
            if ty.params().len() == 1 { "" } else { "s" },
            ty.params()
                .iter()
                .map(|t| format!("{t:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(", "),
            args.len()
        );
    }
    ty.params()
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (ty, arg))| {
            parse_value(*ty, arg).with_context(|| format!("argument {} of `{export}`", i + 1))
        })
        .collect()
}

/// One value of type `ty` from the command line: integers in decimal
/// (signed or unsigned) or `0x` hexadecimal, floats as Rust parses them
/// (`inf`, `nan` included).
fn parse_value(ty: ValType, text: &str) -> Result<Val> {
    let bad = || {
        anyhow!(
            "`{text}` is not a valid {}",
            format!("{ty:?}").to_lowercase()
        )
    };
    Ok(match ty {
        ValType::I32 => Val::I32(match parse_int(text) {
            Some(n) if i32::try_from(n).is_ok() => n as i32,
            Some(n) if u32::try_from(n).is_ok() => n as u32 as i32,
            _ => return Err(bad()),
        }),
        ValType::I64 => Val::I64(match parse_int(text) {
            Some(n) if i64::try_from(n).is_ok() => n as i64,
            Some(n) if u64::try_from(n).is_ok() => n as u64 as i64,
            _ => return Err(bad()),
        }),
        ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.into()),
        ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.into()),
        other => bail!(
            "a {} parameter cannot be given on the command line",
            format!("{other:?}").to_lowercase()
        ),
    })
}

fn parse_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// A result as printed: integers signed decimal, floats as Rust prints them.
fn show(value: &Val) -> String {
    match value {
        Val::I32(n) => n.to_string(),
        Val::I64(n) => n.to_string(),
        Val::F32(x) => f32::from(*x).to_string(),
        Val::F64(x) => f64::from(*x).to_string(),
        other => format!("{other:?}"),
    }
}

/// The plural ending for `n` things.
fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A `proc_exit` status as this process's exit code.
fn exit_code(status: i32) -> ExitCode {
    u8::try_from(status).map_or(ExitCode::FAILURE, ExitCode::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_type() {
        assert_eq!(parse_value(ValType::I32, "-1").unwrap().i32(), Some(-1));
        assert_eq!(
            parse_value(ValType::I32, "4294967295").unwrap().i32(),
            Some(-1)
        );
        assert_eq!(parse_value(ValType::I32, "0x10").unwrap().i32(), Some(16));
        assert!(parse_value(ValType::I32, "4294967296").is_err());
        assert_eq!(
            parse_value(ValType::I64, "-9223372036854775808")
                .unwrap()
                .i64(),
            Some(i64::MIN)
        );
        assert_eq!(
            parse_value(ValType::F64, "1.5")
                .unwrap()
                .f64()
                .map(f64::from),
            Some(1.5)
        );
        assert!(parse_value(ValType::F32, "x").is_err());
        assert!(parse_value(ValType::V128, "0").is_err());
    }

    #[test]
    fn exit_codes_outside_a_byte_fail() {
        assert_eq!(exit_code(3), ExitCode::from(3));
        assert_eq!(exit_code(-1), ExitCode::FAILURE);
        assert_eq!(exit_code(256), ExitCode::FAILURE);
    }
}
