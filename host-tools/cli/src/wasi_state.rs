//! The WASI side of a checkpoint: [`WasiHost`] is the store data of `rewind
//! run` and `rewind resume` under rewind-host — a wasi-common context plus
//! a record of where each open descriptor came from — and can be saved
//! with a snapshot and rebuilt from one.
//!
//! wasi-common does not tell which file a descriptor is, so [`WasiHost`]
//! watches the calls that open, close and renumber descriptors. A snapshot
//! can hold descriptors that are stdio (the new process's own stdio is
//! used: output is appended to it, input read from where it stands),
//! preopened directories (given again with `--dir`, same guest names in the
//! same order), and files and directories opened under a preopen: they are
//! reopened by path, without creating or truncating, at the same
//! descriptor number and offset. Anything else (a socket, a descriptor moved
//! over stdio or a preopen) makes the snapshot fail, naming it. File
//! contents are not saved: a file changed or removed since the checkpoint
//! is what the resumed program sees (or a clear error if it is gone).

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use rewind_host::snapshot::{Reader, Writer};
use rewind_host::wasmi::Val;
use wasmi_wasi::WasiCtx;
use wasmi_wasi::sync::{Dir, WasiCtxBuilder, ambient_authority};

use crate::wasi::{self, HasWasi};

/// Version of the WASI state layout inside a snapshot's host state.
const VERSION: u32 = 1;
/// `oflags` that must not be repeated when reopening: creat, excl, trunc.
const CREATING: i32 = 1 | 4 | 8;
/// `filetype` values of `fd_fdstat_get`.
const DIRECTORY: u8 = 3;
const REGULAR_FILE: u8 = 4;

/// A preopened directory: `HOST[::GUEST]` as given to `--dir`.
#[derive(Debug, Clone)]
pub struct Preopen {
    pub host: String,
    pub guest: String,
}

impl Preopen {
    /// Parses `HOST[::GUEST]`.
    pub fn parse(spec: &str) -> Preopen {
        let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
        Preopen {
            host: host.to_string(),
            guest: guest.to_string(),
        }
    }

    /// `HOST[::GUEST]` again, for messages.
    fn spec(&self) -> String {
        if self.host == self.guest {
            self.host.clone()
        } else {
            format!("{}::{}", self.host, self.guest)
        }
    }
}

/// Where an open descriptor came from.
#[derive(Debug, Clone, PartialEq)]
enum Origin {
    /// Standard input, output or error, at its own number.
    Stdio,
    /// A preopened directory, at its own number.
    Preopen,
    /// `path_open` under a preopen.
    Opened(Opened),
    /// Something a snapshot cannot reopen, and why.
    Other(String),
}

/// The arguments of the `path_open` that made a descriptor, with the path
/// made relative to the preopen.
#[derive(Debug, Clone, PartialEq)]
struct Opened {
    preopen: u32,
    path: String,
    dirflags: i32,
    oflags: i32,
    rights_base: i64,
    rights_inheriting: i64,
    fdflags: i32,
}

/// The store data: the WASI context and what it was made from.
pub struct WasiHost {
    ctx: WasiCtx,
    args: Vec<String>,
    env: Vec<(String, String)>,
    preopens: Vec<Preopen>,
    fds: BTreeMap<u32, Origin>,
    /// The number wasi-common gives the next descriptor it opens.
    next_fd: u32,
}

impl std::fmt::Debug for WasiHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiHost")
            .field("args", &self.args)
            .field("fds", &self.fds)
            .finish_non_exhaustive()
    }
}

