//! The smallest executor that works: [`block_on`] polls a future on the
//! current thread and parks the thread until the future's waker is called.
//! Also the per-call [`Signal`] waker that host futures are polled with.
//!
//! No async runtime is needed: the driver polls host futures itself, with a
//! waker that records the wake-up (so a caller without a runtime can ask
//! [`SuspendedCall::was_woken`](crate::SuspendedCall::was_woken)) and
//! forwards it to whoever awaits the call, if anyone does.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Runs `future` to completion on the current thread.
///
/// The thread parks while the future is pending and is unparked by its
/// waker, so a future completed from another thread (a timer, an I/O
/// thread) works, as does one that is ready on the first poll.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let parker = Arc::new(Parker {
        thread: thread::current(),
        notified: AtomicBool::new(false),
    });
    let waker = Waker::from(parker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // `park` may wake spuriously; only a real notification ends the wait.
        while !parker.notified.swap(false, Ordering::AcqRel) {
            thread::park();
        }
    }
}

struct Parker {
    thread: Thread,
    notified: AtomicBool,
}

impl Wake for Parker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notified.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// The waker of one call's host futures: remembers that it was woken and
/// forwards the wake-up to the waker registered last.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    woken: AtomicBool,
    forward: Mutex<Option<Waker>>,
}

impl Signal {
    /// A new signal and the waker that fires it.
    pub(crate) fn new() -> (Arc<Signal>, Waker) {
        let signal = Arc::new(Signal::default());
        let waker = Waker::from(signal.clone());
        (signal, waker)
    }

    /// Forward future wake-ups to `waker` (replacing any earlier one).
    pub(crate) fn register(&self, waker: &Waker) {
        let mut slot = self.forward.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_ref() {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// Whether the waker fired since the last [`Signal::clear`].
    pub(crate) fn is_woken(&self) -> bool {
        self.woken.load(Ordering::Acquire)
    }

    /// Forget earlier wake-ups (before polling again).
    pub(crate) fn clear(&self) {
        self.woken.store(false, Ordering::Release);
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let slot = self.forward.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(waker) = slot.as_ref() {
            waker.wake_by_ref();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ready_future() {
        assert_eq!(block_on(async { 7 }), 7);
    }

    #[test]
    fn future_woken_from_another_thread() {
        struct Shared {
            done: bool,
            waker: Option<Waker>,
        }
        let shared = Arc::new(Mutex::new(Shared {
            done: false,
            waker: None,
        }));
        let remote = shared.clone();
        let handle = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            let mut s = remote.lock().unwrap();
            s.done = true;
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        });
        let value = block_on(std::future::poll_fn(|cx| {
            let mut s = shared.lock().unwrap();
            if s.done {
                Poll::Ready(42)
            } else {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }));
        handle.join().unwrap();
        assert_eq!(value, 42);
    }

    #[test]
    fn signal_records_and_forwards() {
        let (signal, waker) = Signal::new();
        assert!(!signal.is_woken());
        let outer = Arc::new(Parker {
            thread: thread::current(),
            notified: AtomicBool::new(false),
        });
        signal.register(&Waker::from(outer.clone()));
        waker.wake_by_ref();
        assert!(signal.is_woken());
        assert!(outer.notified.load(Ordering::Acquire));
        signal.clear();
        assert!(!signal.is_woken());
    }
}
