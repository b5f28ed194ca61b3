//! [`Instance::restore`]: a new instance in a new store with a snapshot's
//! state written over it, and the suspended call to resume.
//!
//! Everything is checked before the call is handed out: the module's hash,
//! that the snapshot covers exactly the module's memories, mutable globals
//! and tables, that sizes fit the module's limits and values its types.

use super::layout::{Kind, Layout, export_name};
use super::{MemoryImage, Snapshot, SnapshotError, TableImage, Value, WaitImage, hex};
use crate::buffer::{BufferPool, SaveBuffer};
use crate::call::{CallState, Inner, SuspendedCall, Wait};
use crate::config::Config;
use crate::data::{Import, Shared};
use crate::error::{Result, types_to_string};
use crate::executor::Signal;
use crate::imports::Linker;
use crate::instance::Instance;
use crate::module::Module;
use std::sync::Arc;
use wasmi::V128;
use wasmi::{Func, Nullable, Ref, Val};

impl<T: 'static> Instance<T> {
    /// Makes a new instance of `module` in a new store holding `data`,
    /// writes `snapshot`'s state over it and returns it with the suspended
    /// call, ready for [`Instance::resume`] (or
    /// [`Instance::resume_with_fuel`] for a call that ran out of fuel).
    ///
    /// The instance gets the [`Config`] the snapshot was taken with. Its
    /// start function runs, as at every instantiation, before the state is
    /// overwritten.
    ///
    /// # Errors
    ///
    /// [`Error::Snapshot`](crate::Error::Snapshot) with
    /// [`SnapshotError::NotEnabled`], [`SnapshotError::WrongModule`] or
    /// [`SnapshotError::Mismatch`]; the errors of
    /// [`Linker::instantiate`].
    pub fn restore(
        linker: &Linker<T>,
        module: &Module,
        snapshot: &Snapshot,
        data: T,
    ) -> Result<(Self, SuspendedCall)> {
        let layout = module.layout().ok_or(SnapshotError::NotEnabled)?;
        if layout.hash != snapshot.module_hash {
            return Err(SnapshotError::WrongModule {
                snapshot: hex(&snapshot.module_hash),
                module: hex(&layout.hash),
            }
            .into());
        }
        check_coverage(layout, snapshot)?;
        let d = &snapshot.driver;
        let config = Config {
            buffer_size: d.buffer_size,
            placement: d.placement.clone(),
            resume_order: d.resume_order,
            memory: d.memory.clone(),
        };
        let mut instance = Instance::new(linker, module, data, config)?;
        for memory in &snapshot.memories {
            instance.write_memory(memory)?;
        }
        for (index, value) in &snapshot.globals {
            let global = instance.entity(Kind::Global, *index, |i, s, n| i.get_global(s, n))?;
            let val = instance.val(value)?;
            global
                .set(&mut instance.store, val)
                .map_err(|e| mismatch(format!("global {index}: {e}")))?;
        }
        for table in &snapshot.tables {
            instance.write_table(table)?;
        }

        let buffer_end = d.buffer.checked_add(d.buffer_size);
        let memory_len = instance.runtime.memory.data_size(&instance.store) as u64;
        if buffer_end.is_none_or(|end| end > memory_len) {
            return Err(mismatch(format!(
                "the save buffer at {:#x} of {} bytes lies outside the {memory_len}-byte memory",
                d.buffer, d.buffer_size
            )));
        }
        let call = &snapshot.call;
        {
            let mut shared = Shared::lock(&instance.shared);
            let free = d.free.iter().map(|&ptr| SaveBuffer { ptr }).collect();
            let placed = usize::try_from(d.placed).unwrap_or(usize::MAX);
            shared.pool = BufferPool::restored(free, placed);
            shared.active = vec![call.id];
        }
        instance.next_call = call.id.saturating_add(1);
        instance.fuel.total = d.fuel_total;
        instance.fuel.last = d.fuel_last;

        let func = instance
            .instance
            .get_func(&instance.store, &call.export)
            .ok_or_else(|| mismatch(format!("the module exports no function `{}`", call.export)))?;
        let ty = func.ty(&instance.store);
        let args = instance.vals(&call.args)?;
        if !args.iter().map(Val::ty).eq(ty.params().iter().copied()) {
            return Err(mismatch(format!(
                "`{}` takes {}, the snapshot has arguments {}",
                call.export,
                types_to_string(ty.params().iter().copied()),
                types_to_string(args.iter().map(Val::ty))
            )));
        }
        let wait = match &call.wait {
            WaitImage::Yield {
                import,
                params,
                results,
            } => Wait::Yield {
                import: Arc::new(Import {
                    name: import.as_str().into(),
                    results: results.as_slice().into(),
                }),
                params: instance.vals(params)?,
            },
            WaitImage::Ready { import, result } => Wait::Future {
                import: Arc::new(Import {
                    name: import.as_str().into(),
                    results: Box::new([]),
                }),
                future: None,
                output: Some(match result {
                    Ok(values) => Ok(instance.vals(values)?),
                    Err(message) => Err(message.clone()),
                }),
            },
        };
        let (signal, waker) = Signal::new();
        let state = CallState {
            id: call.id,
            instance: instance.id,
            export: call.export.as_str().into(),
            func,
            args,
            outputs: vec![Val::I32(0); ty.results().len()],
            buffer: Some(SaveBuffer { ptr: d.buffer }),
            signal,
            waker,
            shared: instance.shared.clone(),
        };
        let suspended = SuspendedCall {
            inner: Some(Inner {
                call: Box::new(state),
                wait,
                unwound: Vec::new(),
            }),
        };
        Ok((instance, suspended))
    }

    /// The added export of entity `index` of `kind`.
    fn entity<E>(
        &self,
        kind: Kind,
        index: u32,
        get: impl Fn(&wasmi::Instance, &wasmi::Store<crate::HostData<T>>, &str) -> Option<E>,
    ) -> Result<E> {
        let name = export_name(kind, index);
        get(&self.instance, &self.store, &name)
            .ok_or_else(|| mismatch(format!("the module has no export `{name}`")))
    }

    fn write_memory(&mut self, image: &MemoryImage) -> Result<()> {
        let index = image.index;
        let memory = self.entity(Kind::Memory, index, |i, s, n| i.get_memory(s, n))?;
        let current = memory.size(&self.store);
        let maximum = memory.ty(&self.store).maximum();
        if maximum.is_some_and(|max| image.pages > max) {
            return Err(mismatch(format!(
                "memory {index} has {} pages in the snapshot, more than the module's maximum of {}",
                image.pages,
                maximum.unwrap_or_default()
            )));
        }
        if image.pages < current {
            return Err(mismatch(format!(
                "memory {index} has {} pages in the snapshot, fewer than the {current} it starts with",
                image.pages
            )));
        }
        memory
            .grow(&mut self.store, image.pages - current)
            .map_err(|e| {
                mismatch(format!(
                    "memory {index} cannot grow to {} pages: {e}",
                    image.pages
                ))
            })?;
        let data = memory.data_mut(&mut self.store);
        if data.len() as u64 != image.len {
            return Err(mismatch(format!(
                "memory {index} has {} bytes in the snapshot, {} here",
                image.len,
                data.len()
            )));
        }
        data.fill(0);
        for (offset, bytes) in &image.runs {
            let start = usize::try_from(*offset).unwrap_or(usize::MAX);
            let dest = start
                .checked_add(bytes.len())
                .and_then(|end| data.get_mut(start..end))
                .ok_or_else(|| {
                    mismatch(format!("memory {index}: a run lies outside the memory"))
                })?;
            dest.copy_from_slice(bytes);
        }
        Ok(())
    }

    fn write_table(&mut self, image: &TableImage) -> Result<()> {
        let index = image.index;
        let table = self.entity(Kind::Table, index, |i, s, n| i.get_table(s, n))?;
        let ty = table.ty(&self.store);
        let len = image.elements.len() as u64;
        let current = table.size(&self.store);
        if len < current || ty.maximum().is_some_and(|max| len > max) {
            return Err(mismatch(format!(
                "table {index} has {len} elements in the snapshot; the module allows {}..={}",
                current,
                ty.maximum().map_or("any".to_string(), |m| m.to_string())
            )));
        }
        table
            .grow(&mut self.store, len - current, Ref::null(ty.element()))
            .map_err(|e| mismatch(format!("table {index} cannot grow to {len}: {e}")))?;
        for (slot, value) in image.elements.iter().enumerate() {
            let element = match self.val(value)? {
                Val::FuncRef(func) => Ref::Func(func),
                Val::ExternRef(r) => Ref::Extern(r),
                other => {
                    return Err(mismatch(format!(
                        "table {index}, element {slot}: a {:?} is not a reference",
                        other.ty()
                    )));
                }
            };
            table
                .set(&mut self.store, slot as u64, element)
                .map_err(|e| mismatch(format!("table {index}, element {slot}: {e}")))?;
        }
        Ok(())
    }

    fn vals(&self, values: &[Value]) -> Result<Vec<Val>> {
        values.iter().map(|v| self.val(v)).collect()
    }

    /// A saved value in this store: function indices become functions.
    fn val(&self, value: &Value) -> Result<Val> {
        Ok(match *value {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(bits) => Val::F32(f32::from_bits(bits).into()),
            Value::F64(bits) => Val::F64(f64::from_bits(bits).into()),
            Value::V128(bits) => Val::V128(V128::from(bits)),
            Value::FuncRef(None) => Val::FuncRef(Nullable::Null),
            Value::FuncRef(Some(index)) => {
                let func: Func = self.entity(Kind::Func, index, |i, s, n| i.get_func(s, n))?;
                Val::FuncRef(Nullable::Val(func))
            }
            Value::NullExternRef => Val::ExternRef(Nullable::Null),
        })
    }
}

