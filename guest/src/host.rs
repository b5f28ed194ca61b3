//! [`yield_to_host`]: suspend the whole guest and give control back to the
//! host.

use crate::error::Error;
use crate::runtime;
use crate::sys;

/// Suspends the running export and returns control to the host, which
/// resumes it later (a game's main loop: `loop { update(); render();
/// yield_to_host(); }`).
///
/// This calls the import `rewind.yield_to_host` (no parameters, no
/// results). The host implements it with Binaryen's protocol: on the first
/// call it calls `asyncify_start_unwind(buffer)` and returns, the guest's
/// stack unwinds into its buffer and the export returns; to resume, the
/// host calls `asyncify_start_rewind(buffer)` and the same export again,
/// the stack is rebuilt up to this import, which is called a second time
/// and calls `asyncify_stop_rewind()`. `rewind-host`'s
/// `Linker::func_yield` does exactly this.
///
/// Suspended coroutines are unaffected: their state is in their own
/// control blocks.
///
/// # Panics
///
/// When called inside a coroutine ([`Error::InsideCoroutine`]): the
/// unwind cannot pass the coroutine's `resume`, which is the bottom of the
/// coroutine's stack. See [`try_yield_to_host`] for the non-panicking
/// form.
pub fn yield_to_host() {
    if let Err(e) = try_yield_to_host() {
        panic!("rewind-guest: {e}");
    }
}

/// [`yield_to_host`], returning [`Error::InsideCoroutine`] instead of
/// panicking when called inside a coroutine (nothing is suspended then).
///
/// # Errors
///
/// [`Error::InsideCoroutine`].
pub fn try_yield_to_host() -> Result<(), Error> {
    if !runtime::current().is_null() {
        return Err(Error::InsideCoroutine);
    }
    // SAFETY: the host implements the import with the Asyncify protocol; we
    // are in the main context, so the unwind reaches the export.
    unsafe { sys::yield_to_host() };
    Ok(())
}
