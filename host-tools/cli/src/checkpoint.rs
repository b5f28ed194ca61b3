//! Checkpoint files of `rewind run --checkpoint` and `rewind resume`: a
//! rewind-host [`Snapshot`] whose host state holds how the run was driven
//! and how far it got ([`RunState`]), then the WASI state ([`WasiHost`]).
//!
//! A checkpoint is written to `FILE.tmp` and renamed over `FILE`, so `FILE`
//! is always a whole checkpoint, the old one or the new one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rewind_host::snapshot::{Reader, Writer};
use rewind_host::{Instance, Snapshot, SuspendedCall};

use crate::drive::Tally;
use crate::wasi_state::{Preopen, WasiHost};
use crate::yields::Counter;

/// Version of the run state inside a snapshot's host state.
const VERSION: u32 = 1;

/// How the run was driven, and how far it got: what `rewind resume` needs
/// to go on the same way and to end with the counts of an uninterrupted
/// run.
#[derive(Debug)]
pub struct RunState {
    /// Fuel per slice, for runs in slices.
    pub slice: Option<u64>,
    /// The `--suspend-at` patterns.
    pub suspend_at: Vec<String>,
    /// Slices started so far, over every process.
    pub slices: u64,
    /// Suspensions and yields so far, over every process.
    pub tally: Tally,
}

/// Writes the checkpoint of `call` to `path`, atomically.
///
/// # Errors
///
/// What cannot be saved (named), or the file cannot be written.
pub fn write(
    path: &Path,
    instance: &mut Instance<WasiHost>,
    call: &mut SuspendedCall,
    state: &RunState,
) -> Result<()> {
    write_file(path, instance, call, state)
        .with_context(|| format!("failed to write checkpoint `{}`", path.display()))
}

fn write_file(
    path: &Path,
    instance: &mut Instance<WasiHost>,
    call: &mut SuspendedCall,
    state: &RunState,
) -> Result<()> {
    // A call on a WASI round trip that has done its work is saved with its
    // result: polling it again completes it.
    call.is_ready();
    let mut snapshot = instance.snapshot(call)?;
    let mut w = Writer::new();
    w.u32(VERSION);
    optional(&mut w, state.slice);
    w.u64(state.suspend_at.len() as u64);
    for pattern in &state.suspend_at {
        w.str(pattern);
    }
    w.u64(state.slices);
    optional(&mut w, state.tally.suspensions);
    optional(&mut w, state.tally.yields.as_ref().map(Counter::count));
    instance
        .data_mut()
        .save(&mut w)
        .context("cannot save the WASI state")?;
    snapshot.set_host_state(w.into_bytes());

    let temp = temp_path(path);
    std::fs::write(&temp, snapshot.to_bytes())
        .with_context(|| format!("failed to write `{}`", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| {
        format!(
            "failed to rename `{}` to `{}`",
            temp.display(),
            path.display()
        )
    })
}

/// Reads the checkpoint at `path`, rebuilding its WASI state with
/// `preopens`.
///
/// # Errors
///
/// The file cannot be read, is not a checkpoint (truncated, corrupted, of
/// another version), or its WASI state cannot be rebuilt.
pub fn read(path: &Path, preopens: Vec<Preopen>) -> Result<(Snapshot, RunState, WasiHost)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let snapshot = Snapshot::from_bytes(&bytes)?;
    let mut r = Reader::new(snapshot.host_state());
    let version = r.u32("run state version")?;
    if version != VERSION {
        bail!("run state version {version} is not supported (this build reads {VERSION})");
    }
    let slice = read_optional(&mut r, "slice")?;
    let mut suspend_at = Vec::new();
    for _ in 0..r.count(8, "--suspend-at count")? {
        suspend_at.push(r.str("--suspend-at pattern")?.to_string());
    }
    let slices = r.u64("slices")?;
    let tally = Tally {
        suspensions: read_optional(&mut r, "suspensions")?,
        yields: read_optional(&mut r, "yields")?.map(Counter::resumed),
    };
    let state = RunState {
        slice,
        suspend_at,
        slices,
        tally,
    };
    let host = WasiHost::restore(&mut r, preopens)?;
    if !r.is_empty() {
        bail!("bytes left after the WASI state");
    }
    Ok((snapshot, state, host))
}

/// Removes the checkpoint at `path` once the program has finished: it
/// would only run the end again.
///
/// # Errors
///
/// The file exists but cannot be removed.
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("failed to remove `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// `u8 0`, or `u8 1` and the value.
fn optional(w: &mut Writer, value: Option<u64>) {
    match value {
        None => w.u8(0),
        Some(value) => {
            w.u8(1);
            w.u64(value);
        }
    }
}

/// What [`optional`] wrote.
fn read_optional(r: &mut Reader<'_>, what: &str) -> Result<Option<u64>> {
    match r.u8(what)? {
        0 => Ok(None),
        1 => Ok(Some(r.u64(what)?)),
        kind => bail!("invalid {what} kind {kind}"),
    }
}

/// `FILE.tmp`, next to `FILE`.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}
