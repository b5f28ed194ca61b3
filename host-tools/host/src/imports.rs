//! Host imports: ordinary ones, and the ones that may suspend the guest —
//! async functions returning a future, and yields to the host.
//!
//! A suspending import follows Binaryen's protocol. Called in the normal
//! state, it starts the host future and polls it once; if the future is
//! ready its value is returned at once. Otherwise the import arms the
//! call's save buffer (`{ stack_pos, stack_end }`), calls
//! `asyncify_start_unwind(buffer)` and returns zeros; the guest unwinds to
//! the driver, which stops the unwind and reports the call suspended. When
//! the future resolves, the driver calls `asyncify_start_rewind(buffer)` and
//! the export again; the guest rewinds to the same import, which, seeing
//! the rewinding state, calls `asyncify_stop_rewind()` and returns the
//! future's value (or traps with its error).

use crate::abi;
use crate::config::Config;
use crate::data::{Frame, HostData, HostFuture, Import, Suspension};
use crate::error::{
    BoxError, DriverTrap, Error, ImportFailed, Result, error_chain, types_to_string,
};
use crate::instance::Instance;
use crate::module::Module;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use wasmi::{Caller, Engine, FuncType, IntoFunc, Val};

/// Defines the host imports of instrumented modules: a wrapper around
/// `wasmi::Linker<HostData<T>>` that also knows which imports may suspend.
pub struct Linker<T> {
    inner: wasmi::Linker<HostData<T>>,
    /// `(module, name)` of every import defined as suspending.
    suspending: Vec<(String, String)>,
}

