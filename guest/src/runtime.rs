//! The two functions that switch stacks. They are the only callers of the
//! Asyncify intrinsics, and both are `#[inline(never)]` so that they keep
//! their runtime roles after LTO:
//!
//! * [`suspend_raw`] calls `start_unwind` and `stop_rewind`: it is the
//!   **top-most runtime**. The transform does not instrument it but
//!   instruments everything that can call it (the coroutine bodies).
//! * [`resume_raw`] calls `start_rewind` and `stop_unwind`: it is the
//!   **bottom-most runtime**. The transform does not instrument it, and an
//!   unwind started inside a coroutine stops there.
//!
//! # One switch, step by step
//!
//! `resume_raw(c)` saves the caller's `__stack_pointer` in a local, makes `c`
//! the current coroutine and either points `__stack_pointer` at the top of
//! `c`'s shadow stack (first run) or back to the value it had when `c`
//! unwound and calls `start_rewind(c)` (later runs). Then it calls `c`'s
//! entry function. During a rewind every instrumented frame restores its
//! locals (including its frame base, which is why the stack pointer must be
//! exactly the one of the unwind: prologues are skipped) until
//! `suspend_raw` is reached again, which calls `stop_rewind` and returns
//! into the coroutine's code.
//!
//! With the `fuel` feature the fuel counter is switched too (see
//! `crate::fuel`): the resumer parks it before calling `resume_raw`, it
//! holds the coroutine's counter from the coroutine's first instruction
//! (set here for a first run, in `suspend_raw` once a rewind is complete)
//! to its suspension (`suspend` parks it again before `suspend_raw`) or
//! return, and `resume_raw` records what the turn used. No fuel check can
//! fire in these two functions: they must not suspend.
//!
//! `suspend_raw()` checks the current coroutine `c`'s canaries and stack
//! pointer, resets `c`'s save stack and calls `start_unwind(c)`. Every instrumented frame saves
//! its locals and returns without running its epilogue, so when the entry
//! function returns to `resume_raw`, `__stack_pointer` still holds the
//! innermost frame's value: `resume_raw` calls `stop_unwind`, saves that
//! value for the rewind, and restores the caller's stack pointer and
//! current coroutine.

use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::Relaxed};

use crate::header::{ENTRY_TAG, Header, StackCheck};
use crate::status::Status;
use crate::sys;

/// The running coroutine; null in the main context.
static CURRENT: AtomicPtr<Header> = AtomicPtr::new(ptr::null_mut());

/// `__stack_pointer` of the innermost `resume_raw` caller: where a panic
/// raised on a coroutine's damaged stack is moved to before it runs.
static RESUMER_SP: AtomicUsize = AtomicUsize::new(0);

/// The running coroutine's header, or null in the main context.
#[inline]
pub(crate) fn current() -> *const Header {
    CURRENT.load(Relaxed)
}

/// Runs the coroutine `h` until it yields (status `Suspended`), returns
/// (`Done`), or is found to have overflowed its shadow stack (`Failed`).
///
/// # Safety
///
/// `h` must point to an initialised, live header whose status is `New` or
/// `Suspended`, in a module instrumented by `rewind asyncify`.
#[inline(never)]
pub(crate) unsafe fn resume_raw(h: *const Header) {
    // SAFETY: per the contract.
    let c = unsafe { &*h };
    // SAFETY: reading `__stack_pointer` has no preconditions.
    let caller_sp = unsafe { sys::get_stack_pointer() };
    let parent = CURRENT.load(Relaxed);
    let parent_resumer_sp = RESUMER_SP.load(Relaxed);
    c.parent.set(parent);
    CURRENT.store(h as *mut Header, Relaxed);
    RESUMER_SP.store(caller_sp as usize, Relaxed);
    if c.status.get() == Status::Suspended {
        c.status.set(Status::Rewinding);
        // SAFETY: the coroutine's shadow stack is exactly as it was when it
        // unwound at `saved_sp`, and its save stack holds the frames of that
        // unwind; nothing below `saved_sp` on that stack is live.
        unsafe {
            sys::set_stack_pointer(c.saved_sp.get() as *mut u8);
            sys::start_rewind(c.data_ptr());
        }
    } else {
        c.status.set(Status::Running);
        // SAFETY: a fresh, 16-byte aligned, unused stack.
        unsafe { sys::set_stack_pointer(c.stack_top as *mut u8) };
        // The coroutine's fuel counter, from its first instruction on (a
        // rewind gets it in `suspend_raw`, when the rewind is complete).
        #[cfg(feature = "fuel")]
        c.fuel.enter();
    }
    // A volatile read: the call must stay indirect, never be inlined here.
    // SAFETY: the field is initialised and aligned.
    let entry = unsafe { ptr::read_volatile(&c.entry) };
    // SAFETY: the entry of this block, called with its own header.
    unsafe { entry(h, ENTRY_TAG, 0.0) };
    #[cfg(feature = "fuel")]
    c.fuel.leave();
    // SAFETY: no preconditions.
    let state = unsafe { sys::get_state() };
    if state == sys::STATE_UNWINDING {
        // SAFETY: an unwind reached the bottom of the coroutine's stack.
        unsafe { sys::stop_unwind() };
        // SAFETY: no preconditions.
        let sp = unsafe { sys::get_stack_pointer() } as usize;
        // SAFETY: back to the stack of the code that called `resume`.
        unsafe { sys::set_stack_pointer(caller_sp) };
        CURRENT.store(parent, Relaxed);
        RESUMER_SP.store(parent_resumer_sp, Relaxed);
        if c.status.get() != Status::Suspending {
            c.status.set(Status::Failed);
            foreign_unwind();
        }
        c.saved_sp.set(sp);
        let used = c.stack_pos.get() - c.save_start;
        if used > c.save_used.get() {
            c.save_used.set(used);
        }
        c.status.set(if c.overflowed.get() != 0 {
            Status::Failed
        } else {
            Status::Suspended
        });
    } else {
        // Completed. Check before the stack pointer moves away from it.
        // SAFETY: no preconditions.
        let sp = unsafe { sys::get_stack_pointer() } as usize;
        let check = c.check_stack(sp);
        // SAFETY: back to the stack of the code that called `resume`.
        unsafe { sys::set_stack_pointer(caller_sp) };
        CURRENT.store(parent, Relaxed);
        RESUMER_SP.store(parent_resumer_sp, Relaxed);
        if state == sys::STATE_REWINDING {
            c.status.set(Status::Failed);
            lost_rewind();
        }
        match check {
            StackCheck::Ok => c.status.set(Status::Done),
            StackCheck::Overflow => c.status.set(Status::Failed),
            StackCheck::Corrupted => {
                c.status.set(Status::Failed);
                corrupted();
            }
        }
    }
}

