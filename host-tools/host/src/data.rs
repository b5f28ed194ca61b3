//! The store data: the user's `T` plus the driver's bookkeeping, which the
//! suspending imports reach through their `Caller`.
//!
//! Per guest call the driver installs a [`Frame`]: which call is running,
//! its save buffer (once placed), the value to hand back when rewinding,
//! and, after an import started an unwind, what the call now waits on.

use crate::buffer::{BufferPool, Placer, SaveBuffer};
use crate::error::BoxError;
use crate::runtime::Runtime;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use wasmi::{Val, ValType};

/// A host future as the driver stores it.
pub(crate) type HostFuture = Pin<Box<dyn Future<Output = Result<Vec<Val>, BoxError>> + Send>>;

/// The data of the wasmi `Store` an [`Instance`](crate::Instance) owns:
/// your `T` (reached through `Deref`, [`HostData::get`] or
/// [`HostData::get_mut`]) plus the driver's state.
///
/// Host functions receive `Caller<'_, HostData<T>>`; `caller.data().field`
/// reads a field of `T` directly.
pub struct HostData<T> {
    data: T,
    pub(crate) driver: Driver,
}

impl<T> HostData<T> {
    pub(crate) fn new(data: T, driver: Driver) -> Self {
        Self { data, driver }
    }

    /// Your data.
    pub fn get(&self) -> &T {
        &self.data
    }

    /// Your data, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Unwraps your data.
    pub fn into_inner(self) -> T {
        self.data
    }
}

impl<T> Deref for HostData<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> DerefMut for HostData<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T: fmt::Debug> fmt::Debug for HostData<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostData")
            .field("data", &self.data)
            .field("driver", &self.driver)
            .finish()
    }
}

/// The driver's part of the store data.
pub(crate) struct Driver {
    /// The ABI handles; `None` until instantiation finished (so an import
    /// called from the start function cannot suspend).
    pub runtime: Option<Runtime>,
    /// How new save buffers are placed; set with `runtime`.
    pub placer: Option<Placer>,
    /// The call currently running under the driver.
    pub frame: Option<Frame>,
    /// State shared with the instance and the suspended calls.
    pub shared: Arc<Mutex<Shared>>,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("running_call", &self.frame.as_ref().map(|frame| frame.call))
            .finish_non_exhaustive()
    }
}

/// One running guest call, as the suspending imports see it.
pub(crate) struct Frame {
    /// The call's id.
    pub call: u64,
    /// Waker host futures of this call are polled with.
    pub waker: Waker,
    /// The call's save buffer, once placed.
    pub buffer: Option<SaveBuffer>,
    /// When resuming: what the import that suspended returns.
    pub rewind: Option<Rewind>,
    /// Set by the import that started an unwind.
    pub suspension: Option<Suspension>,
    /// Ids the functions of a module that records unwinds reported as they
    /// saved their frames (see `unwound.rs`).
    pub unwound: Vec<i32>,
}

/// A suspending import as its calls refer to it: shared by the import's
/// definition and every suspension in it (one reference count per
/// suspension, moved from the suspension to the wait and the rewind).
#[derive(Debug)]
pub(crate) struct Import {
    /// `module.name`.
    pub name: Box<str>,
    /// The import's result types: what a yield's resumption must supply.
    /// Empty for an import restored from a snapshot while waiting on a
    /// future, whose values were checked when the future completed.
    pub results: Box<[ValType]>,
}

impl fmt::Display for Import {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// What the import that suspended returns when it is called again while
/// rewinding.
pub(crate) struct Rewind {
    /// The import.
    pub import: Arc<Import>,
    /// Its results, or the host future's error message.
    pub result: Result<Vec<Val>, String>,
}

/// Why a call unwound.
pub(crate) enum Suspension {
    /// Waiting on a host future.
    Future {
        import: Arc<Import>,
        future: HostFuture,
    },
    /// The guest yielded to the host.
    Yield {
        import: Arc<Import>,
        params: Vec<Val>,
    },
}

/// State shared by the store data, the [`Instance`](crate::Instance) and
/// every [`SuspendedCall`](crate::SuspendedCall) (which gives its buffer
/// back and leaves the call stack when dropped).
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Save buffers: placed once, then reused.
    pub pool: BufferPool,
    /// Calls started and not finished, oldest first.
    pub active: Vec<u64>,
}

impl Shared {
    /// Locks `shared`, ignoring poisoning (the data stays consistent: every
    /// critical section is a few pushes and pops).
    pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
        shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A call finished, trapped or was dropped: it leaves the call stack and
    /// its buffer goes back to the pool.
    pub(crate) fn retire(&mut self, call: u64, buffer: Option<SaveBuffer>) {
        if let Some(index) = self.active.iter().rposition(|&id| id == call) {
            self.active.remove(index);
        }
        if let Some(buffer) = buffer {
            self.pool.give_back(buffer);
        }
    }
}
