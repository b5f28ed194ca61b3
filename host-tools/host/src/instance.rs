//! [`Instance`]: an instantiated module, its store, and the calls that are
//! suspended in it. Creating one links the imports, runs the start
//! function, finds the Asyncify exports and decides where save buffers go
//! and in which order suspended calls may resume.

use crate::abi;
use crate::asserts::Asserts;
use crate::buffer::Placer;
use crate::call::{CallOutcome, SuspendedCall};
use crate::config::{Config, ResumeOrder};
use crate::data::{Driver, HostData, Shared};
use crate::error::{Error, Result};
use crate::executor::block_on;
use crate::fuel_imports;
use crate::future::CallFuture;
use crate::imports::Linker;
use crate::module::Module;
use crate::name_table::NameTable;
use crate::runtime::Runtime;
use crate::unwound;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use wasmi::{Engine, Memory, Store, Val};

static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);

/// An instance of an instrumented module, with the store that owns it.
///
/// Calls go through [`Instance::call_resumable`] (and [`Instance::resume`]),
/// [`Instance::call_async`] or [`Instance::call_blocking`].
pub struct Instance<T> {
    pub(crate) store: Store<HostData<T>>,
    pub(crate) instance: wasmi::Instance,
    pub(crate) runtime: Runtime,
    pub(crate) placer: Placer,
    pub(crate) shared: Arc<Mutex<Shared>>,
    pub(crate) id: u64,
    pub(crate) order: ResumeOrder,
    pub(crate) next_call: u64,
    pub(crate) fuel: crate::fuel::FuelMeter,
    /// With a module built with `--asserts`: its checks' globals and names.
    pub(crate) asserts: Option<Asserts>,
    /// With a module that records its unwinds: the names of its ids.
    unwound: NameTable,
    poisoned: Option<String>,
}