/// The snapshot holds each memory, mutable global and table of the module
/// exactly once, and nothing else.
fn check_coverage(layout: &Layout, snapshot: &Snapshot) -> Result<(), SnapshotError> {
    let same = |what: &str, expected: Vec<u32>, mut found: Vec<u32>| {
        found.sort_unstable();
        if found == expected {
            Ok(())
        } else {
            Err(SnapshotError::Mismatch(format!(
                "the module has {what} {expected:?}, the snapshot {found:?}"
            )))
        }
    };
    same(
        "memories",
        (0..layout.memories).collect(),
        snapshot.memories.iter().map(|m| m.index).collect(),
    )?;
    same(
        "mutable globals",
        (0..layout.globals.len() as u32)
            .filter(|&i| layout.globals[i as usize])
            .collect(),
        snapshot.globals.iter().map(|g| g.0).collect(),
    )?;
    same(
        "tables",
        (0..layout.tables).collect(),
        snapshot.tables.iter().map(|t| t.index).collect(),
    )
}

fn mismatch(message: String) -> crate::Error {
    SnapshotError::Mismatch(message).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FuelOutcome;
    use wasmi::Engine;

    fn snapshot_of_a_grown_memory() -> (Vec<u8>, Snapshot) {
        let wat = r#"(module
          (memory (export "memory") 1 4)
          (func (export "spin") (drop (memory.grow (i32.const 1))) (loop $l (br $l))))"#;
        let wasm = wat::parse_str(wat).unwrap();
        let wasm = rewind_transform::meter(&wasm, &Default::default(), &Default::default())
            .unwrap()
            .wasm;
        let engine = Engine::default();
        let module = Module::with_snapshots(&engine, &wasm).unwrap();
        let mut instance = Linker::<()>::new(&engine).instantiate(&module, ()).unwrap();
        let FuelOutcome::OutOfFuel(call) = instance.call_with_fuel("spin", &[], 1000).unwrap()
        else {
            panic!("spin never finishes")
        };
        let snapshot = instance.snapshot(&call).unwrap();
        (wasm, snapshot)
    }

    #[test]
    fn a_memory_beyond_the_modules_maximum_is_refused() {
        let (wasm, mut snapshot) = snapshot_of_a_grown_memory();
        assert_eq!(snapshot.memories[0].pages, 3); // 1, +1 by the guest, +1 buffer
        snapshot.memories[0].pages = 5;
        snapshot.memories[0].len = 5 * 65536;
        let snapshot = Snapshot::from_bytes(&snapshot.to_bytes()).unwrap();
        let engine = Engine::default();
        let module = Module::with_snapshots(&engine, &wasm).unwrap();
        let error = Instance::restore(&Linker::new(&engine), &module, &snapshot, ())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("memory 0 has 5 pages") && error.contains("maximum of 4"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_global_is_refused() {
        let (wasm, mut snapshot) = snapshot_of_a_grown_memory();
        snapshot.globals.pop();
        let engine = Engine::default();
        let module = Module::with_snapshots(&engine, &wasm).unwrap();
        let error = Instance::restore(&Linker::new(&engine), &module, &snapshot, ())
            .unwrap_err()
            .to_string();
        assert!(error.contains("mutable globals"), "{error}");
    }

    #[test]
    fn function_identity_tells_functions_apart() {
        let wasm = wat::parse_str(r#"(module (func (export "a")) (func (export "b")))"#).unwrap();
        let engine = Engine::default();
        let module = wasmi::Module::new(&engine, wasm).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let instance = wasmi::Linker::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        let a = instance.get_func(&store, "a").unwrap();
        let b = instance.get_func(&store, "b").unwrap();
        let again = instance.get_func(&store, "a").unwrap();
        use super::super::capture::identity;
        assert_eq!(identity(&a), identity(&again));
        assert_ne!(identity(&a), identity(&b));
    }
}