/// Suspends the running coroutine: [`suspend_raw`], after keeping what is
/// left of its fuel (feature `fuel`; inlined into the caller, so a rewind
/// skips it).
///
/// # Safety
///
/// As [`suspend_raw`].
#[inline(always)]
pub(crate) unsafe fn suspend() {
    #[cfg(feature = "fuel")]
    // SAFETY: a non-null current header is the running coroutine's.
    if let Some(c) = unsafe { current().as_ref() } {
        c.fuel.stash();
    }
    // SAFETY: per the contract.
    unsafe { suspend_raw() }
}

/// Suspends the running coroutine (first call), or finishes rewinding it
/// (the same call made again while it is being resumed).
///
/// It takes no argument on purpose: as the top-most runtime it is not
/// instrumented, so during a rewind it runs with whatever arguments its
/// caller's restored frame passes again. Everything it needs comes from
/// `CURRENT` (set by `resume_raw` before the rewind) instead, so it does not
/// depend on the transform restoring call arguments.
///
/// # Safety
///
/// Must be called inside a coroutine (the current one is the one that
/// suspends), in a module instrumented by `rewind asyncify`; the caller
/// must be code that the transform instruments (any Rust function calling
/// this is).
#[inline(never)]
pub(crate) unsafe fn suspend_raw() {
    let h = CURRENT.load(Relaxed);
    if h.is_null() {
        not_in_coroutine();
    }
    // SAFETY: a non-null `CURRENT` is the live header of the running (or
    // rewinding) coroutine, per `resume_raw`.
    let c = unsafe { &*h };
    if c.status.get() == Status::Rewinding {
        c.status.set(Status::Running);
        // SAFETY: the rewind of this coroutine has reached the call that
        // unwound it.
        unsafe { sys::stop_rewind() };
        #[cfg(feature = "fuel")]
        c.fuel.enter();
        return;
    }
    // SAFETY: no preconditions.
    let sp = unsafe { sys::get_stack_pointer() } as usize;
    match c.check_stack(sp) {
        StackCheck::Ok => {}
        // Unwind all the same (the header is intact and the save stack is
        // ours); `resume_raw` then marks the coroutine failed.
        StackCheck::Overflow => c.overflowed.set(1),
        StackCheck::Corrupted => {
            // Do not run the panic on the damaged stack: move to the
            // resumer's, which is intact (this coroutine never returns).
            // SAFETY: the resumer's stack pointer, saved by `resume_raw`;
            // everything below it is free.
            unsafe { sys::set_stack_pointer(RESUMER_SP.load(Relaxed) as *mut u8) };
            corrupted();
        }
    }
    c.reset_save_stack();
    c.status.set(Status::Suspending);
    // SAFETY: the data structure describes this coroutine's own save stack.
    unsafe { sys::start_unwind(c.data_ptr()) };
}

#[cold]
#[inline(never)]
fn corrupted() -> ! {
    panic!(
        "rewind-guest: shadow stack overflow: a coroutine ran past its shadow stack and \
         save stack into its control block header; increase Config::shadow_stack"
    )
}

#[cold]
#[inline(never)]
fn not_in_coroutine() -> ! {
    panic!("rewind-guest: a coroutine yield was called outside any coroutine")
}

#[cold]
#[inline(never)]
fn foreign_unwind() -> ! {
    panic!(
        "rewind-guest: an unwind that the coroutine did not start (a suspending host import, \
         or yield_to_host, called inside a coroutine) reached the coroutine's resume; \
         suspend to the host from the main context only"
    )
}

#[cold]
#[inline(never)]
fn lost_rewind() -> ! {
    panic!(
        "rewind-guest: a coroutine's rewind did not reach its yield; was the module \
         instrumented after linking, with the coroutine code reachable?"
    )
}