impl WasiHost {
    /// A context with `args` (argv, the program's name first), `env`,
    /// `preopens` and this process's stdio.
    pub fn new(
        args: Vec<String>,
        env: Vec<(String, String)>,
        preopens: Vec<Preopen>,
    ) -> Result<Self> {
        let mut builder = WasiCtxBuilder::new();
        builder.inherit_stdio();
        for arg in &args {
            builder
                .arg(arg)
                .map_err(|e| anyhow!("argument `{arg}`: {e}"))?;
        }
        for (key, value) in &env {
            builder
                .env(key, value)
                .map_err(|e| anyhow!("environment variable `{key}`: {e}"))?;
        }
        for preopen in &preopens {
            let spec = preopen.spec();
            let dir =
                Dir::open_ambient_dir(&preopen.host, ambient_authority()).with_context(|| {
                    format!("--dir `{spec}`: cannot open directory `{}`", preopen.host)
                })?;
            builder
                .preopened_dir(dir, &preopen.guest)
                .map_err(|e| anyhow!("--dir `{spec}`: {e}"))?;
        }
        let mut fds: BTreeMap<u32, Origin> = (0..3).map(|fd| (fd, Origin::Stdio)).collect();
        let next_fd = 3 + preopens.len() as u32;
        fds.extend((3..next_fd).map(|fd| (fd, Origin::Preopen)));
        Ok(WasiHost {
            ctx: builder.build(),
            args,
            env,
            preopens,
            fds,
            next_fd,
        })
    }

    /// The context alone, for plain wasmi.
    pub fn into_ctx(self) -> WasiCtx {
        self.ctx
    }

    /// The state to save with a snapshot.
    ///
    /// # Errors
    ///
    /// A descriptor that cannot be reopened, named by number and origin.
    pub fn save(&mut self, w: &mut Writer) -> Result<()> {
        w.u32(VERSION);
        w.u64(self.args.len() as u64);
        for arg in &self.args {
            w.str(arg);
        }
        w.u64(self.env.len() as u64);
        for (key, value) in &self.env {
            w.str(key);
            w.str(value);
        }
        w.u64(self.preopens.len() as u64);
        for preopen in &self.preopens {
            w.str(&preopen.guest);
        }
        w.u32(self.next_fd);
        w.u64(self.fds.len() as u64);
        for (&fd, origin) in &self.fds {
            w.u32(fd);
            match origin {
                Origin::Stdio => w.u8(0),
                Origin::Preopen => w.u8(1),
                Origin::Opened(opened) => {
                    let offset = offset(&mut self.ctx, fd, opened)?;
                    w.u8(2);
                    w.u32(opened.preopen);
                    w.str(&opened.path);
                    w.u32(opened.dirflags as u32);
                    w.u32(opened.oflags as u32);
                    w.u64(opened.rights_base as u64);
                    w.u64(opened.rights_inheriting as u64);
                    w.u32(opened.fdflags as u32);
                    match offset {
                        None => w.u8(0),
                        Some(offset) => {
                            w.u8(1);
                            w.u64(offset);
                        }
                    }
                }
                Origin::Other(what) => bail!(
                    "descriptor {fd} is {what}; only stdio and files under preopened directories can be saved"
                ),
            }
        }
        Ok(())
    }