impl<T> std::fmt::Debug for Linker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("suspending", &self.suspending)
            .finish_non_exhaustive()
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker for `engine`.
    pub fn new(engine: &Engine) -> Self {
        Self {
            inner: wasmi::Linker::new(engine),
            suspending: Vec::new(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        self.inner.engine()
    }

    /// Defines an ordinary (never suspending) import from a Rust closure;
    /// see `wasmi::Linker::func_wrap`.
    ///
    /// # Errors
    ///
    /// [`Error::Define`] if the name is already defined.
    pub fn func_wrap<Params, Args>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<HostData<T>, Params, Args>,
    ) -> Result<&mut Self> {
        self.inner
            .func_wrap(module, name, func)
            .map_err(|source| define_error(module, name, source))?;
        Ok(self)
    }

    /// Defines an ordinary (never suspending) import with a dynamic
    /// signature; see `wasmi::Linker::func_new`.
    ///
    /// # Errors
    ///
    /// [`Error::Define`] if the name is already defined.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, HostData<T>>, &[Val], &mut [Val]) -> Result<(), wasmi::Error>
        + Send
        + Sync
        + 'static,
    ) -> Result<&mut Self> {
        self.inner
            .func_new(module, name, ty, func)
            .map_err(|source| define_error(module, name, source))?;
        Ok(self)
    }

    /// Defines an async import: `func` is called with the guest's
    /// arguments and returns a future of the import's results (or of an
    /// error, which becomes a trap at the call site and
    /// [`Error::HostFuture`] for the caller).
    ///
    /// `func` runs synchronously inside the guest call and may use the
    /// `Caller` (memory, exports, your data); the future must own what it
    /// needs, and be `Send` so that instances, suspended calls and
    /// [`CallFuture`](crate::CallFuture)s can move between threads (as
    /// multi-threaded executors require). A future that is ready on its first poll does not suspend the
    /// guest. Values of every type can be returned; their types are checked
    /// against `ty`'s results.
    ///
    /// # Errors
    ///
    /// [`Error::Define`] if the name is already defined.
    pub fn func_async<F, Fut>(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: F,
    ) -> Result<&mut Self>
    where
        F: Fn(&mut Caller<'_, HostData<T>>, &[Val]) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Val>, BoxError>> + Send + 'static,
    {
        self.define_suspending(module, name, ty, move |caller, params| {
            Some(Box::pin(func(caller, params)) as HostFuture)
        })
    }

    /// Defines an import that yields to the host: every call suspends the
    /// guest, and the host resumes it explicitly (for example on the next
    /// frame) with [`Instance::resume`] or [`Instance::resume_with`]. The
    /// arguments the guest passed are
    /// [`SuspendedCall::yielded_values`](crate::SuspendedCall::yielded_values);
    /// the import returns the values given to `resume_with` (zeros with
    /// `resume`).
    ///
    /// # Errors
    ///
    /// [`Error::Define`] if the name is already defined.
    pub fn func_yield(&mut self, module: &str, name: &str, ty: FuncType) -> Result<&mut Self> {
        self.define_suspending(module, name, ty, |_, _| None)
    }

    /// Defines a suspending import; `start` makes the host future of one
    /// call, or returns `None` for a yield.
    fn define_suspending(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        start: impl Fn(&mut Caller<'_, HostData<T>>, &[Val]) -> Option<HostFuture>
        + Send
        + Sync
        + 'static,
    ) -> Result<&mut Self> {
        let import = Arc::new(Import {
            name: format!("{module}.{name}").into(),
            results: ty.results().into(),
        });
        self.inner
            .func_new(module, name, ty, move |mut caller, params, results| {
                suspending_import(&mut caller, &import, params, results, &start)
            })
            .map_err(|source| define_error(module, name, source))?;
        self.suspending.push((module.to_owned(), name.to_owned()));
        Ok(self)
    }

    /// `(module, name)` of every import defined as suspending.
    pub fn suspending_imports(&self) -> impl Iterator<Item = (&str, &str)> {
        self.suspending
            .iter()
            .map(|(module, name)| (module.as_str(), name.as_str()))
    }

    /// Whether `module.name` was defined as a suspending import.
    pub fn is_suspending(&self, module: &str, name: &str) -> bool {
        self.suspending_imports()
            .any(|import| import == (module, name))
    }

    /// The wrapped wasmi linker (to define memories, globals, tables).
    pub fn wasmi(&self) -> &wasmi::Linker<HostData<T>> {
        &self.inner
    }

    /// The wrapped wasmi linker, mutably.
    pub fn wasmi_mut(&mut self) -> &mut wasmi::Linker<HostData<T>> {
        &mut self.inner
    }

    /// Instantiates `module` with default [`Config`], owning a new store
    /// that holds `data`.
    ///
    /// # Errors
    ///
    /// See [`Linker::instantiate_with_config`].
    pub fn instantiate(&self, module: &Module, data: T) -> Result<Instance<T>> {
        self.instantiate_with_config(module, data, Config::default())
    }

    /// Instantiates `module` with `config`.
    ///
    /// # Errors
    ///
    /// [`Error::Instantiate`] if an import is missing or the start function
    /// traps, [`Error::NoMemory`] if no memory is exported for the save
    /// buffers, [`Error::Config`] if `config` does not fit the module.
    pub fn instantiate_with_config(
        &self,
        module: &Module,
        data: T,
        config: Config,
    ) -> Result<Instance<T>> {
        Instance::new(self, module, data, config)
    }

    /// A copy of this linker (wasmi linkers share their definitions).
    pub(crate) fn duplicate(&self) -> Self {
        Linker {
            inner: self.inner.clone(),
            suspending: self.suspending.clone(),
        }
    }

    /// The wrapped wasmi linker, by value.
    pub(crate) fn into_wasmi(self) -> wasmi::Linker<HostData<T>> {
        self.inner
    }
}

fn define_error(module: &str, name: &str, source: wasmi::errors::LinkerError) -> Error {
    Error::Define {
        import: format!("{module}.{name}"),
        source: Box::new(source),
    }
}

fn protocol(message: String) -> wasmi::Error {
    wasmi::Error::host(DriverTrap::Protocol(message))
}

/// The whole protocol of one call of a suspending import. `start` makes the
/// host future, or returns `None` for a yield.
fn suspending_import<T>(
    caller: &mut Caller<'_, HostData<T>>,
    import: &Arc<Import>,
    params: &[Val],
    results: &mut [Val],
    start: impl FnOnce(&mut Caller<'_, HostData<T>>, &[Val]) -> Option<HostFuture>,
) -> Result<(), wasmi::Error> {
    let driver = &caller.data().driver;
    let (Some(runtime), Some(placer), true) =
        (driver.runtime, driver.placer, driver.frame.is_some())
    else {
        // Not inside a call made by the driver (the start function, or a
        // raw wasmi call): a future that is ready at once still works.
        return match start(caller, params) {
            Some(mut future) => match future
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
            {
                Poll::Ready(Ok(values)) => write_results(import, values, results),
                Poll::Ready(Err(error)) => Err(failed(&import.name, &error)),
                Poll::Pending => Err(protocol(format!(
                    "import `{import}` cannot suspend outside a call made through rewind-host's `Instance`"
                ))),
            },
            None => Err(protocol(format!(
                "import `{import}` cannot yield outside a call made through rewind-host's `Instance`"
            ))),
        };
    };

    match runtime.state(&mut *caller)? {
        abi::STATE_NORMAL => {}
        abi::STATE_REWINDING => {
            let rewind = frame(caller).rewind.take().ok_or_else(|| {
                protocol(format!(
                    "the guest rewound into import `{import}`, but the resumed call did not suspend there"
                ))
            })?;
            // Suspended by this import: the same `Arc`, no need to compare.
            // Any other import means the unwind recorded another call site:
            // the guest did not unwind from the one that suspended.
            if !Arc::ptr_eq(&rewind.import, import) && rewind.import.name != import.name {
                return Err(wasmi::Error::host(DriverTrap::NotSuspendable {
                    import: rewind.import.to_string(),
                    found: format!("rewound into import `{import}`"),
                }));
            }
            // Every frame saved on the way out is restored on the way in:
            // frames left over were saved by code that went on running
            // after the import started the unwind.
            if let Some(buffer) = frame(caller).buffer {
                let left = buffer.unrestored(&*caller, &runtime).map_err(protocol)?;
                let found = match left {
                    0 => None,
                    1.. => Some(format!(
                        "rewound into it with {left} bytes of saved frames not restored"
                    )),
                    _ => Some(format!(
                        "rewound into it having restored {} bytes more than were saved",
                        left.unsigned_abs()
                    )),
                };
                if let Some(found) = found {
                    return Err(wasmi::Error::host(DriverTrap::NotSuspendable {
                        import: rewind.import.to_string(),
                        found,
                    }));
                }
            }
            runtime.stop_rewind(&mut *caller)?;
            return match rewind.result {
                Ok(values) => write_results(import, values, results),
                Err(message) => Err(wasmi::Error::host(ImportFailed {
                    import: import.to_string(),
                    message,
                })),
            };
        }
        state => {
            // Unwinding from an import of this call: the guest went on
            // running after it instead of unwinding.
            if let (
                abi::STATE_UNWINDING,
                Some(
                    Suspension::Future { import: from, .. }
                    | Suspension::Yield { import: from, .. },
                ),
            ) = (state, &frame(caller).suspension)
            {
                return Err(wasmi::Error::host(DriverTrap::NotSuspendable {
                    import: from.to_string(),
                    found: format!("called import `{import}`"),
                }));
            }
            return Err(protocol(format!(
                "import `{import}` was called in Asyncify state {state} (is its caller instrumented?)"
            )));
        }
    }

    let suspension = match start(caller, params) {
        None => Suspension::Yield {
            import: import.clone(),
            params: params.to_vec(),
        },
        Some(mut future) => match future
            .as_mut()
            .poll(&mut Context::from_waker(&frame(caller).waker))
        {
            Poll::Ready(Ok(values)) => return write_results(import, values, results),
            Poll::Ready(Err(error)) => return Err(failed(&import.name, &error)),
            Poll::Pending => Suspension::Future {
                import: import.clone(),
                future,
            },
        },
    };

    // Suspend: the call's buffer (placed on its first suspension, taken from
    // the pool if one is free), armed afresh, then start the unwind.
    let buffer = match frame(caller).buffer {
        Some(buffer) => buffer,
        None => {
            let shared = caller.data().driver.shared.clone();
            let buffer = placer
                .take_or_place(&mut *caller, &runtime, &shared)
                .map_err(|m| wasmi::Error::host(DriverTrap::Placement(m)))?;
            frame(caller).buffer = Some(buffer);
            buffer
        }
    };
    placer
        .arm(&mut *caller, &runtime, buffer)
        .map_err(|m| wasmi::Error::host(DriverTrap::Placement(m)))?;
    frame(caller).suspension = Some(suspension);
    runtime.start_unwind(&mut *caller, buffer.ptr)?;
    for (slot, ty) in results.iter_mut().zip(import.results.iter()) {
        *slot = Val::default_for_ty(*ty);
    }
    Ok(())
}

/// The running call's frame. Only called after checking there is one.
fn frame<'a, T>(caller: &'a mut Caller<'_, HostData<T>>) -> &'a mut Frame {
    caller
        .data_mut()
        .driver
        .frame
        .as_mut()
        .expect("checked on entry: the driver installed a frame")
}

/// Copies a future's values into the import's results, checking types.
pub(crate) fn write_results(
    import: &Import,
    values: Vec<Val>,
    results: &mut [Val],
) -> Result<(), wasmi::Error> {
    let expected = &import.results;
    let matches =
        values.len() == expected.len() && values.iter().zip(expected).all(|(v, t)| v.ty() == *t);
    if !matches {
        return Err(wasmi::Error::host(ImportFailed {
            import: import.to_string(),
            message: format!(
                "returned values of types {} but the import's results are {}",
                types_to_string(values.iter().map(Val::ty)),
                types_to_string(expected.iter().copied())
            ),
        }));
    }
    for (slot, value) in results.iter_mut().zip(values) {
        *slot = value;
    }
    Ok(())
}

/// A failed future as a trap.
fn failed(import: &str, error: &BoxError) -> wasmi::Error {
    wasmi::Error::host(ImportFailed {
        import: import.to_string(),
        message: error_chain(error.as_ref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspending_imports_are_module_and_name_pairs() {
        let mut linker = Linker::<()>::new(&Engine::default());
        linker
            .func_yield("a.b", "c", FuncType::new([], []))
            .unwrap();
        assert!(linker.is_suspending("a.b", "c"));
        // The same `a.b.c` when joined with a dot, but another import.
        assert!(!linker.is_suspending("a", "b.c"));
        assert_eq!(
            linker.suspending_imports().collect::<Vec<_>>(),
            [("a.b", "c")]
        );
    }
}
