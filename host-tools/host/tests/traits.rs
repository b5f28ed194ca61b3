//! The public types can cross threads (multi-threaded executors), and errors
//! fit `anyhow`-style boxes.

use rewind_host::{CallFuture, CallOutcome, Error, Instance, Linker, Module, SuspendedCall};

fn send<T: Send>() {}
fn send_sync_static<T: Send + Sync + 'static>() {}

#[test]
fn thread_safety() {
    send::<Instance<()>>();
    send::<SuspendedCall>();
    send::<CallOutcome>();
    send::<CallFuture<'static, ()>>();
    send::<Linker<()>>();
    send_sync_static::<Module>();
    send_sync_static::<Error>();
}
