//! Snapshots of suspended calls: save a call that is out of fuel, yielded,
//! or suspended on a host future that has completed, as bytes; restore it
//! in a new store — in another process, on another machine — and resume
//! it there.
//!
//! Asyncify keeps a suspended call's stack in linear memory, not in the
//! engine, so a suspended instance is just data: its memories, mutable
//! globals and tables, plus what the driver knows about the call (the
//! export and its arguments, the import it is suspended in, its save
//! buffer, the fuel consumed).
//!
//! ```no_run
//! # use rewind_host::{Instance, Linker, Module, Snapshot, FuelOutcome};
//! # use rewind_host::wasmi::Engine;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let wasm: Vec<u8> = Vec::new();
//! let engine = Engine::default();
//! // Snapshots need the module loaded from its bytes with `with_snapshots`.
//! let module = Module::with_snapshots(&engine, &wasm)?;
//! let linker = Linker::<()>::new(&engine);
//! let mut instance = linker.instantiate(&module, ())?;
//! if let FuelOutcome::OutOfFuel(call) = instance.call_with_fuel("main", &[], 1_000_000)? {
//!     std::fs::write("main.snap", instance.snapshot(&call)?.to_bytes())?;
//! }
//! // Later, anywhere:
//! let snapshot = Snapshot::from_bytes(&std::fs::read("main.snap")?)?;
//! let (mut instance, call) = Instance::restore(&linker, &module, &snapshot, ())?;
//! let outcome = instance.resume_with_fuel(call, 1_000_000)?;
//! # let _ = outcome;
//! # Ok(())
//! # }
//! ```
//!
//! What is saved and what is refused:
//!
//! * every memory (pages that are all zero are skipped), every mutable
//!   global, every table, imported ones included — the module is loaded
//!   with an extra export for each ([`Module::with_snapshots`]);
//! * function references (in tables and globals) as function indices; a
//!   function from elsewhere or a non-null `externref` is an error naming
//!   the table or global;
//! * the call: its export and arguments, the import it is suspended in —
//!   a yield (with the values the guest passed) or a host future that has
//!   completed (with its result); a pending future cannot be saved;
//! * the driver: the call's save buffer, the buffers in the pool, the
//!   [`Config`](crate::Config), the fuel consumed;
//! * SHA-256 of the module's bytes: restoring into another module fails;
//! * opaque bytes of the host's own ([`Snapshot::set_host_state`]), written
//!   with [`Writer`] and read with [`Reader`] if the host likes.
//!
//! The bytes are versioned and end with a CRC-32: a truncated, corrupted,
//! unknown-version or foreign snapshot is refused with a
//! [`SnapshotError`], never a panic. The format is described in
//! `docs/snapshots.md`.
//!
//! Restoring instantiates the module afresh (its start function runs
//! again; what it does to the instance is then overwritten, what it does to
//! the host is not) and writes the saved state over it.
//!
//! [`Module::with_snapshots`]: crate::Module::with_snapshots

mod capture;
pub(crate) use capture::Origin;
mod codec;
mod error;
mod format;
pub(crate) mod layout;
mod restore;

pub use codec::{Reader, Writer};
pub use error::SnapshotError;
use wasmi::ValType;

use crate::config::{Placement, ResumeOrder};

/// A suspended call and the instance it runs in, as data: made by
/// [`Instance::snapshot`](crate::Instance::snapshot), stored with
/// [`Snapshot::to_bytes`], read back with [`Snapshot::from_bytes`] and
/// resumed after [`Instance::restore`](crate::Instance::restore).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub(crate) module_hash: [u8; 32],
    pub(crate) call: CallImage,
    pub(crate) driver: DriverImage,
    pub(crate) memories: Vec<MemoryImage>,
    pub(crate) globals: Vec<(u32, Value)>,
    pub(crate) tables: Vec<TableImage>,
    pub(crate) host: Vec<u8>,
}

/// The suspended call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallImage {
    pub id: u64,
    pub export: String,
    pub args: Vec<Value>,
    pub wait: WaitImage,
}

/// What the call is suspended in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WaitImage {
    /// A yielding import, its arguments and result types.
    Yield {
        import: String,
        params: Vec<Value>,
        results: Vec<ValType>,
    },
    /// An async import whose future completed with this result.
    Ready {
        import: String,
        result: Result<Vec<Value>, String>,
    },
}

/// What the driver knows about the instance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DriverImage {
    /// The call's save buffer.
    pub buffer: u64,
    /// Buffers placed earlier that no call holds.
    pub free: Vec<u64>,
    /// How many buffers were ever placed.
    pub placed: u64,
    pub buffer_size: u64,
    pub placement: Placement,
    pub resume_order: ResumeOrder,
    pub memory: Option<String>,
    pub fuel_total: u64,
    pub fuel_last: u64,
}

/// One memory: its size and the pages that are not all zero.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MemoryImage {
    pub index: u32,
    /// Size in pages.
    pub pages: u64,
    /// Size in bytes.
    pub len: u64,
    /// `(offset, bytes)` of each run of non-zero pages, ascending.
    pub runs: Vec<(u64, Vec<u8>)>,
}

/// One table's elements.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TableImage {
    pub index: u32,
    pub elements: Vec<Value>,
}

/// A value that can leave its store: references as function indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    /// A function reference: `None` for null, else the function's index.
    FuncRef(Option<u32>),
    /// A null `externref` (non-null ones cannot be saved).
    NullExternRef,
}

impl Snapshot {
    /// SHA-256 of the bytes of the module the snapshot was taken of.
    pub fn module_hash(&self) -> [u8; 32] {
        self.module_hash
    }

    /// The export whose call is suspended.
    pub fn export(&self) -> &str {
        &self.call.export
    }

    /// `module.name` of the import the call is suspended in.
    pub fn import(&self) -> &str {
        match &self.call.wait {
            WaitImage::Yield { import, .. } | WaitImage::Ready { import, .. } => import,
        }
    }

    /// Total fuel consumed by the instance's slices before the snapshot.
    pub fn fuel_consumed(&self) -> u64 {
        self.driver.fuel_total
    }

    /// Bytes of linear memory the snapshot holds (all memories, zero pages
    /// included).
    pub fn memory_size(&self) -> u64 {
        self.memories.iter().map(|m| m.len).sum()
    }

    /// The host's own state, saved with the instance's (empty unless set).
    pub fn host_state(&self) -> &[u8] {
        &self.host
    }

    /// Sets the host's own state (for example its open files), to be read
    /// back with [`Snapshot::host_state`] before restoring.
    pub fn set_host_state(&mut self, bytes: Vec<u8>) {
        self.host = bytes;
    }
}

/// `bytes` as lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
