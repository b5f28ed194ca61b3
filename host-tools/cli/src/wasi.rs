//! WASI preview1 for `rewind run` and `rewind resume`, from `wasmi_wasi`
//! (wasi-common), in two forms:
//!
//! * for plain wasmi, [`wasmi_wasi::add_to_linker`] as it is;
//! * for rewind-host, every preview1 function defined one by one on a
//!   [`rewind_host::Linker`], so that the ones selected by `--suspend-at`
//!   become *suspending* imports.
//!
//! A suspending WASI import does its work when the guest calls it (reading
//! and writing guest memory, like any WASI call) and then really suspends:
//! its host future is pending on the first poll, so rewind-host unwinds the
//! guest to the driver, and ready on the next one, so the driver rewinds
//! the guest into the import, which returns the call's result. One call,
//! one full unwind/rewind round trip. `proc_exit` never returns, so it is
//! never suspended.
//!
//! The store data under rewind-host is a [`HasWasi`]: besides the context
//! it sees every call that succeeded (`wasi_state.rs` records where each
//! descriptor came from that way), and [`call_on`] lets the host make
//! preview1 calls of its own on a context (to save and reopen descriptors).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use anyhow::anyhow;
use rewind_host::wasmi::{Caller, Extern, FuncType, Val, ValType};
use rewind_host::{BoxError, HostData};
use wasmi_wasi::wasi_common::I32Exit;
use wasmi_wasi::wasi_common::snapshots::preview_1::wasi_snapshot_preview1 as abi;
use wasmi_wasi::{WasiCtx, WasmiGuestMemory};

/// The import module of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// One preview1 function: its name, its core wasm type, and a call of
/// wasi-common's implementation with the guest's arguments.
pub struct WasiFunc {
    /// The import name, e.g. `fd_write`.
    pub name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    call: fn(&mut WasiCtx, &mut WasmiGuestMemory<'_>, &[Val]) -> anyhow::Result<Vec<Val>>,
}

impl WasiFunc {
    /// The function's type.
    pub fn ty(&self) -> FuncType {
        FuncType::new(self.params.iter().copied(), self.results.iter().copied())
    }

    /// Whether the function can return to its caller (only `proc_exit`
    /// cannot), and so can be suspended and resumed.
    pub fn returns(&self) -> bool {
        self.name != "proc_exit"
    }
}

impl std::fmt::Debug for WasiFunc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiFunc")
            .field("name", &self.name)
            .finish()
    }
}

/// Store data that holds a WASI context.
pub trait HasWasi: Send + 'static {
    /// The WASI context.
    fn wasi(&mut self) -> &mut WasiCtx;

    /// Called after each preview1 call that succeeded (errno 0), with the
    /// guest's memory as the call left it.
    fn succeeded(&mut self, name: &str, params: &[Val], memory: &[u8]);
}

/// Defines every preview1 function on `linker`: those for which `suspend`
/// says yes (and that return) as suspending imports that round-trip
/// through an unwind and a rewind on every call, the others as ordinary
/// imports. Returns the names of the suspending ones.
pub fn define<T: HasWasi>(
    linker: &mut rewind_host::Linker<T>,
    suspend: impl Fn(&str) -> bool,
) -> rewind_host::Result<Vec<&'static str>> {
    let mut suspending = Vec::new();
    for func in FUNCTIONS {
        if func.returns() && suspend(func.name) {
            linker.func_async(MODULE, func.name, func.ty(), move |caller, params| {
                RoundTrip::new(call(caller, func, params).map_err(BoxError::from))
            })?;
            suspending.push(func.name);
        } else {
            linker.func_new(
                MODULE,
                func.name,
                func.ty(),
                move |mut caller, params, results| {
                    let values = call(&mut caller, func, params).map_err(into_trap)?;
                    results.clone_from_slice(&values);
                    Ok(())
                },
            )?;
        }
    }
    Ok(suspending)
}

/// Calls wasi-common's `func` with the guest's memory and context.
fn call<T: HasWasi>(
    caller: &mut Caller<'_, HostData<T>>,
    func: &WasiFunc,
    params: &[Val],
) -> anyhow::Result<Vec<Val>> {
    let memory = caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| anyhow!("missing required WASI memory export"))?;
    let (bytes, data) = memory.data_and_store_mut(&mut *caller);
    let data = data.get_mut();
    let values = (func.call)(data.wasi(), &mut WasmiGuestMemory::Unshared(bytes), params)?;
    if let [Val::I32(0)] = values[..] {
        data.succeeded(func.name, params, bytes);
    }
    Ok(values)
}

