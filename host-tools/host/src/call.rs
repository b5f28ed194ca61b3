//! The resumable call state machine.
//!
//! ```text
//!            call_resumable                         export returns, no suspension
//!   (start) ───────────────▶ running ─────────────────────────────────────▶ Finished(values)
//!                              │  ▲
//!  import starts an unwind;    │  │ resume: start_rewind(buffer), call the
//!  export returns in state 1;  │  │ export again with the same arguments;
//!  driver: stop_unwind()       ▼  │ the import stops the rewind, returns
//!                   Suspended(call) / Yielded(call)
//! ```
//!
//! A trap anywhere ends the call with an [`Error`] that says what the driver
//! was doing; the call's buffer goes back to the pool. After a trap the
//! driver brings the Asyncify state back to normal, or poisons the
//! instance if it cannot.

use crate::abi;
use crate::buffer::SaveBuffer;
use crate::config::ResumeOrder;
use crate::data::{Frame, HostFuture, Import, Rewind, Shared, Suspension};
use crate::error::{DriverTrap, Error, ImportFailed, Phase, Result, error_chain, types_to_string};
use crate::executor::Signal;
use crate::instance::Instance;
use std::fmt;
use std::mem;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use wasmi::{Func, Val};

/// What a call (or a resumption) came to.
#[derive(Debug)]
pub enum CallOutcome {
    /// The export returned these values.
    Finished(Vec<Val>),
    /// The guest is suspended on a host future. Resume it with
    /// [`Instance::resume`] (does nothing until the future is ready),
    /// [`Instance::resume_blocking`] or [`Instance::resume_async`].
    Suspended(SuspendedCall),
    /// The guest yielded to the host through a
    /// [`Linker::func_yield`](crate::Linker::func_yield) import. Resume it
    /// with [`Instance::resume`] or [`Instance::resume_with`] when you like.
    Yielded(SuspendedCall),
}

impl CallOutcome {
    /// Whether the call finished.
    pub fn is_finished(&self) -> bool {
        matches!(self, CallOutcome::Finished(_))
    }

    /// The results, if the call finished.
    pub fn into_finished(self) -> Option<Vec<Val>> {
        match self {
            CallOutcome::Finished(values) => Some(values),
            _ => None,
        }
    }

    /// The suspended call, if it suspended or yielded.
    pub fn into_suspended(self) -> Option<SuspendedCall> {
        match self {
            CallOutcome::Finished(_) => None,
            CallOutcome::Suspended(call) | CallOutcome::Yielded(call) => Some(call),
        }
    }
}

/// One started call of an export: what is needed to run it again.
pub(crate) struct CallState {
    pub id: u64,
    pub instance: u64,
    pub export: Arc<str>,
    pub func: Func,
    pub args: Vec<Val>,
    /// Where each run of the export writes its results: allocated once per
    /// call, handed over when the call finishes.
    pub outputs: Vec<Val>,
    pub buffer: Option<SaveBuffer>,
    pub signal: Arc<Signal>,
    pub waker: Waker,
    /// The instance's shared state, for giving the buffer back when a
    /// suspended call is dropped (moved with the call, never cloned per
    /// suspension).
    pub shared: Arc<Mutex<Shared>>,
}

/// What a suspended call waits for.
pub(crate) enum Wait {
    Future {
        import: Arc<Import>,
        future: Option<HostFuture>,
        output: Option<Result<Vec<Val>, String>>,
    },
    Yield {
        import: Arc<Import>,
        params: Vec<Val>,
    },
}

pub(crate) struct Inner {
    /// Boxed: it moves with every run and resumption.
    pub call: Box<CallState>,
    pub wait: Wait,
    /// The functions whose frames the unwind saved, innermost first (only
    /// modules that record unwinds report them).
    pub unwound: Vec<String>,
}

