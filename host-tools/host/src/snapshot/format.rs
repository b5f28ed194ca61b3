//! The byte format of a [`Snapshot`] (described in `docs/snapshots.md`):
//! a header (magic, version, total length), the body, and a CRC-32 of all
//! that precedes it. Reading checks the header and the checksum before
//! looking at the body, then reads the body with bounds checks everywhere.

use super::codec::{Reader, Writer};
use super::{
    CallImage, DriverImage, MemoryImage, Snapshot, SnapshotError, TableImage, Value, WaitImage,
};
use crate::config::{Placement, ResumeOrder};
use wasmi::ValType;

/// The first bytes of every snapshot.
const MAGIC: [u8; 8] = *b"\0rwsnap\n";
/// The format version this build reads and writes.
pub const VERSION: u32 = 1;
/// Magic, version, total length.
const HEADER: usize = 8 + 4 + 8;
/// The CRC-32 at the end.
const TRAILER: usize = 4;

impl Snapshot {
    /// The snapshot as bytes, to store anywhere.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(&MAGIC);
        w.u32(VERSION);
        w.u64(0); // the total length, patched below
        w.raw(&self.module_hash);
        write_call(&mut w, &self.call);
        write_driver(&mut w, &self.driver);
        w.u64(self.memories.len() as u64);
        for memory in &self.memories {
            w.u32(memory.index);
            w.u64(memory.pages);
            w.u64(memory.len);
            w.u64(memory.runs.len() as u64);
            for (offset, bytes) in &memory.runs {
                w.u64(*offset);
                w.bytes(bytes);
            }
        }
        w.u64(self.globals.len() as u64);
        for (index, value) in &self.globals {
            w.u32(*index);
            write_value(&mut w, value);
        }
        w.u64(self.tables.len() as u64);
        for table in &self.tables {
            w.u32(table.index);
            write_values(&mut w, &table.elements);
        }
        w.bytes(&self.host);
        let mut bytes = w.into_bytes();
        let total = (bytes.len() + TRAILER) as u64;
        bytes[12..HEADER].copy_from_slice(&total.to_le_bytes());
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes
    }

    /// Reads a snapshot written by [`Snapshot::to_bytes`].
    ///
    /// # Errors
    ///
    /// [`SnapshotError::BadMagic`], [`SnapshotError::Version`],
    /// [`SnapshotError::Truncated`], [`SnapshotError::Checksum`],
    /// [`SnapshotError::Malformed`]. Whether the snapshot fits a module is
    /// checked by [`Instance::restore`](crate::Instance::restore).
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let mut header = Reader::new(bytes);
        let truncated = |expected| SnapshotError::Truncated {
            found: bytes.len() as u64,
            expected,
        };
        match header.raw(MAGIC.len() as u64, "magic") {
            Ok(magic) if magic == MAGIC => {}
            Err(_) if MAGIC.starts_with(bytes) => return Err(truncated(HEADER as u64)),
            _ => return Err(SnapshotError::BadMagic),
        }
        let found = header
            .u32("version")
            .map_err(|_| truncated(HEADER as u64))?;
        if found != VERSION {
            return Err(SnapshotError::Version {
                found,
                supported: VERSION,
            });
        }
        let total = header.u64("length").map_err(|_| truncated(HEADER as u64))?;
        if total != bytes.len() as u64 {
            return Err(if total > bytes.len() as u64 {
                truncated(total)
            } else {
                SnapshotError::Malformed(format!("{} bytes, the header says {total}", bytes.len()))
            });
        }
        if bytes.len() < HEADER + TRAILER {
            return Err(SnapshotError::Malformed(format!(
                "{} bytes is too short for a snapshot",
                bytes.len()
            )));
        }
        let (content, trailer) = bytes.split_at(bytes.len() - TRAILER);
        let stored = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let computed = crc32fast::hash(content);
        if stored != computed {
            return Err(SnapshotError::Checksum { stored, computed });
        }

        let mut r = Reader::new(&content[HEADER..]);
        let mut module_hash = [0; 32];
        module_hash.copy_from_slice(r.raw(32, "module hash")?);
        let call = read_call(&mut r)?;
        let driver = read_driver(&mut r)?;
        let mut memories = Vec::new();
        for _ in 0..r.count(28, "memory count")? {
            let index = r.u32("memory index")?;
            let pages = r.u64("memory pages")?;
            let len = r.u64("memory length")?;
            let mut runs = Vec::new();
            for _ in 0..r.count(16, "memory run count")? {
                let offset = r.u64("memory run offset")?;
                let data = r.bytes("memory run")?;
                if offset
                    .checked_add(data.len() as u64)
                    .is_none_or(|end| end > len)
                {
                    return Err(SnapshotError::Malformed(format!(
                        "memory {index}: a run at {offset:#x} of {} bytes lies outside its {len} bytes",
                        data.len()
                    )));
                }
                runs.push((offset, data.to_vec()));
            }
            memories.push(MemoryImage {
                index,
                pages,
                len,
                runs,
            });
        }
        let mut globals = Vec::new();
        for _ in 0..r.count(5, "global count")? {
            globals.push((r.u32("global index")?, read_value(&mut r)?));
        }
        let mut tables = Vec::new();
        for _ in 0..r.count(12, "table count")? {
            let index = r.u32("table index")?;
            tables.push(TableImage {
                index,
                elements: read_values(&mut r)?,
            });
        }
        let host = r.bytes("host state")?.to_vec();
        if !r.is_empty() {
            return Err(SnapshotError::Malformed(
                "bytes left after the host state".to_string(),
            ));
        }
        Ok(Snapshot {
            module_hash,
            call,
            driver,
            memories,
            globals,
            tables,
            host,
        })
    }
}

