//! [`CallFuture`]: a call of an export as a Rust future that completes when
//! the guest really returns, for hosts with an async runtime (or
//! [`block_on`](crate::block_on)).

use crate::call::{CallOutcome, SuspendedCall};
use crate::error::Result;
use crate::instance::Instance;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasmi::Val;

/// The future of [`Instance::call_async`] and [`Instance::resume_async`].
///
/// While the guest waits on a host future, polling this future polls that
/// one (with this future's waker). A yield to the host becomes a
/// cooperative yield to the executor: the future wakes itself, returns
/// `Pending` once, and resumes the guest (with zero results) on the next
/// poll. Dropping the future mid-call abandons the call, as dropping a
/// [`SuspendedCall`] does.
#[must_use = "futures do nothing unless polled"]
pub struct CallFuture<'a, T> {
    instance: &'a mut Instance<T>,
    state: State,
}

enum State {
    Start { export: String, args: Vec<Val> },
    Waiting(SuspendedCall),
    Yielded(SuspendedCall),
    Done,
}

impl<T> fmt::Debug for CallFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start { export, .. } => format!("start `{export}`"),
            State::Waiting(call) => format!("waiting: {call:?}"),
            State::Yielded(call) => format!("yielded: {call:?}"),
            State::Done => "done".to_string(),
        };
        f.debug_struct("CallFuture").field("state", &state).finish()
    }
}

impl<'a, T> CallFuture<'a, T> {
    pub(crate) fn start(instance: &'a mut Instance<T>, export: &str, args: &[Val]) -> Self {
        Self {
            instance,
            state: State::Start {
                export: export.to_string(),
                args: args.to_vec(),
            },
        }
    }

    pub(crate) fn resume(instance: &'a mut Instance<T>, call: SuspendedCall) -> Self {
        let state = if call.is_yield() {
            State::Yielded(call)
        } else {
            State::Waiting(call)
        };
        Self { instance, state }
    }
}

impl<T: 'static> Future for CallFuture<'_, T> {
    type Output = Result<Vec<Val>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let outcome = match mem::replace(&mut this.state, State::Done) {
                State::Start { export, args } => this.instance.call_resumable(&export, &args),
                State::Waiting(mut call) => match call.poll_ready(cx) {
                    Poll::Pending => {
                        this.state = State::Waiting(call);
                        return Poll::Pending;
                    }
                    Poll::Ready(()) => this.instance.resume(call),
                },
                State::Yielded(call) => this.instance.resume(call),
                State::Done => panic!("CallFuture polled after it completed"),
            };
            match outcome {
                Err(error) => return Poll::Ready(Err(error)),
                Ok(CallOutcome::Finished(values)) => return Poll::Ready(Ok(values)),
                Ok(CallOutcome::Suspended(call)) => this.state = State::Waiting(call),
                Ok(CallOutcome::Yielded(call)) => {
                    this.state = State::Yielded(call);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
        }
    }
}