    /// Rebuilds the state saved by [`WasiHost::save`], with `preopens`
    /// (the `--dir` given again) in place of the saved ones.
    ///
    /// # Errors
    ///
    /// Malformed state, preopens that do not match the saved guest paths,
    /// a file that cannot be reopened.
    pub fn restore(r: &mut Reader<'_>, preopens: Vec<Preopen>) -> Result<Self> {
        let version = r.u32("WASI state version")?;
        if version != VERSION {
            bail!("WASI state version {version} is not supported (this build reads {VERSION})");
        }
        let mut args = Vec::new();
        for _ in 0..r.count(8, "argument count")? {
            args.push(r.str("argument")?.to_string());
        }
        let mut env = Vec::new();
        for _ in 0..r.count(16, "environment count")? {
            env.push((r.str("variable")?.to_string(), r.str("value")?.to_string()));
        }
        let mut saved = Vec::new();
        for _ in 0..r.count(8, "preopen count")? {
            saved.push(r.str("preopen")?.to_string());
        }
        let given: Vec<&str> = preopens.iter().map(|p| p.guest.as_str()).collect();
        if given != saved {
            bail!(
                "the snapshot's preopened directories are [{}] (as the program sees them), --dir gives [{}]: give the same GUEST paths in the same order",
                saved.join(", "),
                given.join(", ")
            );
        }
        let next_fd = r.u32("next descriptor")?;
        let mut fds = BTreeMap::new();
        let mut offsets = BTreeMap::new();
        for _ in 0..r.count(5, "descriptor count")? {
            let fd = r.u32("descriptor")?;
            let origin = match r.u8("descriptor kind")? {
                0 if fd < 3 => Origin::Stdio,
                1 if (3..3 + saved.len() as u32).contains(&fd) => Origin::Preopen,
                2 => {
                    let opened = Opened {
                        preopen: r.u32("preopen")?,
                        path: r.str("path")?.to_string(),
                        dirflags: r.u32("dirflags")? as i32,
                        oflags: r.u32("oflags")? as i32,
                        rights_base: r.u64("rights")? as i64,
                        rights_inheriting: r.u64("inherited rights")? as i64,
                        fdflags: r.u32("fdflags")? as i32,
                    };
                    if r.u8("offset kind")? == 1 {
                        offsets.insert(fd, r.u64("offset")?);
                    }
                    Origin::Opened(opened)
                }
                kind => bail!("descriptor {fd} has an invalid kind {kind}"),
            };
            fds.insert(fd, origin);
        }

        let mut host = WasiHost::new(args, env, preopens)?;
        // Stdio and preopens the program closed.
        let initial: Vec<u32> = host.fds.keys().copied().collect();
        for fd in initial.into_iter().filter(|fd| !fds.contains_key(fd)) {
            host.call("fd_close", &mut [], &[Val::I32(fd as i32)])?;
        }
        let mut next_key = host.next_fd;
        for (&fd, origin) in &fds {
            let Origin::Opened(opened) = origin else {
                continue;
            };
            let reopened = host
                .reopen(opened)
                .with_context(|| format!("cannot reopen descriptor {fd}, `{}`", opened.path))?;
            next_key = reopened + 1;
            host.ctx
                .table()
                .renumber(reopened, fd)
                .map_err(|e| anyhow!("descriptor {fd}: {e}"))?;
            if let Some(&offset) = offsets.get(&fd) {
                let params = [
                    Val::I32(fd as i32),
                    Val::I64(offset as i64),
                    Val::I32(0),
                    Val::I32(0),
                ];
                host.call("fd_seek", &mut [0; 8], &params)
                    .with_context(|| format!("cannot seek descriptor {fd} to {offset}"))?;
            }
        }
        // Descriptors the program opens from now on get the numbers they
        // would have got without the checkpoint.
        while next_key < next_fd {
            let key = host
                .ctx
                .table()
                .push(Arc::new(()))
                .map_err(|e| anyhow!("{e}"))?;
            host.ctx.table().delete::<()>(key);
            next_key = key + 1;
        }
        host.fds = fds;
        host.next_fd = next_fd;
        Ok(host)
    }

    /// Opens `opened` again without creating or truncating; returns the
    /// new descriptor.
    fn reopen(&mut self, opened: &Opened) -> Result<u32> {
        let path = opened.path.as_bytes();
        let result = path.len().next_multiple_of(4);
        let mut scratch = vec![0; result + 4];
        scratch[..path.len()].copy_from_slice(path);
        let params = [
            Val::I32(opened.preopen as i32),
            Val::I32(opened.dirflags),
            Val::I32(0),
            Val::I32(path.len() as i32),
            Val::I32(opened.oflags & !CREATING),
            Val::I64(opened.rights_base),
            Val::I64(opened.rights_inheriting),
            Val::I32(opened.fdflags),
            Val::I32(result as i32),
        ];
        self.call("path_open", &mut scratch, &params)?;
        let mut fd = [0; 4];
        fd.copy_from_slice(&scratch[result..]);
        Ok(u32::from_le_bytes(fd))
    }

    /// A preview1 call that must succeed.
    fn call(&mut self, name: &str, scratch: &mut [u8], params: &[Val]) -> Result<()> {
        match wasi::call_on(&mut self.ctx, name, scratch, params)? {
            0 => Ok(()),
            errno => bail!("`{name}` failed with WASI errno {errno}"),
        }
    }

