//! [`Instance::snapshot`]: reading a suspended call and everything its
//! instance holds into a [`Snapshot`].

use super::layout::{Kind, Layout, export_name};
use super::{
    CallImage, DriverImage, MemoryImage, Snapshot, SnapshotError, TableImage, Value, WaitImage,
};
use crate::call::{SuspendedCall, Wait};
use crate::config::Config;
use crate::data::Shared;
use crate::error::{Error, Result};
use crate::instance::Instance;
use std::collections::HashMap;
use std::sync::Arc;
use wasmi::{Func, Val};

/// Bytes compared at a time when looking for pages that are all zero.
const PAGE: usize = 64 * 1024;

/// What an instance needs to take snapshots: the module's layout and the
/// configuration it was made with.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub layout: Arc<Layout>,
    pub config: Config,
}

impl<T: 'static> Instance<T> {
    /// Saves `call` — suspended in a yield (out of fuel, or a
    /// [`Linker::func_yield`](crate::Linker::func_yield) import) or on a
    /// host future that has completed — and the whole instance.
    ///
    /// A call on a future must have been polled to completion first
    /// ([`SuspendedCall::is_ready`] returned `true`). The call stays
    /// suspended here and can still be resumed or dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Snapshot`] with [`SnapshotError::NotEnabled`] if the module
    /// was not loaded with [`Module::with_snapshots`](crate::Module::with_snapshots),
    /// [`SnapshotError::Unsupported`] for what cannot be saved (a pending
    /// future, other unfinished calls, a host `externref`, a function from
    /// outside the module); [`Error::ForeignCall`], [`Error::Poisoned`].
    pub fn snapshot(&self, call: &SuspendedCall) -> Result<Snapshot> {
        self.check_usable()?;
        if call.instance_id() != self.id {
            return Err(Error::ForeignCall { call: call.id() });
        }
        let origin = self.origin.as_ref().ok_or(SnapshotError::NotEnabled)?;
        let layout = &origin.layout;
        let (free, placed) = {
            let shared = Shared::lock(&self.shared);
            let others = shared.active.iter().filter(|&&id| id != call.id()).count();
            if others > 0 {
                return Err(unsupported(format!(
                    "{others} other call(s) of this instance are unfinished; a snapshot holds one call"
                )));
            }
            let free = shared.pool.free().iter().map(|b| b.ptr).collect();
            (free, shared.pool.placed() as u64)
        };
        let funcs = self.func_indices(layout)?;
        let value = |val: &Val, what: &dyn Fn() -> String| to_value(val, &funcs, what);

        let inner = call.inner();
        let wait = match &inner.wait {
            Wait::Yield { import, params } => WaitImage::Yield {
                import: import.to_string(),
                params: params
                    .iter()
                    .map(|v| value(v, &|| format!("an argument of `{import}`")))
                    .collect::<Result<_, _>>()?,
                results: import.results.to_vec(),
            },
            Wait::Future {
                import,
                output: Some(output),
                ..
            } => WaitImage::Ready {
                import: import.to_string(),
                result: match output {
                    Ok(values) => Ok(values
                        .iter()
                        .map(|v| value(v, &|| format!("a result of `{import}`")))
                        .collect::<Result<_, _>>()?),
                    Err(message) => Err(message.clone()),
                },
            },
            Wait::Future { import, .. } => {
                return Err(unsupported(format!(
                    "the call waits on the pending future of `{import}`: snapshot it once `SuspendedCall::is_ready` says so"
                )));
            }
        };
        let state = &inner.call;
        let call_image = CallImage {
            id: state.id,
            export: state.export.to_string(),
            args: state
                .args
                .iter()
                .map(|v| value(v, &|| format!("an argument of `{}`", state.export)))
                .collect::<Result<_, _>>()?,
            wait,
        };
        let config = &origin.config;
        let driver = DriverImage {
            buffer: state
                .buffer
                .map(|b| b.ptr)
                .ok_or_else(|| unsupported("the call holds no save buffer".to_string()))?,
            free,
            placed,
            buffer_size: self.placer.size,
            placement: config.placement.clone(),
            resume_order: config.resume_order,
            memory: config.memory.clone(),
            fuel_total: self.fuel.total,
            fuel_last: self.fuel.last,
        };

        let memories = (0..layout.memories)
            .map(|index| self.memory_image(index))
            .collect::<Result<_>>()?;
        let mut globals = Vec::new();
        for (index, _) in layout.globals.iter().enumerate().filter(|(_, m)| **m) {
            let index = index as u32;
            let global = self
                .instance
                .get_global(&self.store, &export_name(Kind::Global, index))
                .ok_or_else(|| missing(Kind::Global, index))?;
            let val = global.get(&self.store);
            globals.push((index, value(&val, &|| format!("global {index}"))?));
        }
        let mut tables = Vec::new();
        for index in 0..layout.tables {
            let table = self
                .instance
                .get_table(&self.store, &export_name(Kind::Table, index))
                .ok_or_else(|| missing(Kind::Table, index))?;
            let mut elements = Vec::new();
            for slot in 0..table.size(&self.store) {
                let element = table.get(&self.store, slot).map(Val::from);
                let element = element.ok_or_else(|| missing(Kind::Table, index))?;
                elements.push(value(&element, &|| {
                    format!("table {index}, element {slot}")
                })?);
            }
            tables.push(TableImage { index, elements });
        }
        Ok(Snapshot {
            module_hash: layout.hash,
            call: call_image,
            driver,
            memories,
            globals,
            tables,
            host: Vec::new(),
        })
    }

    /// Memory `index` with its runs of non-zero pages.
    fn memory_image(&self, index: u32) -> Result<MemoryImage> {
        let memory = self
            .instance
            .get_memory(&self.store, &export_name(Kind::Memory, index))
            .ok_or_else(|| missing(Kind::Memory, index))?;
        let data = memory.data(&self.store);
        let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
        for (n, page) in data.chunks(PAGE).enumerate() {
            if page.iter().all(|&b| b == 0) {
                continue;
            }
            let offset = (n * PAGE) as u64;
            match runs.last_mut() {
                Some((start, bytes)) if *start + bytes.len() as u64 == offset => {
                    bytes.extend_from_slice(page);
                }
                _ => runs.push((offset, page.to_vec())),
            }
        }
        Ok(MemoryImage {
            index,
            pages: memory.size(&self.store),
            len: data.len() as u64,
            runs,
        })
    }

    /// Every function a table can hold, by identity, with its index.
    fn func_indices(&self, layout: &Layout) -> Result<HashMap<String, u32>> {
        layout
            .funcs
            .iter()
            .map(|&index| {
                let func = self
                    .instance
                    .get_func(&self.store, &export_name(Kind::Func, index))
                    .ok_or_else(|| missing(Kind::Func, index))?;
                Ok((identity(&func), index))
            })
            .collect()
    }
}

