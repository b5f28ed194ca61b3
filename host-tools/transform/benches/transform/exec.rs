//! Running modules of the examples part under wasmi, with real unwinds
//! and rewinds at every suspending import, and comparing the result with
//! the uninstrumented module's.

use rewind_transform::abi;

/// Bytes of save stack the exec check gives the module.
const SAVE_STACK_PAGES: u64 = 16;

#[derive(Debug, PartialEq, Eq)]
pub struct Trace {
    pub result: i32,
    pub output: Vec<u8>,
    pub logs: Vec<u8>,
}

struct Host {
    input: Vec<u8>,
    pos: usize,
    trace_output: Vec<u8>,
    pub logs: Vec<u8>,
    /// Suspend at every suspending import (instrumented modules).
    suspend: bool,
    data_ptr: u32,
    suspensions: u64,
}

type HostCaller<'a> = wasmi::Caller<'a, Host>;

fn export_call<P: wasmi::WasmParams, R: wasmi::WasmResults>(
    caller: &mut HostCaller<'_>,
    name: &str,
    args: P,
) -> Result<R, wasmi::Error> {
    let func = caller
        .get_export(name)
        .and_then(wasmi::Extern::into_func)
        .ok_or_else(|| wasmi::Error::new(format!("no export `{name}`")))?;
    func.typed::<P, R>(&*caller)?.call(&mut *caller, args)
}

fn memory_of(caller: &HostCaller<'_>) -> Result<wasmi::Memory, wasmi::Error> {
    caller
        .get_export("memory")
        .and_then(wasmi::Extern::into_memory)
        .ok_or_else(|| wasmi::Error::new("no exported memory"))
}

/// The suspend protocol of a suspending import. Returns `true` when the
/// import must do its work now (normal call, or the call that completes a
/// rewind), `false` when it just started an unwind.
fn suspend_point(caller: &mut HostCaller<'_>) -> Result<bool, wasmi::Error> {
    if !caller.data().suspend {
        return Ok(true);
    }
    let state: i32 = export_call(caller, abi::GET_STATE, ())?;
    match state {
        abi::STATE_REWINDING => {
            export_call::<(), ()>(caller, abi::STOP_REWIND, ())?;
            Ok(true)
        }
        abi::STATE_NORMAL => {
            let data = caller.data().data_ptr;
            let end = data + (SAVE_STACK_PAGES * 65536) as u32;
            let mut header = [0u8; 8];
            header[..4].copy_from_slice(&(data + 8).to_le_bytes());
            header[4..].copy_from_slice(&end.to_le_bytes());
            let memory = memory_of(caller)?;
            memory
                .write(&mut *caller, data as usize, &header)
                .map_err(|e| wasmi::Error::new(e.to_string()))?;
            export_call::<i32, ()>(caller, abi::START_UNWIND, data as i32)?;
            caller.data_mut().suspensions += 1;
            Ok(false)
        }
        other => Err(wasmi::Error::new(format!(
            "suspending import called in state {other}"
        ))),
    }
}

