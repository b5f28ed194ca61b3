//! Shared by the `rewind-guest` tests and benchmark: build the guest
//! examples for wasm32, instrument them, and run them under wasmi with a
//! tiny host:
//!
//! * `env.print(ptr, len)` records one line of the trace;
//! * `rewind.yield_to_host()` and `env.suspend()` suspend the guest with
//!   Binaryen's protocol: in the normal state they write `{stack_pos,
//!   stack_end}` into the host's save buffer and call
//!   `asyncify_start_unwind(buffer)`; called again while rewinding they call
//!   `asyncify_stop_rewind()`;
//! * `env.pause()` does nothing, or, with [`HostState::pause_interrupts`],
//!   interrupts the call with a resumable host error (the benchmark's
//!   `call_resumable` baseline).
//!
//! [`Guest::call`] drives an export: whenever it returns in the unwinding
//! state it calls `asyncify_stop_unwind()`, lets the host do its work
//! (grow memory by [`HostState::grow_pages_per_yield`] pages), calls
//! `asyncify_start_rewind(buffer)` and the export again with the same
//! arguments, until it really returns.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
use rewind_transform::{Options, Output, abi};
use wasmi::{Caller, Config, Engine, Extern, Instance, Linker, Memory, Module, Store, Val};

/// The example crates the guest tests use (package names).
pub const EXAMPLES: &[&str] = &[
    "rewind-example-generators",
    "rewind-example-ping-pong",
    "rewind-example-producer-consumer",
    "rewind-example-guest-checks",
];

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Builds the guest examples (once per process) in release mode for
/// wasm32 and returns the directory holding the `.wasm` files.
pub fn build_examples() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_packages(EXAMPLES))
}