    /// Records a descriptor the guest opened with `path_open`.
    fn opened(&mut self, params: &[Val], memory: &[u8]) {
        let int = |i: usize| params.get(i).and_then(Val::i32).unwrap_or(0);
        let long = |i: usize| params.get(i).and_then(Val::i64).unwrap_or(0);
        let read =
            |ptr: i32, len: usize| memory.get(ptr as u32 as usize..).and_then(|m| m.get(..len));
        let Some(fd) = read(int(8), 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) else {
            return;
        };
        self.next_fd = fd + 1;
        let path = read(int(2), int(3) as u32 as usize).map(String::from_utf8_lossy);
        let dir = int(0) as u32;
        let origin = match (self.fds.get(&dir), path) {
            (Some(Origin::Preopen), Some(path)) => Origin::Opened(Opened {
                preopen: dir,
                path: path.into_owned(),
                dirflags: int(1),
                oflags: int(4),
                rights_base: long(5),
                rights_inheriting: long(6),
                fdflags: int(7),
            }),
            (Some(Origin::Opened(base)), Some(path)) => Origin::Opened(Opened {
                path: format!("{}/{path}", base.path),
                dirflags: int(1),
                oflags: int(4),
                rights_base: long(5),
                rights_inheriting: long(6),
                fdflags: int(7),
                ..base.clone()
            }),
            _ => Origin::Other(format!("a file opened relative to descriptor {dir}")),
        };
        self.fds.insert(fd, origin);
    }
}

/// The offset of regular file `fd`, `None` for a directory.
fn offset(ctx: &mut WasiCtx, fd: u32, opened: &Opened) -> Result<Option<u64>> {
    let what = || format!("descriptor {fd} (`{}`)", opened.path);
    let mut scratch = [0u8; 24];
    let errno = wasi::call_on(
        ctx,
        "fd_fdstat_get",
        &mut scratch,
        &[Val::I32(fd as i32), Val::I32(0)],
    )?;
    if errno != 0 {
        bail!("{}: fd_fdstat_get failed with errno {errno}", what());
    }
    match scratch[0] {
        DIRECTORY => Ok(None),
        REGULAR_FILE => {
            let errno = wasi::call_on(
                ctx,
                "fd_tell",
                &mut scratch,
                &[Val::I32(fd as i32), Val::I32(0)],
            )?;
            if errno != 0 {
                bail!("{}: fd_tell failed with errno {errno}", what());
            }
            let mut offset = [0; 8];
            offset.copy_from_slice(&scratch[..8]);
            Ok(Some(u64::from_le_bytes(offset)))
        }
        filetype => bail!(
            "{} is neither a regular file nor a directory (filetype {filetype})",
            what()
        ),
    }
}

impl HasWasi for WasiHost {
    fn wasi(&mut self) -> &mut WasiCtx {
        &mut self.ctx
    }