/// A call that is suspended inside the guest, holding its save buffer.
///
/// Give it back to the [`Instance`] that made it to resume it. Dropping it
/// abandons the call: its buffer returns to the instance's pool and it no
/// longer blocks older calls from resuming (see
/// [`ResumeOrder`](crate::ResumeOrder)); whatever the guest held on its
/// shadow stack or heap for that call stays allocated.
pub struct SuspendedCall {
    pub(crate) inner: Option<Inner>,
}

impl fmt::Debug for SuspendedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SuspendedCall")
            .field("id", &self.id())
            .field("export", &self.export())
            .field("import", &self.import())
            .field("yielded", &self.is_yield())
            .finish()
    }
}

impl Drop for SuspendedCall {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            Shared::lock(&inner.call.shared).retire(inner.call.id, inner.call.buffer);
        }
    }
}

impl SuspendedCall {
    pub(crate) fn inner(&self) -> &Inner {
        self.inner
            .as_ref()
            .expect("a SuspendedCall holds its state until consumed")
    }

    /// The call's id, unique within its instance (ids grow with each call).
    pub fn id(&self) -> u64 {
        self.inner().call.id
    }

    /// The export that was called.
    pub fn export(&self) -> &str {
        &self.inner().call.export
    }

    /// `module.name` of the import the guest is suspended in.
    pub fn import(&self) -> &str {
        match &self.inner().wait {
            Wait::Future { import, .. } | Wait::Yield { import, .. } => &import.name,
        }
    }

    /// The functions that were on the stack when the call suspended,
    /// innermost first, one entry per saved frame: what a module built to
    /// record its unwinds reports (`rewind_transform::Options::
    /// record_unwinds`); empty for any other module.
    pub fn unwound(&self) -> &[String] {
        &self.inner().unwound
    }

    /// Whether the guest yielded (rather than waiting on a future).
    pub fn is_yield(&self) -> bool {
        matches!(self.inner().wait, Wait::Yield { .. })
    }

    /// The arguments the guest passed to the yielding import.
    pub fn yielded_values(&self) -> Option<&[Val]> {
        match &self.inner().wait {
            Wait::Yield { params, .. } => Some(params),
            Wait::Future { .. } => None,
        }
    }

    /// Whether the host future's waker fired since it was last polled
    /// (always `true`-ish for yields: they are always ready). A cheap test
    /// before [`SuspendedCall::is_ready`] for hosts that poll every frame.
    pub fn was_woken(&self) -> bool {
        match &self.inner().wait {
            Wait::Yield { .. }
            | Wait::Future {
                output: Some(_), ..
            } => true,
            Wait::Future { .. } => self.inner().call.signal.is_woken(),
        }
    }

    /// Polls the host future once (without an outer waker) and tells
    /// whether the call can resume now.
    pub fn is_ready(&mut self) -> bool {
        self.poll_inner(None).is_ready()
    }

