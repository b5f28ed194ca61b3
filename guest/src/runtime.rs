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
//! `resume_raw(c)` makes `c` the current coroutine, recording in its own
//! frame (on the caller's stack) `c`'s block, the caller's
//! `__stack_pointer` and the coroutine that was current, and either points
//! `__stack_pointer` at the top of
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
//! pointer (at the addresses in that record, not in `c`'s header), resets
//! `c`'s save stack and calls `start_unwind(c)`. Every instrumented frame
//! saves its locals and returns without running its epilogue, so when the entry
//! function returns to `resume_raw`, `__stack_pointer` still holds the
//! innermost frame's value: `resume_raw` calls `stop_unwind`, saves that
//! value for the rewind, and restores the caller's stack pointer and
//! current coroutine.

use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering::Relaxed};

use crate::block::{Block, StackCheck};
use crate::header::{ENTRY_TAG, Header};
use crate::status::Status;
use crate::sys;

/// The running coroutine, as [`resume_raw`] records it in its own frame, on
/// the resumer's stack: out of reach of the coroutine's shadow stack.
struct Running<'b> {
    /// Its block, lent by its `RawCoroutine` for the length of the call.
    block: &'b Block,
    /// The record of the coroutine that resumed it (null: the main
    /// context).
    resumer: *mut Running<'static>,
    /// The resumer's `__stack_pointer`: where a panic raised on the
    /// coroutine's damaged stack is moved to before it runs.
    resumer_sp: *mut u8,
}

/// The record of the running coroutine; null in the main context.
///
/// Invariant: a non-null value points to the record in the frame of the
/// innermost `resume_raw` that has not returned (each puts the previous
/// value back before it returns). All code that reads it runs inside that
/// call, so the record and the block it lends are alive while it is read.
static CURRENT: AtomicPtr<Running<'static>> = AtomicPtr::new(ptr::null_mut());

/// The running coroutine's header, or null in the main context.
#[inline]
pub(crate) fn current() -> *const Header {
    // SAFETY: see `CURRENT`.
    match unsafe { CURRENT.load(Relaxed).as_ref() } {
        Some(running) => running.block.header_ptr().as_ptr(),
        None => ptr::null(),
    }
}

