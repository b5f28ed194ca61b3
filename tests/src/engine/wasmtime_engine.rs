//! The wasmtime engine, for modules wasmi cannot run: exceptions, GC, typed
//! function references. Every import is a host function that hands its
//! call to [`crate::host::on_import`]; a [`Machine`] over a wasmtime store
//! or caller.

use std::sync::OnceLock;

use anyhow::{Context, Result};
use wasmtime::{
    AsContextMut, Collector, Config, Engine, ExternRef, ExternType, Global, Linker, Memory, Module,
    Ref, Store, Table, Tag, ThrownException, Trap, Val, ValType,
};

use crate::engine::{Instance, MEMORY_LIMIT, Machine, TABLE_LIMIT};
use crate::host::{HostState, ImportInfo, on_import};
use crate::module_info::ModuleInfo;
use crate::value::{Reference, Value};

/// The wasmtime engine all runs share (creating one is not free): the
/// proposals the harness gives wasmtime (see [`crate::engine::EngineKind`]),
/// and fuel for the hang guard.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config
            .wasm_exceptions(true)
            .wasm_gc(true)
            .wasm_function_references(true)
            .wasm_tail_call(true)
            .wasm_reference_types(true)
            .wasm_multi_memory(true)
            .wasm_memory64(true)
            .wasm_simd(true)
            .collector(Collector::DeferredReferenceCounting)
            .consume_fuel(true);
        Engine::new(&config).expect("the harness's wasmtime configuration is valid")
    })
}

/// The store data: the host state and the handles the adapter needs.
struct Data {
    host: HostState,
    instance: Option<wasmtime::Instance>,
    memory: Option<Memory>,
    limits: wasmtime::StoreLimits,
}

/// The error an import returns to wasmtime: a trap description or protocol
/// violation, recognised again when the export call fails.
#[derive(Debug)]
struct ImportFailed(String);

impl std::fmt::Display for ImportFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImportFailed {}

/// A [`Machine`] over what reaches the store: the store itself at top
/// level, a caller inside an import.
struct Cx<C>(C);

/// The store or a caller, whose data outlives a context made from it.
trait Reach: AsContextMut<Data = Data> {
    fn store_data(&mut self) -> &mut Data;
}

impl Reach for Store<Data> {
    fn store_data(&mut self) -> &mut Data {
        self.data_mut()
    }
}

impl Reach for &mut wasmtime::Caller<'_, Data> {
    fn store_data(&mut self) -> &mut Data {
        self.data_mut()
    }
}

