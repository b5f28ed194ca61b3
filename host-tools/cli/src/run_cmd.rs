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
//!
//! Under rewind-host the call is driven by `drive.rs`, and with
//! `--checkpoint FILE` it can be saved: at the `--max-slices` stop instead
//! of the error, and every S slices or suspensions with
//! `--checkpoint-every S` (`checkpoint.rs`), to be continued by `rewind
//! resume`. The store data is then a `WasiHost` (`wasi_state.rs`), whose
//! WASI state is saved with the call.

use rewind_transform::matches;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use rewind_host::wasmi::{self, Engine, ExternType, FuncType, Store, Val, ValType};
use rewind_host::{Config, SuspendedCall};
use wasmi_wasi::WasiCtx;

use crate::checkpoint::RunState;
use crate::cli::{CheckpointArgs, RunArgs, RunOptions};
use crate::drive::{Driver, NEEDS_METERED, Stops, Tally};
use crate::wasi_state::{Preopen, WasiHost};
use crate::yields::{self, Counter};
use crate::{not_instrumented, wasi};

/// The entry point of a WASI command.
const START: &str = "_start";

/// What a module that is not instrumented gets told with `--suspend-at`.
const NEEDS_INSTRUMENTED: &str = "--suspend-at needs a module instrumented by `rewind asyncify`";

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
        checkpoints: &args.checkpoints,
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
    /// Where and when to save it.
    pub checkpoints: &'a CheckpointArgs,
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
    // Yields need an instrumented module; without one, plain wasmi.
    let suspending = !args.suspend_at.is_empty()
        || (yields && rewind_host::Module::from_wasmi(module.clone()).is_ok());
    let checkpoints = program.checkpoints;
    if checkpoints.checkpoint.is_some() {
        if args.fuel_slice.is_none() && !suspending {
            bail!(
                "--checkpoint needs a call that suspends: --fuel-slice, --suspend-at, \
                 or an instrumented module that yields (`{}`)",
                yields::NAME
            );
        }
        if args.max_slices.is_none() && checkpoints.checkpoint_every.is_none() {
            eprintln!(
                "warning: --checkpoint is written only with --max-slices or --checkpoint-every"
            );
        }
    }
    let host = wasi_host(program.path, argv, args)?;

    let ran = if args.fuel_slice.is_some() || suspending {
        let needs = match args.fuel_slice {
            Some(_) => NEEDS_METERED,
            None => NEEDS_INSTRUMENTED,
        };
        let wasm = checkpoints.checkpoint.is_some().then_some(program.wasm);
        let instance = host_instance(&engine, module, wasm, host, args, yields, needs)?;
        let driver = Driver {
            instance,
            export,
            state: RunState {
                slice: args.fuel_slice,
                suspend_at: args.suspend_at.clone(),
                slices: 0,
                tally: Tally {
                    suspensions: (!args.suspend_at.is_empty()).then_some(0),
                    yields: yields.then(|| Counter::new(args.max_yields)),
                },
            },
            stops: Stops {
                checkpoint: checkpoints.checkpoint.clone(),
                every: checkpoints.checkpoint_every,
                max_slices: args.max_slices,
            },
            suspended,
        };
        driver.call(&params)
    } else {
        run_plain(
            &engine,
            &module,
            host.into_ctx(),
            export,
            &params,
            ty.results().len(),
            yields,
        )
    };
    ran.map_err(|err| failure(err, program.path, export))
}

