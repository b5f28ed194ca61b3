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
//! slices is stopped with an error, or saved with `--checkpoint FILE` for
//! `rewind resume`; see `drive.rs` and `checkpoint.rs`).

use rewind_transform::matches;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use rewind_host::wasmi::{self, Engine, ExternType, FuncType, Store, Val, ValType};
use rewind_host::{Config, Instance};
use wasmi_wasi::WasiCtx;

use crate::checkpoint::RunState;
use crate::cli::RunArgs;
use crate::drive::{Driver, Ran, Stops};
use crate::wasi;
use crate::wasi_state::{Preopen, WasiHost};

/// The entry point of a WASI command.
const START: &str = "_start";

/// Runs `rewind run`; the exit code is the program's (`proc_exit`).
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let wasm = wat::parse_file(&args.module)
        .with_context(|| format!("failed to read `{}`", args.module.display()))?;
    let engine = Engine::default();
    let module = wasmi::Module::new(&engine, &wasm)
        .with_context(|| format!("failed to compile `{}`", args.module.display()))?;

    let export = args.invoke.as_deref().unwrap_or(START);
    let ty = export_type(&module, export)?;
    let (params, argv) = match &args.invoke {
        Some(_) => (parse_params(export, &ty, &args.args)?, &[][..]),
        None => (Vec::new(), &args.args[..]),
    };
    if args.checkpoints.checkpoint.is_some()
        && args.fuel_slice.is_none()
        && args.suspend_at.is_empty()
    {
        bail!("--checkpoint needs a call that suspends: --fuel-slice or --suspend-at");
    }
    let host = wasi_host(&args.module, argv, args)?;
    let state = RunState {
        slice: args.fuel_slice,
        suspend_at: args.suspend_at.clone(),
        slices: 1,
        suspensions: 0,
    };

    let ran = if let Some(slice) = args.fuel_slice {
        run_fueled(&engine, &wasm, host, export, &params, args, state, slice)
    } else if args.suspend_at.is_empty() {
        run_plain(
            &engine,
            &module,
            host.into_ctx(),
            export,
            &params,
            ty.results().len(),
        )
    } else {
        run_suspending(&engine, &wasm, host, export, &params, args, state)
    };
    report(ran, export, &args.module)
}