impl<C: Reach> Machine for Cx<C> {
    fn host(&mut self) -> &mut HostState {
        &mut self.0.store_data().host
    }

    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, String> {
        let instance = self
            .0
            .as_context()
            .data()
            .instance
            .ok_or_else(|| format!("`{name}` called before instantiation finished"))?;
        let func = instance
            .get_func(self.0.as_context_mut(), name)
            .ok_or_else(|| format!("the module does not export `{name}`"))?;
        let ty = func.ty(self.0.as_context());
        let args = args
            .iter()
            .zip(ty.params())
            .map(|(v, t)| to_val(&mut self.0, *v, &t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out: Vec<Val> = ty.results().map(|_| Val::I32(0)).collect();
        if let Err(e) = func.call(self.0.as_context_mut(), &args, &mut out) {
            if e.is::<ThrownException>() {
                // Leave the store as a trap would: nothing pending.
                self.0.as_context_mut().take_pending_exception();
            }
            return Err(describe(&e));
        }
        Ok(out.iter().map(|v| from_val(&mut self.0, v)).collect())
    }

    fn memory(&mut self) -> Vec<u8> {
        let cx = self.0.as_context();
        cx.data()
            .memory
            .map_or_else(Vec::new, |m| m.data(&cx).to_vec())
    }

    fn write_memory(&mut self, at: u64, bytes: &[u8]) {
        let mut cx = self.0.as_context_mut();
        let memory = cx.data().memory.expect("a save memory");
        let at = at as usize;
        memory.data_mut(&mut cx)[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn global(&mut self, name: &str) -> Option<Value> {
        let instance = self.0.as_context().data().instance?;
        let global = instance.get_global(self.0.as_context_mut(), name)?;
        let val = global.get(self.0.as_context_mut());
        Some(from_val(&mut self.0, &val))
    }

    fn set_global(&mut self, name: &str, value: Value) -> Result<(), String> {
        let instance = self.0.as_context().data().instance.ok_or("no instance")?;
        let global = instance
            .get_global(self.0.as_context_mut(), name)
            .ok_or_else(|| format!("no exported global `{name}`"))?;
        let ty = global.ty(self.0.as_context()).content().clone();
        let val = to_val(&mut self.0, value, &ty)?;
        global
            .set(self.0.as_context_mut(), val)
            .map_err(|e| e.to_string())
    }
}

/// Instantiates `wasm` on wasmtime and runs its start function (see
/// [`crate::engine::instantiate`]).
pub fn instantiate(
    wasm: &[u8],
    info: &ModuleInfo,
    host: HostState,
    save_memory: Option<&str>,
) -> Result<Box<dyn Instance>> {
    let engine = engine();
    let module = Module::new(engine, wasm)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .context("wasmtime rejects the module")?;
    let data = Data {
        host,
        instance: None,
        memory: None,
        limits: wasmtime::StoreLimitsBuilder::new()
            .memory_size(MEMORY_LIMIT)
            .table_elements(TABLE_LIMIT)
            .build(),
    };
    let mut store = Store::new(engine, data);
    store.limiter(|data| &mut data.limits);
    store
        .set_fuel(crate::driver::FUEL)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let linker = linker_for(&mut store, &module, info)?;
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))
        .context("instantiation failed")?;
    let memory = save_memory.and_then(|name| instance.get_memory(&mut store, name));
    let data = store.data_mut();
    data.instance = Some(instance);
    data.memory = memory;
    Ok(Box::new(Cx(store)))
}

impl Instance for Cx<Store<Data>> {
    fn grow_memory(&mut self, pages: u64) -> Result<u64> {
        let memory = self.0.data().memory.context("no save memory")?;
        memory
            .grow(&mut self.0, pages)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.0
            .set_fuel(fuel)
            .map_err(|e| anyhow::anyhow!("setting fuel: {e}"))
    }

    fn fuel(&mut self) -> u64 {
        self.0.get_fuel().unwrap_or(0)
    }
}

/// A trap by wasmi's name for it, an exception that escaped the call as
/// `UncaughtException` (as node says), the error an import returned, or
/// any other error's root cause.
fn describe(e: &wasmtime::Error) -> String {
    if let Some(failed) = e.downcast_ref::<ImportFailed>() {
        return failed.0.clone();
    }
    if e.is::<ThrownException>() {
        return "UncaughtException".into();
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => "StackOverflow".into(),
        Some(Trap::MemoryOutOfBounds) => "MemoryOutOfBounds".into(),
        Some(Trap::TableOutOfBounds) => "TableOutOfBounds".into(),
        Some(Trap::IndirectCallToNull) => "IndirectCallToNull".into(),
        Some(Trap::BadSignature) => "BadSignature".into(),
        Some(Trap::IntegerOverflow) => "IntegerOverflow".into(),
        Some(Trap::IntegerDivisionByZero) => "IntegerDivisionByZero".into(),
        Some(Trap::BadConversionToInteger) => "BadConversionToInteger".into(),
        Some(Trap::UnreachableCodeReached) => "UnreachableCodeReached".into(),
        Some(Trap::OutOfFuel) => "OutOfFuel".into(),
        Some(other) => format!("{other:?}"),
        // The cause without the wasm backtrace wasmtime puts around it: its
        // code offsets differ between a module and its instrumented version
        // (seed 32016605, `GC heap out of memory`).
        None => e.root_cause().to_string(),
    }
}

/// Converts a value for a parameter, result or global of type `ty`.
fn to_val(mut cx: impl AsContextMut, value: Value, ty: &ValType) -> Result<Val, String> {
    Ok(match (value, ty) {
        (Value::I32(x), _) => Val::I32(x),
        (Value::I64(x), _) => Val::I64(x),
        (Value::F32(x), _) => Val::F32(x),
        (Value::F64(x), _) => Val::F64(x),
        (Value::V128(x), _) => Val::V128(x.into()),
        (Value::Ref(Reference::Null), ValType::Ref(r)) if r.is_nullable() => {
            Val::null_ref(r.heap_type())
        }
        (Value::Ref(Reference::Host(n)), ValType::Ref(_)) => {
            let r = ExternRef::new(cx.as_context_mut(), n).map_err(|e| e.to_string())?;
            Val::ExternRef(Some(r))
        }
        (value, ty) => return Err(format!("the harness cannot pass {value:?} as {ty}")),
    })
}

/// Converts a value the module produced.
fn from_val(mut cx: impl AsContextMut, val: &Val) -> Value {
    let opaque = Value::Ref(Reference::Opaque);
    match val {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(x) => Value::F32(*x),
        Val::F64(x) => Value::F64(*x),
        Val::V128(x) => Value::V128(x.as_u128()),
        Val::ExternRef(Some(r)) => match r.data(cx.as_context_mut()) {
            Ok(Some(data)) => data
                .downcast_ref::<u32>()
                .map_or(opaque, |n| Value::host(*n)),
            _ => opaque,
        },
        Val::AnyRef(Some(r)) => match r.as_i31(cx.as_context()) {
            Ok(Some(i31)) => Value::Ref(Reference::I31(i31.get_i32())),
            _ => opaque,
        },
        v if v.ref_().is_some_and(|r| r.is_null()) => Value::NULL,
        _ => opaque,
    }
}

/// Builds a linker that satisfies every import of `module` (see
/// [`crate::host`]), creating global, memory, table and tag definitions in
/// `store`.
fn linker_for(store: &mut Store<Data>, module: &Module, info: &ModuleInfo) -> Result<Linker<Data>> {
    let mut linker = Linker::new(store.engine());
    let fail = |e: wasmtime::Error| anyhow::anyhow!("{e}");
    let mut described = info.func_imports();
    for import in module.imports() {
        let (m, n) = (import.module(), import.name());
        match import.ty() {
            ExternType::Func(ty) => {
                let described = described
                    .next()
                    .context("more function imports than read")?;
                let host_info = ImportInfo::of(described, &store.data().host)?
                    .context("a function import described as something else")?;
                let results: Vec<ValType> = ty.results().collect();
                linker
                    .func_new(m, n, ty.clone(), move |mut caller, args, out| {
                        let args: Vec<Value> =
                            args.iter().map(|v| from_val(&mut caller, v)).collect();
                        let values = on_import(&mut Cx(&mut caller), &host_info, &args)
                            .map_err(|e| wasmtime::Error::new(ImportFailed(e)))?;
                        for ((slot, value), ty) in out.iter_mut().zip(values).zip(&results) {
                            *slot = to_val(&mut caller, value, ty)
                                .map_err(|e| wasmtime::Error::new(ImportFailed(e)))?;
                        }
                        Ok(())
                    })
                    .map_err(fail)?;
            }
            ExternType::Global(ty) => {
                let init = Val::default_for_ty(ty.content())
                    .context("an imported global of a non-nullable reference type")?;
                let g = Global::new(&mut *store, ty, init).map_err(fail)?;
                linker.define(&mut *store, m, n, g).map_err(fail)?;
            }
            ExternType::Memory(ty) => {
                let mem = Memory::new(&mut *store, ty).map_err(fail)?;
                linker.define(&mut *store, m, n, mem).map_err(fail)?;
            }
            ExternType::Table(ty) => {
                let init = Ref::null(ty.element().heap_type());
                let t = Table::new(&mut *store, ty, init).map_err(fail)?;
                linker.define(&mut *store, m, n, t).map_err(fail)?;
            }
            ExternType::Tag(ty) => {
                let tag = Tag::new(&mut *store, &ty).map_err(fail)?;
                linker.define(&mut *store, m, n, tag).map_err(fail)?;
            }
        }
    }
    Ok(linker)
}