/// The error of a run: advice when something the run needed was not
/// instrumented, else `err` with the export and the module.
pub fn failure(err: anyhow::Error, module: &Path, export: &str) -> anyhow::Error {
    match not_instrumented::advice(&err, module) {
        Some(advice) => advice,
        None => err.context(format!(
            "failed to run `{export}` of `{}`",
            module.display()
        )),
    }
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
        Ran::Checkpointed(path) => {
            eprintln!("checkpoint: {}", path.display());
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
    /// `--max-slices` with `--checkpoint`: it was stopped and saved to
    /// this file.
    Checkpointed(PathBuf),
}

/// Plain wasmi, no suspension; with `yields`, `rewind.yield_to_host` is
/// defined as a trap (the module is not instrumented).
fn run_plain(
    engine: &Engine,
    module: &wasmi::Module,
    ctx: WasiCtx,
    export: &str,
    params: &[Val],
    n_results: usize,
    yields: bool,
) -> Result<Ran> {
    let mut store = Store::new(engine, ctx);
    let mut linker = wasmi::Linker::<WasiCtx>::new(engine);
    wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx)
        .map_err(|e| anyhow!("{e}"))
        .context("failed to define the WASI imports")?;
    if yields {
        yields::define_trap(&mut linker)?;
    }
    let instance = match linker.instantiate_and_start(&mut store, module) {
        Ok(instance) => instance,
        Err(err) => return exited(err).context("failed to instantiate the module"),
    };
    let func = instance
        .get_func(&store, export)
        .ok_or_else(|| anyhow!("no function export `{export}`"))?;
    let mut results = vec![Val::I32(0); n_results];
    match func.call(&mut store, params, &mut results) {
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

/// A rewind-host instance of `module` holding `host`, with the imports of
/// [`host_linker`] and `--save-buffer`; `needs` says what the module must
/// be when rewind-host rejects it. With `wasm` (the module's bytes) the
/// module is loaded for snapshots.
fn host_instance(
    engine: &Engine,
    module: wasmi::Module,
    wasm: Option<&[u8]>,
    host: WasiHost,
    options: &RunOptions,
    yields: bool,
    needs: &'static str,
) -> Result<rewind_host::Instance<WasiHost>> {
    let imports: Vec<String> = module
        .imports()
        .map(|import| format!("{}.{}", import.module(), import.name()))
        .collect();
    for pattern in &options.suspend_at {
        if !imports.iter().any(|import| matches(pattern, import)) {
            eprintln!("warning: --suspend-at `{pattern}` matches no import of the module");
        }
    }
    let mut module = rewind_host::Module::from_wasmi(module).context(needs)?;
    if let Some(wasm) = wasm {
        module = rewind_host::Module::with_snapshots(engine, wasm)
            .context("failed to prepare the module for checkpoints")?;
    }
    let linker = host_linker(engine, &options.suspend_at, yields)?;
    let config = Config::default().buffer_size(options.save_buffer);
    linker
        .instantiate_with_config(&module, host, config)
        .context("failed to instantiate the module")
}

/// A rewind-host linker with the WASI imports, those `suspend_at` selects
/// suspending, and with `yields` `rewind.yield_to_host`.
pub fn host_linker(
    engine: &Engine,
    suspend_at: &[String],
    yields: bool,
) -> Result<rewind_host::Linker<WasiHost>> {
    let mut linker = rewind_host::Linker::<WasiHost>::new(engine);
    let suspend = |name: &str| {
        let import = wasi::qualified(name);
        suspend_at.iter().any(|p| matches(p, &import))
    };
    wasi::define(&mut linker, suspend).context("failed to define the WASI imports")?;
    if yields {
        yields::define_yield(&mut linker)
            .with_context(|| format!("failed to define `{}`", yields::NAME))?;
    }
    Ok(linker)
}

/// The WASI state: argv (the module's path, then `argv`), `--env`,
/// `--dir`, and this process's stdin, stdout and stderr.
fn wasi_host(module: &Path, argv: &[String], args: &RunOptions) -> Result<WasiHost> {
    let program = module.to_string_lossy().into_owned();
    let argv = std::iter::once(program)
        .chain(argv.iter().cloned())
        .collect();
    let env = args
        .env
        .iter()
        .map(|var| {
            var.split_once('=')
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .ok_or_else(|| anyhow!("--env `{var}`: expected KEY=VALUE"))
        })
        .collect::<Result<_>>()?;
    let preopens = args.dir.iter().map(|spec| Preopen::parse(spec)).collect();
    WasiHost::new(argv, env, preopens)
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
pub fn plural(n: u64) -> &'static str {
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