/// Prints what the program returned; its exit code.
pub fn report(ran: Result<Ran>, export: &str, module: &Path) -> Result<ExitCode> {
    match ran {
        Ok(Ran::Returned(values)) => {
            for value in &values {
                println!("{}", show(value));
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(Ran::Exited(status)) => Ok(exit_code(status)),
        Ok(Ran::Checkpointed(path)) => {
            eprintln!("checkpoint: {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => Err(err.context(format!(
            "failed to run `{export}` of `{}`",
            module.display()
        ))),
    }
}

/// Plain wasmi, no suspension.
fn run_plain(
    engine: &Engine,
    module: &wasmi::Module,
    ctx: WasiCtx,
    export: &str,
    params: &[Val],
    n_results: usize,
) -> Result<Ran> {
    let mut store = Store::new(engine, ctx);
    let mut linker = wasmi::Linker::<WasiCtx>::new(engine);
    wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx)
        .map_err(|e| anyhow!("{e}"))
        .context("failed to define the WASI imports")?;
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

/// rewind-host, suspending at every call of the imports `--suspend-at`
/// selects.
fn run_suspending(
    engine: &Engine,
    wasm: &[u8],
    host: WasiHost,
    export: &str,
    params: &[Val],
    args: &RunArgs,
    state: RunState,
) -> Result<Ran> {
    let module = host_module(engine, wasm, args.checkpoints.checkpoint.is_some())
        .context("--suspend-at needs a module instrumented by `rewind asyncify`")?;
    let imports: Vec<String> = module
        .wasmi()
        .imports()
        .map(|import| format!("{}.{}", import.module(), import.name()))
        .collect();
    for pattern in &args.suspend_at {
        if !imports.iter().any(|import| matches(pattern, import)) {
            eprintln!("warning: --suspend-at `{pattern}` matches no import of the module");
        }
    }
    let config = Config::default().buffer_size(args.save_buffer);
    let mut instance = host_linker(engine, &args.suspend_at)?
        .instantiate_with_config(&module, host, config)
        .context("failed to instantiate the module")?;
    let outcome = instance.call_resumable(export, params);
    let mut driver = Driver {
        instance: &mut instance,
        state,
        stops: Stops::new(&args.checkpoints, args.max_slices),
        export,
    };
    let ran = driver.suspensions(outcome);
    eprintln!("suspensions: {}", driver.state.suspensions);
    ran
}

/// The module for rewind-host: loaded for snapshots when checkpoints are
/// to be written.
pub fn host_module(
    engine: &Engine,
    wasm: &[u8],
    snapshots: bool,
) -> rewind_host::Result<rewind_host::Module> {
    if snapshots {
        rewind_host::Module::with_snapshots(engine, wasm)
    } else {
        rewind_host::Module::new(engine, wasm)
    }
}

/// A linker with the WASI imports, those `suspend_at` selects suspending.
pub fn host_linker(
    engine: &Engine,
    suspend_at: &[String],
) -> Result<rewind_host::Linker<WasiHost>> {
    let mut linker = rewind_host::Linker::<WasiHost>::new(engine);
    let suspend = |name: &str| {
        let import = wasi::qualified(name);
        suspend_at.iter().any(|p| matches(p, &import))
    };
    wasi::define(&mut linker, suspend).context("failed to define the WASI imports")?;
    Ok(linker)
}

/// rewind-host with a module metered by `rewind fuel`: slices of `slice`
/// fuel, resumed after each, at most `--max-slices`.
#[allow(clippy::too_many_arguments)]
fn run_fueled(
    engine: &Engine,
    wasm: &[u8],
    host: WasiHost,
    export: &str,
    params: &[Val],
    args: &RunArgs,
    state: RunState,
    slice: u64,
) -> Result<Ran> {
    let module = host_module(engine, wasm, args.checkpoints.checkpoint.is_some())
        .context("--fuel-slice needs a module metered by `rewind fuel`")?;
    let config = Config::default().buffer_size(args.save_buffer);
    let mut instance = host_linker(engine, &args.suspend_at)?
        .instantiate_with_config(&module, host, config)
        .context("failed to instantiate the module")?;
    check_metered(&instance)?;
    let outcome = instance.call_with_fuel(export, params, slice);
    let mut driver = Driver {
        instance: &mut instance,
        state,
        stops: Stops::new(&args.checkpoints, args.max_slices),
        export,
    };
    let ran = driver.slices(slice, outcome);
    print_counts(&driver);
    ran
}

/// The fuel global is there.
pub fn check_metered(instance: &Instance<WasiHost>) -> Result<()> {
    if instance.fuel_remaining().is_none() {
        return Err(anyhow::Error::new(rewind_host::Error::NotMetered)
            .context("--fuel-slice needs a module metered by `rewind fuel`"));
    }
    Ok(())
}

/// `suspensions: N` (with `--suspend-at`), `slices: S` and `fuel: F` on
/// stderr, counted over every process that ran the program.
pub fn print_counts(driver: &Driver<'_>) {
    if !driver.state.suspend_at.is_empty() {
        eprintln!("suspensions: {}", driver.state.suspensions);
    }
    eprintln!("slices: {}", driver.state.slices);
    eprintln!("fuel: {}", driver.instance.fuel_consumed());
}

/// The WASI state: argv (the module's path, then `argv`), `--env`,
/// `--dir`, and this process's stdin, stdout and stderr.
fn wasi_host(module: &Path, argv: &[String], args: &RunArgs) -> Result<WasiHost> {
    let program = module.to_string_lossy().into_owned();
    let argv = std::iter::once(program)
        .chain(argv.iter().cloned())
        .collect();
    let env = args
        .env
        .iter()
        .map(|var| {
            var.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
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
