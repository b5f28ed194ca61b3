//! The medium benchmark module: streams JSON values from the suspending
//! `env.read_input`, gathers statistics, and writes each value back
//! pretty-printed with sorted keys. Only `serde_json` is linked in.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use serde_json::Value;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn read_input(buf: *mut u8, len: usize) -> usize;
    fn yield_now();
    fn write_output(ptr: *const u8, len: usize);
    fn log(level: u32, ptr: *const u8, len: usize);
}

struct HostInput;

impl Read for HostInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for `buf.len()` bytes of writes.
        let n = unsafe { read_input(buf.as_mut_ptr(), buf.len()) };
        Ok(n.min(buf.len()))
    }
}

struct HostOutput;

impl Write for HostOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for `buf.len()` bytes of reads.
        unsafe { write_output(buf.as_ptr(), buf.len()) };
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn sorted(value: Value, ticks: &mut u32) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(|v| sorted(v, ticks)).collect()),
        Value::Object(map) => {
            *ticks += 1;
            if (*ticks).is_multiple_of(32) {
                // SAFETY: a host call without arguments.
                unsafe { yield_now() };
            }
            let map: BTreeMap<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k, sorted(v, ticks)))
                .collect();
            Value::Object(map.into_iter().collect())
        }
        other => other,
    }
}

/// Processes every JSON value of the input; returns how many, or -1.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i32 {
    let mut ticks = 0;
    let mut count = 0;
    let stream = serde_json::Deserializer::from_reader(io::BufReader::new(HostInput));
    for value in stream.into_iter::<Value>() {
        let value = match value {
            Ok(v) => v,
            Err(e) => {
                let msg = e.to_string();
                // SAFETY: `msg` is valid for reads.
                unsafe { log(2, msg.as_ptr(), msg.len()) };
                return -1;
            }
        };
        let value = sorted(value, &mut ticks);
        if serde_json::to_writer_pretty(HostOutput, &value).is_err() {
            return -1;
        }
        let _ = HostOutput.write_all(b"\n");
        count += 1;
        // SAFETY: a host call without arguments.
        unsafe { yield_now() };
    }
    count
}