/// Runs the exported `run` to completion, driving unwinds and rewinds.
/// Returns the trace and the number of suspensions.
pub fn execute(wasm: &[u8], input: &[u8], instrumented: bool) -> Result<(Trace, u64), String> {
    use wasmi::{Caller, Config, Engine, Linker, Module, Store};
    let mut config = Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).map_err(|e| format!("compile: {e}"))?;
    let host = Host {
        input: input.to_vec(),
        pos: 0,
        trace_output: Vec::new(),
        logs: Vec::new(),
        suspend: instrumented,
        data_ptr: 0,
        suspensions: 0,
    };
    let mut store = Store::new(&engine, host);
    store.set_fuel(20_000_000_000).map_err(|e| e.to_string())?;
    let mut linker = <Linker<Host>>::new(&engine);
    let e = |e: wasmi::errors::LinkerError| e.to_string();
    linker
        .func_wrap(
            "env",
            "read_input",
            |mut caller: Caller<'_, Host>, buf: i32, len: i32| -> Result<i32, wasmi::Error> {
                if !suspend_point(&mut caller)? {
                    return Ok(0);
                }
                let host = caller.data();
                let n = (len as u32 as usize)
                    .min(host.input.len() - host.pos)
                    .min(1500);
                let chunk = host.input[host.pos..host.pos + n].to_vec();
                let memory = memory_of(&caller)?;
                memory
                    .write(&mut caller, buf as u32 as usize, &chunk)
                    .map_err(|e| wasmi::Error::new(e.to_string()))?;
                caller.data_mut().pos += n;
                Ok(n as i32)
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            "env",
            "yield_now",
            |mut caller: Caller<'_, Host>| -> Result<(), wasmi::Error> {
                suspend_point(&mut caller).map(|_| ())
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            "env",
            "write_output",
            |mut caller: Caller<'_, Host>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
                let memory = memory_of(&caller)?;
                let mut buf = vec![0; len as u32 as usize];
                memory
                    .read(&caller, ptr as u32 as usize, &mut buf)
                    .map_err(|e| wasmi::Error::new(e.to_string()))?;
                caller.data_mut().trace_output.extend_from_slice(&buf);
                Ok(())
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            "env",
            "log",
            |mut caller: Caller<'_, Host>,
             level: i32,
             ptr: i32,
             len: i32|
             -> Result<(), wasmi::Error> {
                let memory = memory_of(&caller)?;
                let mut buf = vec![0; len as u32 as usize];
                memory
                    .read(&caller, ptr as u32 as usize, &mut buf)
                    .map_err(|e| wasmi::Error::new(e.to_string()))?;
                let logs = &mut caller.data_mut().logs;
                logs.extend_from_slice(format!("[{level}] ").as_bytes());
                logs.extend_from_slice(&buf);
                logs.push(b'\n');
                Ok(())
            },
        )
        .map_err(e)?;
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| format!("instantiate: {e}"))?;
    let memory = instance
        .get_memory(&store, "memory")
        .ok_or("no exported memory")?;
    if instrumented {
        let pages = memory
            .grow(&mut store, SAVE_STACK_PAGES)
            .map_err(|e| e.to_string())?;
        store.data_mut().data_ptr = (pages * 65536) as u32;
    }
    let run = instance
        .get_typed_func::<(), i32>(&store, "run")
        .map_err(|e| e.to_string())?;
    let mut rounds = 0u64;
    let result = loop {
        let r = run.call(&mut store, ()).map_err(|e| format!("trap: {e}"))?;
        if !instrumented {
            break r;
        }
        let get_state = instance
            .get_typed_func::<(), i32>(&store, abi::GET_STATE)
            .map_err(|e| e.to_string())?;
        match get_state.call(&mut store, ()).map_err(|e| e.to_string())? {
            abi::STATE_NORMAL => break r,
            abi::STATE_UNWINDING => {}
            other => return Err(format!("`run` returned in state {other}")),
        }
        rounds += 1;
        if rounds > 10_000_000 {
            return Err("too many suspensions".into());
        }
        let stop = instance
            .get_typed_func::<(), ()>(&store, abi::STOP_UNWIND)
            .map_err(|e| e.to_string())?;
        stop.call(&mut store, ()).map_err(|e| e.to_string())?;
        let start = instance
            .get_typed_func::<i32, ()>(&store, abi::START_REWIND)
            .map_err(|e| e.to_string())?;
        let data = store.data().data_ptr as i32;
        start.call(&mut store, data).map_err(|e| e.to_string())?;
    };
    let host = store.into_data();
    let suspensions = host.suspensions;
    Ok((
        Trace {
            result,
            output: host.trace_output,
            logs: host.logs,
        },
        suspensions,
    ))
}

/// Runs `wasm` and compares it with the reference trace.
pub fn exec_check(wasm: &[u8], input: &[u8], reference: &Result<(Trace, u64), String>) -> String {
    let Ok((reference, _)) = reference else {
        return "no reference".into();
    };
    match execute(wasm, input, true) {
        Ok((trace, n)) if &trace == reference => format!("ok ({n} susp)"),
        Ok((trace, n)) => {
            if trace.result != reference.result {
                format!(
                    "DIFF: run() = {} not {} ({n} susp)",
                    trace.result, reference.result
                )
            } else {
                format!("DIFF: output differs ({n} susp)")
            }
        }
        Err(e) => format!("FAIL: {}", e.lines().next().unwrap_or("")),
    }
}
