//! The primitives snapshots are written with: little-endian integers,
//! length-prefixed byte strings and UTF-8 strings. [`Writer`] appends to a
//! buffer; [`Reader`] reads back and turns every short or malformed read
//! into a [`SnapshotError`] naming what it was reading — never a panic.
//!
//! Both are public so that a host saving its own state next to the
//! instance's ([`Snapshot::set_host_state`](super::Snapshot::set_host_state))
//! can use them too.

use super::SnapshotError;

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// One byte.
    pub fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    /// A `u32`, little-endian.
    pub fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    /// A `u64`, little-endian.
    pub fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    /// Raw bytes, without a length.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Bytes with a `u64` length before them.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        self.raw(bytes);
    }

    /// A string with a `u64` length before it.
    pub fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }
}

/// Reads values written by a [`Writer`].
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `n` raw bytes; `what` names them in the error.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`] if fewer are left.
    pub fn raw(&mut self, n: u64, what: &str) -> Result<&'a [u8], SnapshotError> {
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.data.len())
            .ok_or_else(|| {
                SnapshotError::Malformed(format!(
                    "{what}: {n} bytes needed, {} left",
                    self.data.len()
                ))
            })?;
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], SnapshotError> {
        let bytes = self.raw(N as u64, what)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// One byte.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`] at the end of the data.
    pub fn u8(&mut self, what: &str) -> Result<u8, SnapshotError> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A little-endian `u32`.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`] at the end of the data.
    pub fn u32(&mut self, what: &str) -> Result<u32, SnapshotError> {
        self.array(what).map(u32::from_le_bytes)
    }

    /// A little-endian `u64`.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`] at the end of the data.
    pub fn u64(&mut self, what: &str) -> Result<u64, SnapshotError> {
        self.array(what).map(u64::from_le_bytes)
    }

    /// Bytes with a `u64` length before them.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`] if the data ends first.
    pub fn bytes(&mut self, what: &str) -> Result<&'a [u8], SnapshotError> {
        let len = self.u64(what)?;
        self.raw(len, what)
    }

    /// A UTF-8 string with a `u64` length before it.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`] if the data ends first or the string
    /// is not UTF-8.
    pub fn str(&mut self, what: &str) -> Result<&'a str, SnapshotError> {
        std::str::from_utf8(self.bytes(what)?)
            .map_err(|_| SnapshotError::Malformed(format!("{what}: not UTF-8")))
    }

    /// A count of items that each take at least `min_size` bytes: larger
    /// than what is left is malformed (so a hostile count cannot make the
    /// reader allocate).
    ///
    /// # Errors
    ///
    /// [`SnapshotError::Malformed`].
    pub fn count(&mut self, min_size: u64, what: &str) -> Result<usize, SnapshotError> {
        let n = self.u64(what)?;
        if n.saturating_mul(min_size.max(1)) > self.data.len() as u64 {
            return Err(SnapshotError::Malformed(format!(
                "{what}: {n} items cannot fit in the {} bytes left",
                self.data.len()
            )));
        }
        Ok(n as usize)
    }
}