impl<T> fmt::Debug for Instance<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = Shared::lock(&self.shared);
        f.debug_struct("Instance")
            .field("id", &self.id)
            .field("resume_order", &self.order)
            .field("unfinished_calls", &shared.active)
            .field("buffers_placed", &shared.pool.placed())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<T: 'static> Instance<T> {
    pub(crate) fn new(
        linker: &Linker<T>,
        module: &Module,
        data: T,
        config: Config,
    ) -> Result<Self> {
        if !Engine::same(linker.engine(), module.wasmi().engine()) {
            return Err(Error::Config(
                "the module was compiled with another engine than the linker's".to_string(),
            ));
        }
        let shared = Arc::new(Mutex::new(Shared::default()));
        let driver = Driver {
            runtime: None,
            placer: None,
            frame: None,
            shared: shared.clone(),
        };
        let mut store = Store::new(linker.engine(), HostData::new(data, driver));
        let (linker, imported_fuel) = fuel_imports::complete(linker, &mut store, module)?;
        let linker = unwound::complete(linker, module);
        let instance = linker
            .instantiate_and_start(&mut store, module.wasmi())
            .map_err(Error::Instantiate)?;
        let fuel = crate::fuel::FuelMeter::new(&store, &instance, imported_fuel);
        let asserts = Asserts::new(&store, &instance, module.wasmi());
        let unwound = NameTable::read(
            module.wasmi(),
            abi::UNWOUND_SECTION,
            abi::UNWOUND_SECTION_HEADER,
            0,
        )
        .unwrap_or_default();
        let runtime = Runtime::new(
            &store,
            &instance,
            config.memory.as_deref(),
            module.memory64(),
        )?;
        let placer = Placer::new(&store, &instance, &config, &runtime)?;
        let driver = &mut store.data_mut().driver;
        driver.runtime = Some(runtime);
        driver.placer = Some(placer);
        let order = match config.resume_order {
            ResumeOrder::Auto if module.shadow_stack() == Some(false) => ResumeOrder::Any,
            ResumeOrder::Auto => ResumeOrder::Lifo,
            order => order,
        };
        Ok(Self {
            store,
            instance,
            runtime,
            placer,
            shared,
            id: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
            order,
            next_call: 1,
            fuel,
            asserts,
            unwound,
            poisoned: None,
        })
    }

    /// Calls `export` and runs it until it returns or suspends.
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchExport`], [`Error::BadArguments`], a trap
    /// ([`Error::Trap`], [`Error::HostFuture`],
    /// [`Error::SaveStackOverflow`], ...), [`Error::Poisoned`].
    pub fn call_resumable(&mut self, export: &str, args: &[Val]) -> Result<CallOutcome> {
        self.start_call(export, args)
    }

    /// Resumes `call` if it can go on: a yielded call always (its import
    /// returns zeros), a call on a host future once the future is ready —
    /// otherwise nothing runs and `call` comes back as
    /// [`CallOutcome::Suspended`]. Never blocks.
    ///
    /// # Errors
    ///
    /// As [`Instance::call_resumable`], plus [`Error::ForeignCall`] and
    /// [`Error::ResumeOrder`] (the latter only when the call is ready to
    /// run). Those two are checked before any guest code runs, but `call`
    /// is consumed either way (and so abandoned, like a dropped call): use
    /// [`Instance::check_resume`] first if unsure.
    pub fn resume(&mut self, call: SuspendedCall) -> Result<CallOutcome> {
        self.resume_call(call, None)
    }

    /// Resumes a yielded call; its import returns `values`.
    ///
    /// # Errors
    ///
    /// As [`Instance::resume`], plus [`Error::ResumeValues`] if `values` do
    /// not match the import's results or `call` waits on a future.
    pub fn resume_with(&mut self, call: SuspendedCall, values: &[Val]) -> Result<CallOutcome> {
        self.resume_call(call, Some(values))
    }

    /// Waits for `call`'s host future on this thread ([`block_on`]), then
    /// resumes it until it returns or suspends again.
    ///
    /// # Errors
    ///
    /// As [`Instance::resume`]; the checks run before waiting.
    pub fn resume_blocking(&mut self, mut call: SuspendedCall) -> Result<CallOutcome> {
        self.check_resume(&call)?;
        block_on(std::future::poll_fn(|cx| call.poll_ready(cx)));
        self.resume(call)
    }

    /// Drives `outcome` to completion on this thread: waits for host
    /// futures, resumes yields at once.
    ///
    /// # Errors
    ///
    /// As [`Instance::resume`].
    pub fn finish_blocking(&mut self, mut outcome: CallOutcome) -> Result<Vec<Val>> {
        loop {
            outcome = match outcome {
                CallOutcome::Finished(values) => return Ok(values),
                CallOutcome::Suspended(call) | CallOutcome::Yielded(call) => {
                    self.resume_blocking(call)?
                }
            };
        }
    }

    /// Calls `export` and drives it to completion on this thread.
    ///
    /// # Errors
    ///
    /// As [`Instance::call_resumable`].
    pub fn call_blocking(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>> {
        let outcome = self.call_resumable(export, args)?;
        self.finish_blocking(outcome)
    }

    /// Calls `export`; the future completes when the guest returns.
    pub fn call_async<'a>(&'a mut self, export: &str, args: &[Val]) -> CallFuture<'a, T> {
        CallFuture::start(self, export, args)
    }

    /// Resumes `call`; the future completes when the guest returns.
    pub fn resume_async(&mut self, call: SuspendedCall) -> CallFuture<'_, T> {
        CallFuture::resume(self, call)
    }

    /// Checks, without consuming `call`, that it belongs to this instance,
    /// that the resume order allows it to run now, and that the instance is
    /// not poisoned.
    ///
    /// # Errors
    ///
    /// [`Error::ForeignCall`], [`Error::ResumeOrder`], [`Error::Poisoned`].
    pub fn check_resume(&self, call: &SuspendedCall) -> Result<()> {
        self.check_resume_inner(call)
    }

    /// Places save buffers in guest memory until `count` are free, so later
    /// suspensions never call the guest allocator or grow memory.
    ///
    /// # Errors
    ///
    /// [`Error::BufferPlacement`], [`Error::Poisoned`].
    pub fn reserve_buffers(&mut self, count: usize) -> Result<()> {
        self.check_usable()?;
        // Taking `count` buffers, free ones first, and giving them all back
        // leaves at least `count` free.
        let mut taken = Vec::new();
        let placed = (0..count).try_for_each(|_| {
            let buffer = self
                .placer
                .take_or_place(&mut self.store, &self.runtime, &self.shared)?;
            taken.push(buffer);
            Ok(())
        });
        let mut shared = Shared::lock(&self.shared);
        for buffer in taken.into_iter().rev() {
            shared.pool.give_back(buffer);
        }
        placed.map_err(Error::BufferPlacement)
    }

    /// How many save buffers were ever placed in guest memory. It grows
    /// only with the number of calls suspended at the same time, never with
    /// the number of suspensions.
    pub fn buffers_placed(&self) -> usize {
        Shared::lock(&self.shared).pool.placed()
    }

    /// Size of each save buffer, header included.
    pub fn buffer_size(&self) -> u64 {
        self.placer.size
    }

    /// The resume order in force ([`ResumeOrder::Auto`] resolved).
    pub fn resume_order(&self) -> ResumeOrder {
        self.order
    }

    /// Ids of the calls that started and have not finished, oldest first
    /// (the suspended calls not yet dropped).
    pub fn unfinished_calls(&self) -> Vec<u64> {
        Shared::lock(&self.shared).active.clone()
    }

    /// Why the instance cannot be used any more, if it cannot.
    pub fn poisoned(&self) -> Option<&str> {
        self.poisoned.as_deref()
    }

    /// The memory that holds the save buffers.
    pub fn memory(&self) -> Memory {
        self.runtime.memory
    }

    /// The wasmi instance.
    pub fn wasmi(&self) -> &wasmi::Instance {
        &self.instance
    }

    /// The store. Calling suspending exports through it directly bypasses
    /// the driver: suspending imports then trap instead of suspending.
    pub fn store(&self) -> &Store<HostData<T>> {
        &self.store
    }

    /// The store, mutably; see [`Instance::store`].
    pub fn store_mut(&mut self) -> &mut Store<HostData<T>> {
        &mut self.store
    }

    /// Your data.
    pub fn data(&self) -> &T {
        self.store.data().get()
    }

    /// Your data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut().get_mut()
    }

    /// Unwraps your data, dropping the instance.
    pub fn into_data(self) -> T {
        self.store.into_data().into_inner()
    }

    /// The names of the ids a module that records its unwinds reported.
    pub(crate) fn unwound_names(&self, ids: &[i32]) -> Vec<String> {
        ids.iter().map(|id| self.unwound.name(*id)).collect()
    }

    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.poisoned {
            Some(reason) => Err(Error::Poisoned(reason.clone())),
            None => Ok(()),
        }
    }

    pub(crate) fn poison(&mut self, reason: String) {
        self.poisoned.get_or_insert(reason);
    }
}