    /// Polls the host future; `Ready` once the call can resume. The
    /// future's wake-ups are forwarded to `cx`'s waker.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_inner(Some(cx.waker()))
    }

    fn poll_inner(&mut self, outer: Option<&Waker>) -> Poll<()> {
        let Inner { call, wait, .. } = self
            .inner
            .as_mut()
            .expect("a SuspendedCall holds its state until consumed");
        let Wait::Future { future, output, .. } = wait else {
            return Poll::Ready(());
        };
        if output.is_some() {
            return Poll::Ready(());
        }
        if let Some(waker) = outer {
            call.signal.register(waker);
        }
        call.signal.clear();
        let pending = future
            .as_mut()
            .expect("the future is kept until it completes");
        match pending.as_mut().poll(&mut Context::from_waker(&call.waker)) {
            Poll::Ready(result) => {
                *output = Some(result.map_err(|e| error_chain(e.as_ref())));
                *future = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    pub(crate) fn instance_id(&self) -> u64 {
        self.inner().call.instance
    }

    fn into_inner(mut self) -> Inner {
        self.inner
            .take()
            .expect("a SuspendedCall holds its state until consumed")
    }
}

impl<T: 'static> Instance<T> {
    /// Starts a call of `export`.
    pub(crate) fn start_call(&mut self, export: &str, args: &[Val]) -> Result<CallOutcome> {
        self.check_usable()?;
        let func = self
            .instance
            .get_func(&self.store, export)
            .ok_or_else(|| Error::NoSuchExport(export.to_string()))?;
        let ty = func.ty(&self.store);
        if args.len() != ty.params().len()
            || args.iter().zip(ty.params()).any(|(a, t)| a.ty() != *t)
        {
            return Err(Error::BadArguments {
                export: export.to_string(),
                expected: types_to_string(ty.params().iter().copied()),
                got: types_to_string(args.iter().map(Val::ty)),
            });
        }
        let id = self.next_call;
        self.next_call += 1;
        let (signal, waker) = Signal::new();
        let call = Box::new(CallState {
            id,
            instance: self.id,
            export: export.into(),
            func,
            args: args.to_vec(),
            outputs: vec![Val::I32(0); ty.results().len()],
            buffer: None,
            signal,
            waker,
            shared: self.shared.clone(),
        });
        Shared::lock(&self.shared).active.push(id);
        self.run(call, None)
    }

    /// Checks that `call` can be resumed now, without consuming it.
    pub(crate) fn check_resume_inner(&self, call: &SuspendedCall) -> Result<()> {
        self.check_owner(call)?;
        self.check_order(call)
    }

    /// The instance is usable and made `call`.
    fn check_owner(&self, call: &SuspendedCall) -> Result<()> {
        self.check_usable()?;
        if call.instance_id() != self.id {
            return Err(Error::ForeignCall { call: call.id() });
        }
        Ok(())
    }

    /// With [`ResumeOrder::Lifo`], `call` is the newest unfinished call.
    /// The call started last is unfinished while its `SuspendedCall` is
    /// held, so it needs no look at the call stack (nor its lock).
    fn check_order(&self, call: &SuspendedCall) -> Result<()> {
        if self.order == ResumeOrder::Lifo && call.id() + 1 != self.next_call {
            let shared = Shared::lock(&self.shared);
            if let Some(&top) = shared.active.last()
                && top != call.id()
            {
                return Err(Error::ResumeOrder {
                    call: call.id(),
                    blocking: top,
                });
            }
        }
        Ok(())
    }

    /// Resumes `call` if it can make progress; `values` are a yield's
    /// results.
    pub(crate) fn resume_call(
        &mut self,
        mut call: SuspendedCall,
        values: Option<&[Val]>,
    ) -> Result<CallOutcome> {
        self.check_owner(&call)?;
        match (values, &call.inner().wait) {
            (Some(_), Wait::Future { .. }) => {
                return Err(Error::ResumeValues {
                    call: call.id(),
                    reason: format!(
                        "it waits on the future of `{}`, not on a yield",
                        call.import()
                    ),
                });
            }
            (Some(values), Wait::Yield { import, .. })
                if values.len() != import.results.len()
                    || values
                        .iter()
                        .zip(import.results.iter())
                        .any(|(v, t)| v.ty() != *t) =>
            {
                return Err(Error::ResumeValues {
                    call: call.id(),
                    reason: format!(
                        "`{import}` returns {}, got {}",
                        types_to_string(import.results.iter().copied()),
                        types_to_string(values.iter().map(Val::ty))
                    ),
                });
            }
            _ => {}
        }
        if call.poll_inner(None).is_pending() {
            let kind = if call.is_yield() {
                CallOutcome::Yielded
            } else {
                CallOutcome::Suspended
            };
            return Ok(kind(call));
        }
        // Only now does guest code run: check the order.
        self.check_order(&call)?;
        let Inner {
            call: state, wait, ..
        } = call.into_inner();
        let rewind = match wait {
            Wait::Future { import, output, .. } => Rewind {
                import,
                result: output.expect("polled to completion above"),
            },
            Wait::Yield { import, .. } => {
                let values = match values {
                    None => import
                        .results
                        .iter()
                        .map(|t| Val::default_for_ty(*t))
                        .collect(),
                    Some(values) => values.to_vec(),
                };
                Rewind {
                    import,
                    result: Ok(values),
                }
            }
        };
        self.run(state, Some(rewind))
    }

    /// Runs the export once: fresh, or rewinding into the import it
    /// suspended in.
    fn run(&mut self, mut call: Box<CallState>, rewind: Option<Rewind>) -> Result<CallOutcome> {
        let phase = if rewind.is_some() {
            Phase::Resuming
        } else {
            Phase::Running
        };
        if rewind.is_some() {
            let buffer = call.buffer.expect("a suspended call holds a buffer");
            if let Err(source) = self.runtime.start_rewind(&mut self.store, buffer.ptr) {
                self.retire(&call);
                self.recover();
                return Err(Error::Trap {
                    export: call.export.to_string(),
                    phase,
                    source,
                });
            }
        }
        // The waker moves to the frame for the run and back after it.
        self.store.data_mut().driver.frame = Some(Frame {
            call: call.id,
            waker: mem::replace(&mut call.waker, Waker::noop().clone()),
            buffer: call.buffer,
            rewind,
            suspension: None,
            unwound: Vec::new(),
        });
        let result = call
            .func
            .call(&mut self.store, &call.args, &mut call.outputs);
        let mut frame = self
            .store
            .data_mut()
            .driver
            .frame
            .take()
            .expect("the frame stays installed during the call");
        call.buffer = frame.buffer;
        mem::swap(&mut call.waker, &mut frame.waker);
        match result {
            Ok(()) => self.returned(call, frame),
            Err(source) => Err(self.trapped(call, frame, phase, source)),
        }
    }

    /// The export returned: finished, or unwound from a suspension.
    fn returned(&mut self, mut call: Box<CallState>, frame: Frame) -> Result<CallOutcome> {
        let Some(suspension) = frame.suspension else {
            self.retire(&call);
            let export = call.export.to_string();
            if let Some(rewind) = frame.rewind {
                return Err(self.violation(
                    export,
                    format!(
                        "the call returned without rewinding into import `{}`",
                        rewind.import
                    ),
                ));
            }
            return match self.runtime.state(&mut self.store) {
                Ok(abi::STATE_NORMAL) => Ok(CallOutcome::Finished(mem::take(&mut call.outputs))),
                Ok(state) => Err(self.violation(
                    export,
                    format!("the call returned in Asyncify state {state}"),
                )),
                Err(source) => Err(self.state_trap(export, source)),
            };
        };
        let import = match &suspension {
            Suspension::Future { import, .. } | Suspension::Yield { import, .. } => import,
        };
        match self.runtime.state(&mut self.store) {
            Ok(abi::STATE_UNWINDING) => {}
            Ok(state) => {
                self.retire(&call);
                let message = format!(
                    "import `{import}` started an unwind but the export returned in state {state}: \
                     its callers are not instrumented as suspending (check the transform's import list)"
                );
                return Err(self.violation(call.export.to_string(), message));
            }
            Err(source) => {
                self.retire(&call);
                return Err(self.state_trap(call.export.to_string(), source));
            }
        }
        let buffer = call
            .buffer
            .expect("an import that suspends places the buffer")
            .ptr;
        if self.runtime.stop_unwind(&mut self.store, buffer).is_err() {
            // Binaryen checks for overflow only here, after the save stack
            // was written past its end.
            self.retire(&call);
            let export = call.export.to_string();
            self.poison(format!(
                "the save stack of `{export}` ran past its {}-byte buffer before the overflow was detected; \
                 guest memory after the buffer may be corrupted",
                self.placer.size
            ));
            return Err(Error::SaveStackOverflow {
                export,
                import: import.to_string(),
                buffer_size: self.placer.size,
            });
        }
        let (wait, yielded) = match suspension {
            Suspension::Future { import, future, .. } => (
                Wait::Future {
                    import,
                    future: Some(future),
                    output: None,
                },
                false,
            ),
            Suspension::Yield { import, params } => (Wait::Yield { import, params }, true),
        };
        let suspended = SuspendedCall {
            inner: Some(Inner {
                call,
                wait,
                unwound: self.unwound_names(&frame.unwound),
            }),
        };
        Ok(if yielded {
            CallOutcome::Yielded(suspended)
        } else {
            CallOutcome::Suspended(suspended)
        })
    }

    /// The guest trapped: classify the trap.
    fn trapped(
        &mut self,
        call: Box<CallState>,
        frame: Frame,
        phase: Phase,
        source: wasmi::Error,
    ) -> Error {
        self.retire(&call);
        let export = call.export.to_string();
        if let Some(missing) = self
            .asserts
            .as_ref()
            .and_then(|asserts| asserts.failed(&mut self.store))
        {
            self.recover();
            return Error::NotInstrumented {
                export,
                function: missing.function,
                called: missing.called,
                list: missing.list,
            };
        }
        // The driver's own traps first: one raised while unwinding is the
        // reason the unwind failed.
        if let Some(trap) = source.downcast_ref::<DriverTrap>() {
            return match trap {
                DriverTrap::Placement(message) => {
                    let error = Error::BufferPlacement(message.clone());
                    self.recover();
                    error
                }
                DriverTrap::Protocol(message) => {
                    let message = message.clone();
                    self.violation(export, message)
                }
                DriverTrap::NotSuspendable { import, found } => {
                    let error = Error::NotSuspendable {
                        export,
                        import: import.clone(),
                        found: found.clone(),
                    };
                    // The guest ran in the unwinding state: nothing it did
                    // since can be trusted.
                    self.poison(error.to_string());
                    error
                }
            };
        }
        // A resumed call that trapped before its rewind reached the import
        // that suspended: the saved frames did not lead back to that call,
        // so something on the stack at the suspension went on running
        // instead of unwinding. Nothing the guest did since can be trusted.
        if let Some(rewind) = &frame.rewind {
            let error = Error::NotSuspendable {
                export,
                import: rewind.import.to_string(),
                found: format!("trapped while rewinding toward it ({source})"),
            };
            self.poison(error.to_string());
            return error;
        }
        if let Some(suspension) = frame.suspension {
            let import = match suspension {
                Suspension::Future { import, .. } | Suspension::Yield { import, .. } => {
                    import.to_string()
                }
            };
            let overflowed = matches!(
                self.runtime.state(&mut self.store),
                Ok(abi::STATE_OVERFLOWED)
            );
            self.recover();
            return if overflowed {
                Error::SaveStackOverflow {
                    export,
                    import,
                    buffer_size: self.placer.size,
                }
            } else {
                Error::Trap {
                    export,
                    phase: Phase::Unwinding,
                    source,
                }
            };
        }
        let error = if let Some(failed) = source.downcast_ref::<ImportFailed>() {
            Error::HostFuture {
                export,
                import: failed.import.clone(),
                message: failed.message.clone(),
            }
        } else {
            Error::Trap {
                export,
                phase,
                source,
            }
        };
        self.recover();
        error
    }

    /// A protocol violation: poisons the instance.
    fn violation(&mut self, export: String, message: String) -> Error {
        self.poison(format!(
            "Asyncify protocol violation during `{export}`: {message}"
        ));
        Error::Protocol { export, message }
    }

    /// `asyncify_get_state` itself trapped.
    fn state_trap(&mut self, export: String, source: wasmi::Error) -> Error {
        self.poison("`asyncify_get_state` trapped".to_string());
        Error::Trap {
            export,
            phase: Phase::Running,
            source,
        }
    }

    /// After a trap: back to the normal state, or poisoned.
    fn recover(&mut self) {
        if !self.runtime.reset(&mut self.store) {
            self.poison(
                "a trap left the instance unwinding or rewinding and it could not be reset"
                    .to_string(),
            );
        }
    }

    /// The call ends: off the call stack, buffer back to the pool.
    fn retire(&self, call: &CallState) {
        Shared::lock(&self.shared).retire(call.id, call.buffer);
    }
}