/// Calls preview1 function `name` on `ctx` with `scratch` standing in for
/// guest memory (pointers in `params` point into it), for the host's own
/// use of WASI (saving and reopening descriptors). Returns the errno.
pub fn call_on(
    ctx: &mut WasiCtx,
    name: &str,
    scratch: &mut [u8],
    params: &[Val],
) -> anyhow::Result<i32> {
    let func = FUNCTIONS
        .iter()
        .find(|func| func.name == name)
        .ok_or_else(|| anyhow!("no WASI function `{name}`"))?;
    // wiggle checks the alignment of host addresses: run on an aligned copy.
    let mut buffer = vec![0u8; scratch.len() + 8];
    let start = buffer.as_ptr().align_offset(8).min(8);
    let memory = &mut buffer[start..start + scratch.len()];
    memory.copy_from_slice(scratch);
    let values = (func.call)(ctx, &mut WasmiGuestMemory::Unshared(memory), params)?;
    scratch.copy_from_slice(memory);
    values
        .first()
        .and_then(Val::i32)
        .ok_or_else(|| anyhow!("`{name}` returns no errno"))
}

/// A WASI error as a wasmi trap; `proc_exit`'s status stays an exit.
fn into_trap(error: anyhow::Error) -> rewind_host::wasmi::Error {
    match error.downcast::<I32Exit>() {
        Ok(I32Exit(status)) => rewind_host::wasmi::Error::i32_exit(status),
        Err(error) => rewind_host::wasmi::Error::new(format!("{error:#}")),
    }
}

/// Runs one of wasi-common's `async fn`s, which complete on their first
/// poll with the synchronous implementation.
fn complete<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(anyhow!("a WASI call did not complete synchronously")),
    }
}

/// The host future of a suspending WASI import: pending once (so the
/// guest really unwinds), then ready with the call's result. A failed call
/// is ready at once: there is nothing to resume.
struct RoundTrip {
    output: Option<Result<Vec<Val>, BoxError>>,
    suspended: bool,
}

impl RoundTrip {
    fn new(output: Result<Vec<Val>, BoxError>) -> Self {
        Self {
            suspended: output.is_err(),
            output: Some(output),
        }
    }
}

impl Future for RoundTrip {
    type Output = Result<Vec<Val>, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.suspended {
            self.suspended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(
            self.output
                .take()
                .unwrap_or_else(|| Err("the WASI call was resumed twice".into())),
        )
    }
}

/// `wasi_snapshot_preview1.NAME`, as `--suspend-at` patterns match it.
pub fn qualified(name: &str) -> String {
    format!("{MODULE}.{name}")
}

macro_rules! val_type {
    (i32) => {
        ValType::I32
    };
    (i64) => {
        ValType::I64
    };
}

macro_rules! arg {
    (i32, $val:expr) => {
        $val.and_then(Val::i32).unwrap_or_default()
    };
    (i64, $val:expr) => {
        $val.and_then(Val::i64).unwrap_or_default()
    };
}

macro_rules! results {
    (i32) => {
        &[ValType::I32]
    };
    (()) => {
        &[]
    };
}

macro_rules! returned {
    (i32, $value:expr) => {
        vec![Val::I32($value)]
    };
    ((), $value:expr) => {{
        let () = $value;
        Vec::new()
    }};
}

/// The preview1 functions with their core types, as `wasmi_wasi` lists
/// them.
macro_rules! preview1 {
    ($( fn $name:ident($($arg:ident: $ty:tt),* $(,)?) -> $ret:tt; )*) => {
        /// Every preview1 function wasi-common implements.
        static FUNCTIONS: &[WasiFunc] = &[$(
            WasiFunc {
                name: stringify!($name),
                params: &[$(val_type!($ty)),*],
                results: results!($ret),
                call: |ctx, memory, args| {
                    #[allow(unused_mut, unused_variables)] // sched_yield has none
                    let mut args = args.iter();
                    $( let $arg = arg!($ty, args.next()); )*
                    let value = complete(abi::$name(ctx, memory, $($arg),*))??;
                    Ok(returned!($ret, value))
                },
            },
        )*];
    };
}

