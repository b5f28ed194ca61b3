//! Shared helpers of the integration tests: instrumenting modules and small
//! hand-made futures.
//!
//! Modules are instrumented with `rewind_transform::asyncify`. Setting
//! `REWIND_HOST_WASM_OPT=/path/to/wasm-opt` instruments them with
//! Binaryen's `wasm-opt --asyncify -O` instead (a cross-check of the host
//! against the reference implementation; nothing requires it).

#![allow(dead_code)]

use rewind_host::wasmi::Engine;
use rewind_host::{Config, Instance, Linker, Module};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Whether modules are instrumented by Binaryen (`REWIND_HOST_WASM_OPT`)
/// rather than by rewind-transform.
pub fn binaryen_instruments() -> bool {
    std::env::var_os("REWIND_HOST_WASM_OPT").is_some()
}

/// Instruments a module given as text.
pub fn instrument(wat: &str) -> Vec<u8> {
    let wasm = wat::parse_str(wat).expect("test module is valid text");
    if let Ok(wasm_opt) = std::env::var("REWIND_HOST_WASM_OPT") {
        return binaryen(&wasm_opt, &wasm);
    }
    rewind_transform::asyncify(&wasm, &rewind_transform::Options::default())
        .expect("rewind-transform instruments the test module")
        .wasm
}

fn binaryen(wasm_opt: &str, wasm: &[u8]) -> Vec<u8> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir();
    let input = dir.join(format!("rewind-host-{}-{n}.in.wasm", std::process::id()));
    let output = dir.join(format!("rewind-host-{}-{n}.out.wasm", std::process::id()));
    std::fs::write(&input, wasm).unwrap();
    let status = std::process::Command::new(wasm_opt)
        .arg(&input)
        .args(["--asyncify", "-O", "--enable-memory64", "-o"])
        .arg(&output)
        .status()
        .expect("run wasm-opt");
    assert!(status.success(), "wasm-opt failed");
    let out = std::fs::read(&output).unwrap();
    let _ = std::fs::remove_file(input);
    let _ = std::fs::remove_file(output);
    out
}

/// Instruments and loads `wat`, returning the engine, module and a linker.
pub fn load<T: 'static>(wat: &str) -> (Module, Linker<T>) {
    let engine = Engine::default();
    let module = Module::new(&engine, instrument(wat)).expect("instrumented module loads");
    let linker = Linker::new(&engine);
    (module, linker)
}

/// Instantiates with a config.
pub fn instantiate<T: 'static>(
    linker: &Linker<T>,
    module: &Module,
    data: T,
    config: Config,
) -> Instance<T> {
    linker
        .instantiate_with_config(module, data, config)
        .expect("instantiates")
}

/// A future that returns `Pending` `polls` times (waking itself each
/// time), then `value`.
pub fn after_polls<T: Unpin>(polls: usize, value: T) -> AfterPolls<T> {
    AfterPolls {
        remaining: polls,
        value: Some(value),
    }
}

/// See [`after_polls`].
pub struct AfterPolls<T> {
    remaining: usize,
    value: Option<T>,
}

impl<T: Unpin> Future for AfterPolls<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if self.remaining == 0 {
            return Poll::Ready(self.value.take().expect("polled after completion"));
        }
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A one-shot channel: the receiver is a future completed by the sender,
/// possibly from another thread.
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    (Sender(slot.clone()), Receiver(slot))
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// Sending half of [`oneshot`].
pub struct Sender<T>(Arc<Mutex<Slot<T>>>);

impl<T> Sender<T> {
    /// Completes the receiver.
    pub fn send(self, value: T) {
        let mut slot = self.0.lock().unwrap();
        slot.value = Some(value);
        if let Some(waker) = slot.waker.take() {
            waker.wake();
        }
    }
}

/// Receiving half of [`oneshot`].
pub struct Receiver<T>(Arc<Mutex<Slot<T>>>);

impl<T> Future for Receiver<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.lock().unwrap();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