/// Runs the coroutine of `block` until it yields (status `Suspended`),
/// returns (`Done`), or is found to have overflowed its shadow stack
/// (`Failed`).
///
/// # Safety
///
/// The block's status must be `New` or `Suspended`, and the module
/// instrumented by `rewind asyncify`.
#[inline(never)]
pub(crate) unsafe fn resume_raw(block: &Block) {
    let c = block.header();
    // SAFETY: reading `__stack_pointer` has no preconditions.
    let caller_sp = unsafe { sys::get_stack_pointer() };
    let running = Running {
        block,
        resumer: CURRENT.load(Relaxed),
        resumer_sp: caller_sp,
    };
    CURRENT.store(ptr::from_ref(&running).cast_mut().cast(), Relaxed);
    if c.status.get() == Status::Suspended {
        c.status.set(Status::Rewinding);
        // SAFETY: the coroutine's shadow stack is exactly as it was when it
        // unwound at `saved_sp` (16-byte aligned, as every frame's), and its
        // save stack holds the frames of that unwind, unchanged since;
        // nothing below `saved_sp` on that stack is live. No unwind or
        // rewind is under way (a coroutine is resumed from running code),
        // and this function is not instrumented and calls the coroutine's
        // entry next.
        unsafe {
            sys::set_stack_pointer(c.saved_sp.get() as *mut u8);
            sys::start_rewind(block.data_ptr());
        }
    } else {
        c.status.set(Status::Running);
        // SAFETY: a fresh, 16-byte aligned, unused stack.
        unsafe { sys::set_stack_pointer(block.stack_top()) };
        // The coroutine's fuel counter, from its first instruction on (a
        // rewind gets it in `suspend_raw`, when the rewind is complete).
        #[cfg(feature = "fuel")]
        c.fuel.enter();
    }
    // A volatile read: the call must stay indirect, never be inlined here.
    // SAFETY: the field is initialised and aligned.
    let entry = unsafe { ptr::read_volatile(&c.entry) };
    // SAFETY: the entry of this block, called with its own header, for the
    // coroutine's first run or to rewind its suspension (its status said
    // which).
    unsafe { entry(block.header_ptr().as_ptr(), ENTRY_TAG, 0.0) };
    #[cfg(feature = "fuel")]
    c.fuel.leave();
    // SAFETY: reading `__asyncify_state` has no preconditions.
    let state = unsafe { sys::get_state() };
    if state == sys::STATE_UNWINDING {
        // SAFETY: an unwind is under way (the state says so) and has
        // returned through the coroutine's entry to this function, which is
        // not instrumented.
        unsafe { sys::stop_unwind() };
        // SAFETY: reading `__stack_pointer` has no preconditions.
        let sp = unsafe { sys::get_stack_pointer() }.addr();
        // SAFETY: back to the stack of the code that called `resume`, as it
        // was when this function started: nothing below it is live.
        unsafe { sys::set_stack_pointer(caller_sp) };
        CURRENT.store(running.resumer, Relaxed);
        if c.status.get() != Status::Suspending {
            c.status.set(Status::Failed);
            foreign_unwind();
        }
        c.saved_sp.set(sp);
        c.save_used
            .set(c.save_used.get().max(block.save_stack_in_use()));
        c.status.set(if c.overflowed.get() != 0 {
            Status::Failed
        } else {
            Status::Suspended
        });
    } else {
        // Completed. Check before the stack pointer moves away from it.
        // SAFETY: reading `__stack_pointer` has no preconditions.
        let sp = unsafe { sys::get_stack_pointer() }.addr();
        let check = block.check_stack(sp);
        // SAFETY: as above.
        unsafe { sys::set_stack_pointer(caller_sp) };
        CURRENT.store(running.resumer, Relaxed);
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
    // SAFETY: a non-null current header is the running coroutine's, alive
    // while it runs (see `CURRENT`).
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
    // SAFETY: see `CURRENT`.
    let Some(running) = (unsafe { CURRENT.load(Relaxed).as_ref() }) else {
        not_in_coroutine()
    };
    let block = running.block;
    let c = block.header();
    if c.status.get() == Status::Rewinding {
        c.status.set(Status::Running);
        // SAFETY: the rewind of this coroutine has reached the call that
        // unwound it.
        unsafe { sys::stop_rewind() };
        #[cfg(feature = "fuel")]
        c.fuel.enter();
        return;
    }
    // SAFETY: reading `__stack_pointer` has no preconditions.
    let sp = unsafe { sys::get_stack_pointer() }.addr();
    match block.check_stack(sp) {
        StackCheck::Ok => {}
        // Unwind all the same (the header is intact and the save stack is
        // ours); `resume_raw` then marks the coroutine failed.
        StackCheck::Overflow => c.overflowed.set(1),
        StackCheck::Corrupted => {
            // Do not run the panic on the damaged stack: move to the
            // resumer's, which is intact (this coroutine never returns).
            // SAFETY: the resumer's stack pointer, saved by `resume_raw`;
            // everything below it is free.
            unsafe { sys::set_stack_pointer(running.resumer_sp) };
            corrupted();
        }
    }
    block.reset_save_stack();
    c.status.set(Status::Suspending);
    // SAFETY: the data structure, reset just above, describes this
    // coroutine's own save stack, which nothing else uses until its rewind
    // has ended; nothing is unwinding or rewinding (the coroutine runs), and
    // this function is the top-most runtime, returning right after to its
    // instrumented caller; `resume_raw` stops the unwind.
    unsafe { sys::start_unwind(block.data_ptr()) };
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
