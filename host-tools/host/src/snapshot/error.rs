//! Why a snapshot could not be taken, read or restored.

/// Why a snapshot could not be taken, read or restored. Reaches callers as
/// [`Error::Snapshot`](crate::Error::Snapshot).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The module was loaded without what snapshots need.
    #[error(
        "the module was not loaded for snapshots: load it with `Module::with_snapshots` (from its bytes)"
    )]
    NotEnabled,
    /// The module could not be read to expose its internals.
    #[error("cannot prepare the module for snapshots: {0}")]
    Module(String),
    /// The instance holds something a snapshot cannot save.
    #[error("cannot snapshot: {0}")]
    Unsupported(String),
    /// The bytes do not start like a snapshot.
    #[error("not a rewind snapshot (bad magic bytes)")]
    BadMagic,
    /// The snapshot was written in a format version this build does not read.
    #[error(
        "snapshot format version {found} is not supported (this build reads version {supported})"
    )]
    Version {
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// The snapshot is shorter than its header says.
    #[error("snapshot truncated: {found} bytes, the header says {expected}")]
    Truncated {
        /// The bytes there are.
        found: u64,
        /// The bytes the header announces.
        expected: u64,
    },
    /// The checksum does not match: the bytes were changed.
    #[error("snapshot corrupted: checksum {computed:08x} does not match the stored {stored:08x}")]
    Checksum {
        /// The CRC-32 in the file.
        stored: u32,
        /// The CRC-32 of the bytes read.
        computed: u32,
    },
    /// The checksum matches but the contents make no sense.
    #[error("malformed snapshot: {0}")]
    Malformed(String),
    /// The snapshot was taken of another module.
    #[error(
        "the snapshot was taken of another module (SHA-256 {snapshot}, this module is {module})"
    )]
    WrongModule {
        /// Hash of the snapshot's module, hex.
        snapshot: String,
        /// Hash of the module given, hex.
        module: String,
    },
    /// The snapshot does not fit the module (a memory beyond its maximum,
    /// a value of the wrong type, an entity missing).
    #[error("the snapshot does not fit the module: {0}")]
    Mismatch(String),
}