/// Builds `packages` of the examples workspace in one cargo run (release,
/// wasm32) and returns the directory holding the `.wasm` files. One run
/// merges the packages' features of rewind-guest: build a package that
/// needs others (`cpu-budget`: `fuel`) in a run of its own.
pub fn build_packages(packages: &[&str]) -> PathBuf {
    let root = workspace_root();
    let target_dir = root.join("target").join("examples");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
        .arg("--manifest-path")
        .arg(root.join("examples").join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    for p in packages {
        cmd.args(["-p", p]);
    }
    let out = cmd.output().expect("cannot run cargo");
    assert!(
        out.status.success(),
        "building the guest examples {packages:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target_dir.join("wasm32-unknown-unknown").join("release")
}

/// The built (uninstrumented) module of example `name` (file stem, e.g.
/// `rewind_example_generators`).
pub fn example_wasm(name: &str) -> Vec<u8> {
    let path = build_examples().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `rewind_transform::asyncify` with `options`.
pub fn instrument(wasm: &[u8], options: &Options) -> Output {
    rewind_transform::asyncify(wasm, options).expect("the transform rejects an example")
}

/// The option sets an example is run under: the default (every import may
/// suspend: `env.print` call sites are instrumented too) and one naming the
/// imports that really suspend.
pub fn option_sets(suspending: &[&str]) -> Vec<(&'static str, Options)> {
    let named = if suspending.is_empty() {
        Options {
            ignore_imports: true,
            ..Options::default()
        }
    } else {
        Options {
            imports: Some(suspending.iter().map(|s| s.to_string()).collect()),
            ..Options::default()
        }
    };
    vec![("default", Options::default()), ("named imports", named)]
}

/// Bytes of the host's save buffer (placed in pages the host adds).
pub const HOST_BUFFER_PAGES: u64 = 2;

/// The host's state.
#[derive(Debug, Default)]
pub struct HostState {
    /// Lines printed so far.
    pub lines: Vec<String>,
    /// The guest's memory.
    pub memory: Option<Memory>,
    /// Address of the host's save buffer (`{stack_pos, stack_end}` first).
    pub buffer: u32,
    /// Pages to grow memory by while the guest is suspended at the host.
    pub grow_pages_per_yield: u64,
    /// Suspensions at the host so far.
    pub yields: u32,
    /// Make `env.pause` return a resumable host error (for wasmi's
    /// `call_resumable`) instead of returning at once.
    pub pause_interrupts: bool,
}

/// The host error `env.pause` returns when [`HostState::pause_interrupts`]
/// is set.
#[derive(Debug)]
pub struct Pause;

impl std::fmt::Display for Pause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("paused")
    }
}

impl wasmi::errors::HostError for Pause {}

/// A running instance of a guest module.
pub struct Guest {
    /// The store.
    pub store: Store<HostState>,
    /// The instance.
    pub instance: Instance,
}

/// The engine: the features `wasm32-unknown-unknown` output uses.
pub fn engine() -> Engine {
    let mut config = Config::default();
    config
        .wasm_multi_value(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_sign_extension(true)
        .wasm_saturating_float_to_int(true)
        .wasm_simd(true);
    Engine::new(&config)
}

fn export_func(caller: &Caller<'_, HostState>, name: &str) -> Result<wasmi::Func, wasmi::Error> {
    caller
        .get_export(name)
        .and_then(Extern::into_func)
        .ok_or_else(|| wasmi::Error::new(format!("no export `{name}`")))
}

/// The host side of a suspending import, Binaryen's protocol.
fn suspend_import(mut caller: Caller<'_, HostState>) -> Result<(), wasmi::Error> {
    let get_state = export_func(&caller, abi::GET_STATE)?.typed::<(), i32>(&caller)?;
    match get_state.call(&mut caller, ())? {
        abi::STATE_REWINDING => {
            let stop = export_func(&caller, abi::STOP_REWIND)?.typed::<(), ()>(&caller)?;
            stop.call(&mut caller, ())
        }
        abi::STATE_NORMAL => {
            let buffer = caller.data().buffer;
            let memory = caller.data().memory.expect("memory");
            let end = buffer + (HOST_BUFFER_PAGES * 65536) as u32;
            memory.write(&mut caller, buffer as usize, &(buffer + 8).to_le_bytes())?;
            memory.write(&mut caller, buffer as usize + 4, &end.to_le_bytes())?;
            let start = export_func(&caller, abi::START_UNWIND)?.typed::<i32, ()>(&caller)?;
            start.call(&mut caller, buffer as i32)
        }
        s => Err(wasmi::Error::new(format!(
            "suspending import called in state {s}"
        ))),
    }
}

impl Guest {
    /// Instantiates `wasm` with the host's imports.
    pub fn new(wasm: &[u8]) -> Result<Self> {
        let engine = engine();
        let module = Module::new(&engine, wasm).context("wasmi rejects the module")?;
        let mut store = Store::new(&engine, HostState::default());
        let mut linker = Linker::<HostState>::new(&engine);
        linker.func_wrap(
            "env",
            "print",
            |caller: Caller<'_, HostState>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
                let memory = caller.data().memory.expect("memory");
                let bytes = memory.data(&caller);
                let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
                let line = bytes
                    .get(ptr..ptr + len)
                    .ok_or_else(|| wasmi::Error::new("env.print out of bounds"))?;
                let line = String::from_utf8_lossy(line).into_owned();
                let mut caller = caller;
                caller.data_mut().lines.push(line);
                Ok(())
            },
        )?;
        linker.func_wrap("rewind", "yield_to_host", suspend_import)?;
        linker.func_wrap("env", "suspend", suspend_import)?;
        linker.func_wrap(
            "env",
            "pause",
            |caller: Caller<'_, HostState>| -> Result<(), wasmi::Error> {
                if caller.data().pause_interrupts {
                    Err(wasmi::Error::host(Pause))
                } else {
                    Ok(())
                }
            },
        )?;
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .context("instantiation failed")?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or_else(|| anyhow!("no exported memory"))?;
        // The host's save buffer: pages added at the end of memory.
        let pages = memory.grow(&mut store, HOST_BUFFER_PAGES)?;
        let st = store.data_mut();
        st.memory = Some(memory);
        st.buffer = (pages * 65536) as u32;
        Ok(Guest { store, instance })
    }

    fn abi(&mut self, name: &str, args: &[Val], results: &mut [Val]) -> Result<()> {
        let f = self
            .instance
            .get_func(&self.store, name)
            .ok_or_else(|| anyhow!("no export `{name}`"))?;
        f.call(&mut self.store, args, results)
            .with_context(|| format!("{name} failed"))
    }

    /// `asyncify_get_state()`.
    pub fn state(&mut self) -> i32 {
        let mut out = [Val::I32(0)];
        self.abi(abi::GET_STATE, &[], &mut out)
            .expect("asyncify_get_state");
        out[0].i32().expect("i32")
    }

    /// Calls export `name` and drives every suspension at the host until it
    /// returns. A trap is an error (its message, with the lines printed
    /// meanwhile still available from [`Guest::lines`]).
    pub fn call(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>> {
        let f = self
            .instance
            .get_func(&self.store, name)
            .ok_or_else(|| anyhow!("no export `{name}`"))?;
        let ty = f.ty(&self.store);
        let mut out: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        loop {
            f.call(&mut self.store, args, &mut out)
                .map_err(|e| anyhow!("`{name}` trapped: {e}"))?;
            match self.state() {
                abi::STATE_NORMAL => return Ok(out),
                abi::STATE_UNWINDING => {
                    self.abi(abi::STOP_UNWIND, &[], &mut [])?;
                    self.store.data_mut().yields += 1;
                    let grow = self.store.data().grow_pages_per_yield;
                    if grow > 0 {
                        let memory = self.store.data().memory.expect("memory");
                        memory.grow(&mut self.store, grow)?;
                    }
                    let buffer = self.store.data().buffer as i32;
                    self.abi(abi::START_REWIND, &[Val::I32(buffer)], &mut [])?;
                }
                s => bail!("`{name}` returned in state {s}"),
            }
        }
    }

    /// Calls an export `(i32) -> i32`.
    pub fn call_i32(&mut self, name: &str, arg: i32) -> Result<i32> {
        let out = self.call(name, &[Val::I32(arg)])?;
        out.first()
            .and_then(Val::i32)
            .ok_or_else(|| anyhow!("`{name}` returned no i32"))
    }

    /// The lines printed so far.
    pub fn lines(&self) -> &[String] {
        &self.store.data().lines
    }

    /// Takes the lines printed so far.
    pub fn take_lines(&mut self) -> Vec<String> {
        std::mem::take(&mut self.store.data_mut().lines)
    }

    /// Pages of memory.
    pub fn pages(&self) -> u64 {
        self.store.data().memory.expect("memory").size(&self.store)
    }
}

/// Turns `&[&str]` into owned lines.
pub fn lines(expected: &[&str]) -> Vec<String> {
    expected.iter().map(|s| s.to_string()).collect()
}
