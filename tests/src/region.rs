//! The save region: where the host keeps the Asyncify data structure and the
//! save stack.
//!
//! After instantiation the harness grows the module's memory by enough whole
//! pages and owns everything from the old end of memory on. Test programs
//! never address memory beyond their declared size, so the region is
//! invisible to them; the original and the instrumented run grow memory the
//! same way, so `memory.size` agrees between them.
//!
//! ```text
//! old end of memory = DATA
//! DATA + 0   stack_pos   (i32, or i64 for memory64)
//! DATA + 4/8 stack_end
//! DATA + 16  save stack ... up to stack_end, then canary bytes to the end
//! ```
//!
//! The whole region is filled with [`CANARY`] when reserved, so a write past
//! `stack_end` is visible afterwards.

use anyhow::{Context, Result, bail};

use crate::engine::{Instance, Machine};
use crate::value::Value;

/// Bytes reserved for the data structure in front of the save stack (two
/// `i64` at most; 16 keeps the stack 16-byte aligned).
pub const HEADER: u64 = 16;
/// Wasm page size.
pub const PAGE: u64 = 65536;
/// Fill byte of the reserved region.
pub const CANARY: u8 = 0xa5;

/// Where the data structure and the save stack live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveRegion {
    /// Address of the data structure (`DATA`).
    pub data: u64,
    /// Initial `stack_pos`.
    pub stack_start: u64,
    /// `stack_end`.
    pub stack_end: u64,
    /// End of the reserved pages (= end of memory after reservation).
    pub limit: u64,
    /// Whether the memory is 64-bit (the structure has `i64` fields).
    pub memory64: bool,
}

impl SaveRegion {
    /// Grows the save memory of `instance` (64-bit when `memory64`) and
    /// reserves a save stack of `capacity` bytes (default: the rest of one
    /// page after the header).
    pub fn reserve(
        instance: &mut dyn Instance,
        memory64: bool,
        capacity: Option<u64>,
    ) -> Result<Self> {
        let capacity = capacity.unwrap_or(PAGE - HEADER);
        let pages = (HEADER + capacity).div_ceil(PAGE).max(1);
        let old_pages = instance
            .grow_memory(pages)
            .context("growing memory for the save region (does the memory have a maximum?)")?;
        let data = old_pages * PAGE;
        let region = Self {
            data,
            stack_start: data + HEADER,
            stack_end: data + HEADER + capacity,
            limit: data + pages * PAGE,
            memory64,
        };
        if !memory64 && region.limit > u64::from(u32::MAX) {
            bail!("save region beyond 4 GiB in a 32-bit memory");
        }
        let mut bytes = vec![CANARY; (region.limit - region.data) as usize];
        bytes[..HEADER as usize].copy_from_slice(&region.header());
        instance.write_memory(region.data, &bytes);
        Ok(region)
    }

    fn field_width(&self) -> usize {
        if self.memory64 { 8 } else { 4 }
    }

    fn read_field(&self, mem: &[u8], offset: usize) -> u64 {
        let at = self.data as usize + offset * self.field_width();
        if self.memory64 {
            u64::from_le_bytes(mem[at..at + 8].try_into().expect("8 bytes"))
        } else {
            u64::from(u32::from_le_bytes(
                mem[at..at + 4].try_into().expect("4 bytes"),
            ))
        }
    }

    /// The [`HEADER`] bytes at `DATA` of a fresh save stack:
    /// `{ stack_pos: stack_start, stack_end }`.
    fn header(&self) -> [u8; HEADER as usize] {
        let mut bytes = [0u8; HEADER as usize];
        let width = self.field_width();
        for (i, value) in [self.stack_start, self.stack_end].into_iter().enumerate() {
            bytes[i * width..(i + 1) * width].copy_from_slice(&value.to_le_bytes()[..width]);
        }
        bytes
    }

    /// Writes `{ stack_pos: stack_start, stack_end }` at `DATA`.
    pub fn reset_header(&self, m: &mut dyn Machine) {
        m.write_memory(self.data, &self.header());
    }

    /// Reads `(stack_pos, stack_end)` from `DATA`.
    pub fn read_header(&self, mem: &[u8]) -> (u64, u64) {
        (self.read_field(mem, 0), self.read_field(mem, 1))
    }

