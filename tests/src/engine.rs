//! The engines the harness runs modules on, which one a module gets, and the
//! one interface through which the protocol code ([`crate::driver`],
//! [`crate::host`]) drives any of them.
//!
//! * **wasmi** runs everything it implements: the MVP, multi-value, SIMD,
//!   bulk memory, reference types (`funcref`/`externref`), tail calls,
//!   multi-memory, memory64, extended constants.
//! * **wasmtime** runs what wasmi lacks: exceptions (`try_table`, `throw`,
//!   `throw_ref`, `exnref`), GC, typed function references (`call_ref`).
//! * **node** runs legacy exception handling (`try`/`catch`/`rethrow`/
//!   `delegate`), which wasmtime does not implement; see [`node_engine`].
//!
//! The choice is made by validating the module with each engine's feature
//! set (wasmparser), in that order. An original module and its instrumented
//! version are compared, so they run on one engine: the first that runs both
//! ([`EngineKind::for_modules`]).
//!
//! wasmi and wasmtime bound each memory to [`MEMORY_LIMIT`] bytes and each
//! table to [`TABLE_LIMIT`] elements: a generated program that doubles a
//! 64-bit memory on every call would otherwise take all the machine's
//! memory before its hang guard stops it. A growth beyond the bound fails
//! (`memory.grow` gives -1), the same way in the original and the
//! instrumented run.
//!
//! Every engine reports traps by the names wasmi gives them
//! (`UnreachableCodeReached`, `MemoryOutOfBounds`, ...), and converts values
//! to [`Value`]: traces from every engine have one format.

pub mod node_engine;
pub mod wasmi_engine;
pub mod wasmtime_engine;

use anyhow::Result;
use wasmparser::{Validator, WasmFeatures};

/// The most bytes a memory may grow to under wasmi and wasmtime: 64 MiB.
pub const MEMORY_LIMIT: usize = 64 << 20;

/// The most elements a table may grow to under wasmi and wasmtime.
pub const TABLE_LIMIT: usize = 1 << 20;

use crate::host::HostState;
use crate::module_info::ModuleInfo;
use crate::value::Value;

/// An engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EngineKind {
    /// wasmi (an interpreter).
    Wasmi,
    /// wasmtime (Cranelift).
    Wasmtime,
    /// node (V8), through `tests/js/engine.mjs`.
    Node,
}

impl EngineKind {
    /// The proposals each engine is given by the harness, as wasmparser
    /// features; node's are whatever V8 validates.
    fn features(self) -> WasmFeatures {
        match self {
            EngineKind::Wasmi => {
                WasmFeatures::WASM2
                    | WasmFeatures::TAIL_CALL
                    | WasmFeatures::MULTI_MEMORY
                    | WasmFeatures::MEMORY64
                    | WasmFeatures::EXTENDED_CONST
            }
            EngineKind::Wasmtime => {
                WasmFeatures::WASM3.difference(WasmFeatures::THREADS | WasmFeatures::RELAXED_SIMD)
            }
            EngineKind::Node => WasmFeatures::all(),
        }
    }

    /// Whether this engine runs `wasm` (as far as its features go).
    pub fn runs(self, wasm: &[u8]) -> bool {
        Validator::new_with_features(self.features())
            .validate_all(wasm)
            .is_ok()
    }

    /// The engine for `wasm`: the first of wasmi, wasmtime, node that runs
    /// it.
    pub fn for_module(wasm: &[u8]) -> EngineKind {
        Self::for_modules(&[wasm])
    }

    /// The first engine that runs every module of `modules`.
    pub fn for_modules(modules: &[&[u8]]) -> EngineKind {
        [EngineKind::Wasmi, EngineKind::Wasmtime]
            .into_iter()
            .find(|e| modules.iter().all(|m| e.runs(m)))
            .unwrap_or(EngineKind::Node)
    }
}

/// A module instance as the protocol code sees it, at top level or from
/// inside an import call: calls, the save memory, exported globals, and the
/// host state of the run.
pub trait Machine {
    /// The host state of the run.
    fn host(&mut self) -> &mut HostState;

    /// Calls exported function `name`; `Err` describes a trap (or the error
    /// an import returned).
    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, String>;

    /// A copy of the save memory (empty when there is none).
    fn memory(&mut self) -> Vec<u8>;

    /// Writes `bytes` into the save memory at `at`.
    fn write_memory(&mut self, at: u64, bytes: &[u8]);

    /// The value of exported global `name`, if there is one.
    fn global(&mut self, name: &str) -> Option<Value>;

    /// Sets exported global `name`.
    fn set_global(&mut self, name: &str, value: Value) -> Result<(), String>;
}

/// A whole instance, driven from the top: a [`Machine`] plus what only the
/// driver does.
pub trait Instance: Machine {
    /// Grows the save memory by `pages`; returns its old size in pages.
    fn grow_memory(&mut self, pages: u64) -> Result<u64>;

    /// Sets the hang guard: fuel for the next export call (see
    /// [`crate::driver::FUEL`]). Engines without fuel ignore it.
    fn set_fuel(&mut self, fuel: u64) -> Result<()>;

    /// Fuel left of the hang guard (what was set, for engines without fuel).
    fn fuel(&mut self) -> u64;
}

/// Instantiates `wasm` (described by `info`) on `engine` with every import
/// provided by the harness (see [`crate::host`]), the save memory being the
/// exported memory `save_memory`. Runs the start function.
pub fn instantiate(
    engine: EngineKind,
    wasm: &[u8],
    info: &ModuleInfo,
    host: HostState,
    save_memory: Option<&str>,
) -> Result<Box<dyn Instance>> {
    match engine {
        EngineKind::Wasmi => wasmi_engine::instantiate(wasm, info, host, save_memory),
        EngineKind::Wasmtime => wasmtime_engine::instantiate(wasm, info, host, save_memory),
        EngineKind::Node => node_engine::instantiate(wasm, info, host, save_memory),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> EngineKind {
        EngineKind::for_module(&wat::parse_str(text).unwrap())
    }

    #[test]
    fn engines_by_feature() {
        assert_eq!(
            kind("(module (func (result i32) i32.const 1))"),
            EngineKind::Wasmi
        );
        assert_eq!(
            kind("(module (func $f (param externref)) (func (return_call $f (ref.null extern))))"),
            EngineKind::Wasmi
        );
        assert_eq!(
            kind("(module (type $s (struct (field i32))) (func (param (ref null $s))))"),
            EngineKind::Wasmtime
        );
        assert_eq!(
            kind("(module (tag $e) (func (try_table (catch_all 0) (throw $e))))"),
            EngineKind::Wasmtime
        );
        assert_eq!(
            kind("(module (tag $e) (func try throw $e catch_all end))"),
            EngineKind::Node
        );
    }
}