preview1! {
    fn args_get(argv: i32, argv_buf: i32) -> i32;
    fn args_sizes_get(offset0: i32, offset1: i32) -> i32;
    fn environ_get(environ: i32, environ_buf: i32) -> i32;
    fn environ_sizes_get(offset0: i32, offset1: i32) -> i32;
    fn clock_res_get(id: i32, offset0: i32) -> i32;
    fn clock_time_get(id: i32, precision: i64, offset0: i32) -> i32;
    fn fd_advise(fd: i32, offset: i64, len: i64, advice: i32) -> i32;
    fn fd_allocate(fd: i32, offset: i64, len: i64) -> i32;
    fn fd_close(fd: i32) -> i32;
    fn fd_datasync(fd: i32) -> i32;
    fn fd_fdstat_get(fd: i32, offset0: i32) -> i32;
    fn fd_fdstat_set_flags(fd: i32, flags: i32) -> i32;
    fn fd_fdstat_set_rights(fd: i32, fs_rights_base: i64, fs_rights_inheriting: i64) -> i32;
    fn fd_filestat_get(fd: i32, offset0: i32) -> i32;
    fn fd_filestat_set_size(fd: i32, size: i64) -> i32;
    fn fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, fst_flags: i32) -> i32;
    fn fd_pread(fd: i32, iov_buf: i32, iov_buf_len: i32, offset: i64, offset0: i32) -> i32;
    fn fd_prestat_get(fd: i32, offset0: i32) -> i32;
    fn fd_prestat_dir_name(fd: i32, path: i32, path_len: i32) -> i32;
    fn fd_pwrite(fd: i32, ciov_buf: i32, ciov_buf_len: i32, offset: i64, offset0: i32) -> i32;
    fn fd_read(fd: i32, iov_buf: i32, iov_buf_len: i32, offset1: i32) -> i32;
    fn fd_readdir(fd: i32, buf: i32, buf_len: i32, cookie: i64, offset0: i32) -> i32;
    fn fd_renumber(fd: i32, to: i32) -> i32;
    fn fd_seek(fd: i32, offset: i64, whence: i32, offset0: i32) -> i32;
    fn fd_sync(fd: i32) -> i32;
    fn fd_tell(fd: i32, offset0: i32) -> i32;
    fn fd_write(fd: i32, ciov_buf: i32, ciov_buf_len: i32, offset0: i32) -> i32;
    fn path_create_directory(fd: i32, offset: i32, length: i32) -> i32;
    fn path_filestat_get(fd: i32, flags: i32, offset: i32, length: i32, offset0: i32) -> i32;
    fn path_filestat_set_times(
        fd: i32, flags: i32, offset: i32, length: i32, atim: i64, mtim: i64, fst_flags: i32,
    ) -> i32;
    fn path_link(
        old_fd: i32, old_flags: i32, old_offset: i32, old_length: i32, new_fd: i32,
        new_offset: i32, new_length: i32,
    ) -> i32;
    fn path_open(
        fd: i32, dirflags: i32, offset: i32, length: i32, oflags: i32, fs_rights_base: i64,
        fdflags: i64, fs_rights_inheriting: i32, offset0: i32,
    ) -> i32;
    fn path_readlink(
        fd: i32, offset: i32, length: i32, buf: i32, buf_len: i32, offset0: i32,
    ) -> i32;
    fn path_remove_directory(fd: i32, offset: i32, length: i32) -> i32;
    fn path_rename(
        fd: i32, old_offset: i32, old_length: i32, new_fd: i32, new_offset: i32, new_length: i32,
    ) -> i32;
    fn path_symlink(old_offset: i32, old_length: i32, fd: i32, new_offset: i32, new_length: i32) -> i32;
    fn path_unlink_file(fd: i32, offset: i32, length: i32) -> i32;
    fn poll_oneoff(in_: i32, out: i32, nsubscriptions: i32, offset0: i32) -> i32;
    fn proc_exit(rval: i32) -> ();
    fn proc_raise(sig: i32) -> i32;
    fn sched_yield() -> i32;
    fn random_get(buf: i32, buf_len: i32) -> i32;
    fn sock_accept(fd: i32, flags: i32, offset0: i32) -> i32;
    fn sock_recv(
        fd: i32, iov_buf: i32, iov_buf_len: i32, ri_flags: i32, offset0: i32, offset1: i32,
    ) -> i32;
    fn sock_send(fd: i32, ciov_buf: i32, ciov_buf_len: i32, si_flags: i32, offset0: i32) -> i32;
    fn sock_shutdown(fd: i32, how: i32) -> i32;
}
