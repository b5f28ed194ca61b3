//! The wasmi engine: every import is a host function that hands its call to
//! [`crate::host::on_import`]; a [`Machine`] over a wasmi store or caller.

use anyhow::{Context, Result};
use wasmi::{
    AsContext, AsContextMut, Config, Engine, ExternRef, ExternType, Global, Linker, Memory, Module,
    Nullable, Ref, Store, Table, Val, ValType,
};

use crate::engine::{Instance, MEMORY_LIMIT, Machine, TABLE_LIMIT};
use crate::host::{HostState, ImportInfo, on_import};
use crate::module_info::ModuleInfo;
use crate::value::{Reference, Value};

/// The wasmi engine all runs use: every proposal the harness gives wasmi
/// (see [`crate::engine::EngineKind`]), and fuel for the hang guard.
fn engine() -> Engine {
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

/// The store data: the host state and the handles the adapter needs.
#[derive(Debug)]
struct Data {
    host: HostState,
    instance: Option<wasmi::Instance>,
    memory: Option<Memory>,
    limits: wasmi::StoreLimits,
}

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

impl Reach for &mut wasmi::Caller<'_, Data> {
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
            .get_func(self.0.as_context(), name)
            .ok_or_else(|| format!("the module does not export `{name}`"))?;
        let ty = func.ty(self.0.as_context());
        let args = args
            .iter()
            .zip(ty.params())
            .map(|(v, t)| to_val(&mut self.0, *v, *t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        func.call(self.0.as_context_mut(), &args, &mut out)
            .map_err(|e| describe(&e))?;
        Ok(out
            .iter()
            .map(|v| from_val(self.0.as_context(), v))
            .collect())
    }

    fn memory(&mut self) -> Vec<u8> {
        let cx = self.0.as_context();
        cx.data()
            .memory
            .map_or_else(Vec::new, |m| m.data(cx).to_vec())
    }

    fn write_memory(&mut self, at: u64, bytes: &[u8]) {
        let mut cx = self.0.as_context_mut();
        let memory = cx.data().memory.expect("a save memory");
        let at = at as usize;
        memory.data_mut(&mut cx)[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn global(&mut self, name: &str) -> Option<Value> {
        let cx = self.0.as_context();
        let global = cx.data().instance?.get_global(cx, name)?;
        Some(from_val(cx, &global.get(cx)))
    }

    fn set_global(&mut self, name: &str, value: Value) -> Result<(), String> {
        let instance = self.0.as_context().data().instance.ok_or("no instance")?;
        let global = instance
            .get_global(self.0.as_context(), name)
            .ok_or_else(|| format!("no exported global `{name}`"))?;
        let ty = global.ty(self.0.as_context()).content();
        let val = to_val(&mut self.0, value, ty)?;
        global
            .set(self.0.as_context_mut(), val)
            .map_err(|e| e.to_string())
    }
}

/// Instantiates `wasm` on wasmi and runs its start function (see
/// [`crate::engine::instantiate`]).
pub fn instantiate(
    wasm: &[u8],
    info: &ModuleInfo,
    host: HostState,
    save_memory: Option<&str>,
) -> Result<Box<dyn Instance>> {
    let engine = engine();
    let module = Module::new(&engine, wasm).context("wasmi rejects the module")?;
    let data = Data {
        host,
        instance: None,
        memory: None,
        limits: wasmi::StoreLimitsBuilder::new()
            .memory_size(MEMORY_LIMIT)
            .table_elements(TABLE_LIMIT)
            .build(),
    };
    let mut store = Store::new(&engine, data);
    store.limiter(|data| &mut data.limits);
    store
        .set_fuel(crate::driver::FUEL)
        .context("setting fuel")?;
    let linker = linker_for(&mut store, &module, info)?;
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .context("instantiation failed")?;
    let memory = save_memory.and_then(|name| instance.get_memory(&store, name));
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
        self.0.set_fuel(fuel).context("setting fuel")
    }

    fn fuel(&mut self) -> u64 {
        self.0.get_fuel().unwrap_or(0)
    }
}

/// A trap by its code, or the error an import returned.
fn describe(e: &wasmi::Error) -> String {
    match e.as_trap_code() {
        Some(code) => format!("{code:?}"),
        None => e.to_string(),
    }
}

/// Converts a value for a parameter, result or global of type `ty`.
fn to_val(mut cx: impl AsContextMut, value: Value, ty: ValType) -> Result<Val, String> {
    Ok(match (value, ty) {
        (Value::I32(x), _) => Val::I32(x),
        (Value::I64(x), _) => Val::I64(x),
        (Value::F32(x), _) => Val::F32(wasmi::F32::from_bits(x)),
        (Value::F64(x), _) => Val::F64(wasmi::F64::from_bits(x)),
        (Value::V128(x), _) => Val::V128(wasmi::V128::from(x)),
        (Value::Ref(Reference::Null), ValType::FuncRef) => Val::FuncRef(Nullable::Null),
        (Value::Ref(Reference::Null), ValType::ExternRef) => Val::ExternRef(Nullable::Null),
        (Value::Ref(Reference::Host(n)), ValType::ExternRef) => {
            Val::ExternRef(Nullable::Val(ExternRef::new(cx.as_context_mut(), n)))
        }
        (value, ty) => return Err(format!("the harness cannot pass {value:?} as {ty:?}")),
    })
}

/// Converts a value the module produced.
fn from_val<T>(cx: impl AsContext<Data = T>, val: &Val) -> Value {
    match val {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(x) => Value::F32(x.to_bits()),
        Val::F64(x) => Value::F64(x.to_bits()),
        Val::V128(x) => Value::V128(x.as_u128()),
        Val::FuncRef(Nullable::Null) | Val::ExternRef(Nullable::Null) => Value::NULL,
        Val::FuncRef(Nullable::Val(_)) => Value::Ref(Reference::Opaque),
        Val::ExternRef(Nullable::Val(r)) => match r.data(cx.as_context()).downcast_ref::<u32>() {
            Some(n) => Value::host(*n),
            None => Value::Ref(Reference::Opaque),
        },
    }
}

/// Builds a linker that satisfies every import of `module` (see
/// [`crate::host`]), creating global, memory and table definitions in
/// `store`.
fn linker_for(store: &mut Store<Data>, module: &Module, info: &ModuleInfo) -> Result<Linker<Data>> {
    let mut linker = Linker::new(store.engine());
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
                let results: Vec<ValType> = ty.results().to_vec();
                linker.func_new(m, n, ty.clone(), move |mut caller, args, out| {
                    let args: Vec<Value> = args.iter().map(|v| from_val(&caller, v)).collect();
                    let values = on_import(&mut Cx(&mut caller), &host_info, &args)
                        .map_err(wasmi::Error::new)?;
                    for ((slot, value), ty) in out.iter_mut().zip(values).zip(&results) {
                        *slot = to_val(&mut caller, value, *ty).map_err(wasmi::Error::new)?;
                    }
                    Ok(())
                })?;
            }
            ExternType::Global(ty) => {
                let g = Global::new(
                    &mut *store,
                    Val::default_for_ty(ty.content()),
                    ty.mutability(),
                );
                linker.define(m, n, g)?;
            }
            ExternType::Memory(ty) => {
                let mem = Memory::new(&mut *store, *ty)?;
                linker.define(m, n, mem)?;
            }
            ExternType::Table(ty) => {
                let t = Table::new(&mut *store, *ty, Ref::null(ty.element()))?;
                linker.define(m, n, t)?;
            }
        }
    }
    Ok(linker)
}