    fn succeeded(&mut self, name: &str, params: &[Val], memory: &[u8]) {
        let fd = |i: usize| params.get(i).and_then(Val::i32).unwrap_or(0) as u32;
        match name {
            "path_open" => self.opened(params, memory),
            "fd_close" => {
                self.fds.remove(&fd(0));
            }
            "fd_renumber" if fd(0) != fd(1) => {
                let moved = match self.fds.remove(&fd(0)) {
                    Some(Origin::Opened(opened)) => Origin::Opened(opened),
                    _ => Origin::Other(format!("descriptor {} renumbered", fd(0))),
                };
                self.fds.insert(fd(1), moved);
            }
            "sock_accept" => {
                if let Some(b) = memory.get(fd(2) as usize..).and_then(|m| m.get(..4)) {
                    let new = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    self.next_fd = new + 1;
                    self.fds.insert(new, Origin::Other("a socket".to_string()));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opens `name` in the first preopen as the guest would, writes `text`.
    fn open_and_write(host: &mut WasiHost, name: &str, text: &[u8]) -> u32 {
        let mut memory = vec![0u8; 256];
        memory[..name.len()].copy_from_slice(name.as_bytes());
        // rights: fd_read | fd_seek | fd_tell | fd_write
        let rights = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 6);
        let params = [
            Val::I32(3),
            Val::I32(0),
            Val::I32(0),
            Val::I32(name.len() as i32),
            Val::I32(1),
            Val::I64(rights),
            Val::I64(0),
            Val::I32(0),
            Val::I32(128),
        ];
        assert_eq!(
            wasi::call_on(&mut host.ctx, "path_open", &mut memory, &params).unwrap(),
            0
        );
        host.succeeded("path_open", &params, &memory);
        let fd = u32::from_le_bytes(memory[128..132].try_into().unwrap());
        // One iovec at 64: { ptr 160, len }.
        memory[64..68].copy_from_slice(&160u32.to_le_bytes());
        memory[68..72].copy_from_slice(&(text.len() as u32).to_le_bytes());
        memory[160..160 + text.len()].copy_from_slice(text);
        let params = [Val::I32(fd as i32), Val::I32(64), Val::I32(1), Val::I32(72)];
        assert_eq!(
            wasi::call_on(&mut host.ctx, "fd_write", &mut memory, &params).unwrap(),
            0
        );
        fd
    }

    fn scratch(test: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("rewind-wasi-state-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_open_file_is_reopened_at_its_number_and_offset() {
        let dir = scratch("reopen");
        let preopen = Preopen::parse(&format!("{}::/data", dir.display()));
        let mut host = WasiHost::new(vec!["p".into()], vec![], vec![preopen.clone()]).unwrap();
        let first = open_and_write(&mut host, "a.txt", b"hello ");
        let second = open_and_write(&mut host, "b.txt", b"x");
        let close = [Val::I32(second as i32)];
        host.call("fd_close", &mut [], &close).unwrap();
        host.succeeded("fd_close", &close, &[]);
        let mut w = Writer::new();
        host.save(&mut w).unwrap();
        let bytes = w.into_bytes();

        let mut restored = WasiHost::restore(&mut Reader::new(&bytes), vec![preopen]).unwrap();
        let mut memory = vec![0u8; 64];
        memory[..6].copy_from_slice(b"world\n");
        memory[16..20].copy_from_slice(&0u32.to_le_bytes());
        memory[20..24].copy_from_slice(&6u32.to_le_bytes());
        let params = [
            Val::I32(first as i32),
            Val::I32(16),
            Val::I32(1),
            Val::I32(24),
        ];
        assert_eq!(
            wasi::call_on(&mut restored.ctx, "fd_write", &mut memory, &params).unwrap(),
            0
        );
        assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"hello world\n");
        // The next file opened gets the number it would have got.
        let third = open_and_write(&mut restored, "c.txt", b"");
        assert_eq!(third, second + 1);
    }

    #[test]
    fn other_preopens_and_removed_files_are_errors() {
        let dir = scratch("errors");
        let preopen = Preopen::parse(&format!("{}::/data", dir.display()));
        let mut host = WasiHost::new(vec![], vec![], vec![preopen.clone()]).unwrap();
        open_and_write(&mut host, "gone.txt", b"1");
        let mut w = Writer::new();
        host.save(&mut w).unwrap();
        let bytes = w.into_bytes();
        let other = Preopen::parse(&format!("{}::/elsewhere", dir.display()));
        let error = WasiHost::restore(&mut Reader::new(&bytes), vec![other]).unwrap_err();
        assert!(format!("{error:#}").contains("[/data]"), "{error:#}");
        std::fs::remove_file(dir.join("gone.txt")).unwrap();
        let error = WasiHost::restore(&mut Reader::new(&bytes), vec![preopen]).unwrap_err();
        assert!(
            format!("{error:#}").contains("cannot reopen descriptor 4, `gone.txt`"),
            "{error:#}"
        );
    }

    #[test]
    fn a_socket_cannot_be_saved() {
        let mut host = WasiHost::new(vec![], vec![], vec![]).unwrap();
        let mut memory = [0u8; 8];
        memory[..4].copy_from_slice(&9u32.to_le_bytes());
        host.succeeded(
            "sock_accept",
            &[Val::I32(3), Val::I32(0), Val::I32(0)],
            &memory,
        );
        let error = host.save(&mut Writer::new()).unwrap_err();
        assert!(
            error.to_string().contains("descriptor 9 is a socket"),
            "{error}"
        );
    }
}