fn write_call(w: &mut Writer, call: &CallImage) {
    w.u64(call.id);
    w.str(&call.export);
    write_values(w, &call.args);
    match &call.wait {
        WaitImage::Yield {
            import,
            params,
            results,
        } => {
            w.u8(0);
            w.str(import);
            write_values(w, params);
            w.u64(results.len() as u64);
            for ty in results {
                w.u8(type_code(*ty));
            }
        }
        WaitImage::Ready { import, result } => {
            w.u8(1);
            w.str(import);
            match result {
                Ok(values) => {
                    w.u8(0);
                    write_values(w, values);
                }
                Err(message) => {
                    w.u8(1);
                    w.str(message);
                }
            }
        }
    }
}

fn read_call(r: &mut Reader<'_>) -> Result<CallImage, SnapshotError> {
    let id = r.u64("call id")?;
    let export = r.str("export")?.to_string();
    let args = read_values(r)?;
    let wait = match r.u8("suspension kind")? {
        0 => {
            let import = r.str("import")?.to_string();
            let params = read_values(r)?;
            let mut results = Vec::new();
            for _ in 0..r.count(1, "result count")? {
                results.push(read_type(r)?);
            }
            WaitImage::Yield {
                import,
                params,
                results,
            }
        }
        1 => {
            let import = r.str("import")?.to_string();
            let result = match r.u8("future result kind")? {
                0 => Ok(read_values(r)?),
                1 => Err(r.str("future error")?.to_string()),
                other => return Err(bad("future result kind", other)),
            };
            WaitImage::Ready { import, result }
        }
        other => return Err(bad("suspension kind", other)),
    };
    Ok(CallImage {
        id,
        export,
        args,
        wait,
    })
}

fn write_driver(w: &mut Writer, d: &DriverImage) {
    w.u64(d.buffer);
    w.u64(d.free.len() as u64);
    for &buffer in &d.free {
        w.u64(buffer);
    }
    w.u64(d.placed);
    w.u64(d.buffer_size);
    match &d.placement {
        Placement::Auto => w.u8(0),
        Placement::GrowMemory => w.u8(1),
        Placement::Allocator(name) => {
            w.u8(2);
            w.str(name);
        }
    }
    w.u8(match d.resume_order {
        ResumeOrder::Auto => 0,
        ResumeOrder::Lifo => 1,
        ResumeOrder::Any => 2,
    });
    match &d.memory {
        None => w.u8(0),
        Some(name) => {
            w.u8(1);
            w.str(name);
        }
    }
    w.u64(d.fuel_total);
    w.u64(d.fuel_last);
}