/// A function handle's identity. wasmi keeps handle equality private; its
/// `Debug` output shows exactly the fields its equality compares (the
/// store and the function's slot in it), so equal strings mean the same
/// function. A unit test guards this.
pub(crate) fn identity(func: &Func) -> String {
    format!("{func:?}")
}

fn to_value(
    val: &Val,
    funcs: &HashMap<String, u32>,
    what: &dyn Fn() -> String,
) -> Result<Value, SnapshotError> {
    Ok(match val {
        Val::I32(v) => Value::I32(*v),
        Val::I64(v) => Value::I64(*v),
        Val::F32(v) => Value::F32(v.to_bits()),
        Val::F64(v) => Value::F64(v.to_bits()),
        Val::V128(v) => Value::V128(v.as_u128()),
        Val::FuncRef(func) => match func.val() {
            None => Value::FuncRef(None),
            Some(func) => Value::FuncRef(Some(*funcs.get(&identity(func)).ok_or_else(|| {
                SnapshotError::Unsupported(format!(
                    "{} holds a function that is not one of the module's own",
                    what()
                ))
            })?)),
        },
        Val::ExternRef(r) if r.is_null() => Value::NullExternRef,
        Val::ExternRef(_) => {
            return Err(SnapshotError::Unsupported(format!(
                "{} holds a host `externref`, which cannot be written",
                what()
            )));
        }
    })
}

fn unsupported(message: String) -> Error {
    SnapshotError::Unsupported(message).into()
}

fn missing(kind: Kind, index: u32) -> Error {
    SnapshotError::Mismatch(format!("export `{}` is missing", export_name(kind, index))).into()
}