    /// `DATA` as the pointer argument of the ABI functions.
    pub fn data_arg(&self) -> Value {
        if self.memory64 {
            Value::I64(self.data as i64)
        } else {
            Value::I32(self.data as u32 as i32)
        }
    }

    /// Checks that an unwind (or a failed one) wrote nothing but the save
    /// stack: every byte outside `[DATA, stack_end)` equals `before`,
    /// `stack_end` is unchanged, and `stack_pos` lies within the stack.
    pub fn check_unwind_writes(&self, before: &[u8], after: &[u8]) -> Result<(), String> {
        self.check_outside(before, after, self.data, self.stack_end)?;
        let (pos, end) = self.read_header(after);
        if end != self.stack_end {
            return Err(format!(
                "stack_end changed from {:#x} to {end:#x}",
                self.stack_end
            ));
        }
        if pos < self.stack_start || pos > self.stack_end {
            return Err(format!(
                "stack_pos {pos:#x} outside the save stack [{:#x}, {:#x}]",
                self.stack_start, self.stack_end
            ));
        }
        Ok(())
    }

    /// Checks that a rewind wrote nothing but the data structure: every byte
    /// outside `[DATA, DATA + HEADER)` equals `before`.
    pub fn check_rewind_writes(&self, before: &[u8], after: &[u8]) -> Result<(), String> {
        self.check_outside(before, after, self.data, self.data + HEADER)
    }

    fn check_outside(&self, before: &[u8], after: &[u8], lo: u64, hi: u64) -> Result<(), String> {
        if before.len() != after.len() {
            return Err(format!(
                "memory size changed from {} to {} bytes during an unwind or rewind",
                before.len(),
                after.len()
            ));
        }
        let (lo, hi) = (lo as usize, hi as usize);
        // Fast path: compare the two ranges with memcmp.
        if before[..lo] == after[..lo] && before[hi..] == after[hi..] {
            return Ok(());
        }
        let diff = before
            .iter()
            .zip(after)
            .enumerate()
            .find(|(i, (b, a))| (*i < lo || *i >= hi) && b != a);
        match diff {
            None => Ok(()),
            Some((i, (b, a))) => Err(format!(
                "byte {i:#x} changed from {b:#04x} to {a:#04x}, outside the allowed range \
                 [{lo:#x}, {hi:#x}) (DATA = {:#x}, stack_end = {:#x})",
                self.data, self.stack_end
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(memory64: bool) -> SaveRegion {
        SaveRegion {
            data: 64,
            stack_start: 64 + HEADER,
            stack_end: 64 + HEADER + 32,
            limit: 256,
            memory64,
        }
    }

    #[test]
    fn header_round_trips() {
        for m64 in [false, true] {
            let r = region(m64);
            let mut mem = vec![0u8; 256];
            mem[64..64 + HEADER as usize].copy_from_slice(&r.header());
            assert_eq!(r.read_header(&mem), (r.stack_start, r.stack_end));
            let width = if m64 { 8 } else { 4 };
            assert_eq!(mem[64 + width], (r.stack_end & 0xff) as u8);
        }
    }

    #[test]
    fn detects_writes_outside_the_stack() {
        let r = region(false);
        let mut before = vec![CANARY; 256];
        before[64..64 + HEADER as usize].copy_from_slice(&r.header());
        let mut inside = before.clone();
        inside[r.stack_start as usize] = 1;
        let pos = r.stack_start + 8;
        inside[64..68].copy_from_slice(&(pos as u32).to_le_bytes());
        assert_eq!(r.check_unwind_writes(&before, &inside), Ok(()));
        let mut past_end = before.clone();
        past_end[r.stack_end as usize] = 1;
        assert!(r.check_unwind_writes(&before, &past_end).is_err());
        let mut below = before.clone();
        below[3] = 1;
        assert!(r.check_unwind_writes(&before, &below).is_err());
        let mut stack_write = before.clone();
        stack_write[r.stack_start as usize] = 1;
        assert!(r.check_rewind_writes(&before, &stack_write).is_err());
    }
}