fn read_driver(r: &mut Reader<'_>) -> Result<DriverImage, SnapshotError> {
    let buffer = r.u64("save buffer")?;
    let mut free = Vec::new();
    for _ in 0..r.count(8, "free buffer count")? {
        free.push(r.u64("free buffer")?);
    }
    let placed = r.u64("buffers placed")?;
    let buffer_size = r.u64("buffer size")?;
    let placement = match r.u8("placement")? {
        0 => Placement::Auto,
        1 => Placement::GrowMemory,
        2 => Placement::Allocator(r.str("allocator")?.to_string()),
        other => return Err(bad("placement", other)),
    };
    let resume_order = match r.u8("resume order")? {
        0 => ResumeOrder::Auto,
        1 => ResumeOrder::Lifo,
        2 => ResumeOrder::Any,
        other => return Err(bad("resume order", other)),
    };
    let memory = match r.u8("buffer memory")? {
        0 => None,
        1 => Some(r.str("buffer memory name")?.to_string()),
        other => return Err(bad("buffer memory", other)),
    };
    Ok(DriverImage {
        buffer,
        free,
        placed,
        buffer_size,
        placement,
        resume_order,
        memory,
        fuel_total: r.u64("fuel consumed")?,
        fuel_last: r.u64("fuel of the last slice")?,
    })
}

fn write_values(w: &mut Writer, values: &[Value]) {
    w.u64(values.len() as u64);
    for value in values {
        write_value(w, value);
    }
}

fn read_values(r: &mut Reader<'_>) -> Result<Vec<Value>, SnapshotError> {
    let n = r.count(1, "value count")?;
    (0..n).map(|_| read_value(r)).collect()
}

fn write_value(w: &mut Writer, value: &Value) {
    match *value {
        Value::I32(v) => {
            w.u8(0);
            w.u32(v as u32);
        }
        Value::I64(v) => {
            w.u8(1);
            w.u64(v as u64);
        }
        Value::F32(bits) => {
            w.u8(2);
            w.u32(bits);
        }
        Value::F64(bits) => {
            w.u8(3);
            w.u64(bits);
        }
        Value::V128(bits) => {
            w.u8(4);
            w.raw(&bits.to_le_bytes());
        }
        Value::FuncRef(None) => w.u8(5),
        Value::FuncRef(Some(index)) => {
            w.u8(6);
            w.u32(index);
        }
        Value::NullExternRef => w.u8(7),
    }
}

fn read_value(r: &mut Reader<'_>) -> Result<Value, SnapshotError> {
    Ok(match r.u8("value type")? {
        0 => Value::I32(r.u32("i32")? as i32),
        1 => Value::I64(r.u64("i64")? as i64),
        2 => Value::F32(r.u32("f32")?),
        3 => Value::F64(r.u64("f64")?),
        4 => {
            let mut bits = [0; 16];
            bits.copy_from_slice(r.raw(16, "v128")?);
            Value::V128(u128::from_le_bytes(bits))
        }
        5 => Value::FuncRef(None),
        6 => Value::FuncRef(Some(r.u32("function index")?)),
        7 => Value::NullExternRef,
        other => return Err(bad("value type", other)),
    })
}

fn type_code(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
        ValType::V128 => 4,
        ValType::FuncRef => 5,
        ValType::ExternRef => 6,
    }
}

fn read_type(r: &mut Reader<'_>) -> Result<ValType, SnapshotError> {
    Ok(match r.u8("result type")? {
        0 => ValType::I32,
        1 => ValType::I64,
        2 => ValType::F32,
        3 => ValType::F64,
        4 => ValType::V128,
        5 => ValType::FuncRef,
        6 => ValType::ExternRef,
        other => return Err(bad("result type", other)),
    })
}

fn bad(what: &str, code: u8) -> SnapshotError {
    SnapshotError::Malformed(format!("unknown {what} {code}"))
}
