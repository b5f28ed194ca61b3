//! Stackful, asymmetric coroutines: [`Coroutine`], [`Yielder`], [`Resume`].

use core::fmt;
use core::marker::PhantomData;

use crate::config::Config;
use crate::error::Error;
use crate::header::Header;
use crate::raw_coroutine::{Outcome, RawCoroutine};
use crate::runtime;
use crate::status::Status;

/// What [`Coroutine::resume`] returns when it does not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resume<Y, R> {
    /// The coroutine called [`Yielder::yield_`] with this value and is
    /// suspended.
    Yielded(Y),
    /// The coroutine returned this value and is done.
    Complete(R),
}

/// The values passed between a coroutine and its resumer. They live in the
/// control block, so nothing is allocated per switch.
struct Slots<I, Y, R> {
    input: Option<I>,
    yielded: Option<Y>,
    result: Option<R>,
}

/// Everything a coroutine keeps in its block besides the header. The
/// handle, which does not know `F`, reaches the slots through a pointer
/// projected to the field while `F` is known (`Coroutine::from_raw`), so
/// nothing depends on where the compiler puts them.
struct Payload<I, Y, R, F> {
    slots: Slots<I, Y, R>,
    closure: Option<F>,
}

/// A coroutine: a function with its own stack that can suspend itself
/// ([`Yielder::yield_`]) and be resumed ([`Coroutine::resume_with`]).
///
/// * `I`: the value each `resume_with` passes in (the first one becomes the
///   closure's second argument, later ones are returned by `yield_`);
/// * `Y`: the value each `yield_` passes out;
/// * `R`: the closure's result.
///
/// A coroutine owns exactly one control block (see [`Config`]), created
/// once — in caller memory ([`Coroutine::in_memory`]) or from the global
/// allocator ([`Coroutine::new`]). Yielding and resuming allocate nothing.
///
/// # Dropping
///
/// Dropping a coroutine is always safe:
///
/// * never resumed, or completed: the closure (or result) is dropped and
///   the block is freed (allocator) or simply not used again (caller
///   memory, which stays borrowed for `'static`);
/// * suspended (or failed): the values alive on its stack are leaked —
///   their destructors do not run, as with [`core::mem::forget`] — and the
///   block is leaked with them, never reused, because a value pinned on the
///   coroutine's stack must keep its memory. Run a coroutine to completion
///   to get its memory back.
///
/// # Where it may be used
///
/// Only inside a wasm module instrumented by `rewind asyncify` after
/// linking. Coroutines may be nested (a coroutine may resume another); a
/// coroutine cannot resume itself ([`Error::Running`]).
pub struct Coroutine<'a, I, Y, R> {
    raw: RawCoroutine,
    /// The slots in `raw`'s payload.
    slots: *mut Slots<I, Y, R>,
    _marker: PhantomData<(*mut I, *mut Y, *mut R, &'a ())>,
}

/// The handle a coroutine uses to suspend itself, passed by reference to
/// its closure.
pub struct Yielder<I, Y> {
    header: *const Header,
    input: *mut Option<I>,
    yielded: *mut Option<Y>,
}

impl<I, Y> Yielder<I, Y> {
    /// Suspends the coroutine, handing `value` to the caller of `resume`,
    /// and returns the input of the `resume_with` that continues it.
    ///
    /// # Panics
    ///
    /// If called from anywhere but this coroutine itself (for example from
    /// a nested coroutine that captured the outer one's `Yielder`), and
    /// (a trap, see [`Error`]) if the coroutine's shadow stack overflowed
    /// into its header.
    // Inlined into the caller, so that a suspension saves one frame fewer.
    #[inline(always)]
    pub fn yield_(&self, value: Y) -> I {
        assert!(
            runtime::current() == self.header,
            "rewind-guest: Yielder::yield_ called outside its own coroutine \
             (from a nested coroutine, or from the resumer)"
        );
        // SAFETY: the slot is in this coroutine's live block; nothing else
        // accesses it while the coroutine runs.
        unsafe { *self.yielded = Some(value) };
        // SAFETY: this coroutine is the current one (checked above), and
        // this function is instrumented code.
        unsafe { runtime::suspend() };
        // SAFETY: as above; `resume_with` filled the slot.
        unsafe { (*self.input).take() }.expect("rewind-guest: resumed without input")
    }
}

impl<I, Y> fmt::Debug for Yielder<I, Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yielder")
            .field("coroutine", &self.header)
            .finish()
    }
}

/// The entry function of a `Coroutine<I, Y, R>` with closure `F`.
///
/// # Safety
///
/// `h` must be the header of a block whose payload is a
/// `Payload<I, Y, R, F>`, called by `resume_raw` for the coroutine's first
/// run (the closure and the first input present) or to rewind its
/// suspension.
unsafe extern "C" fn trampoline<I, Y, R, F>(h: *const Header, _tag: u64, _zero: f64) -> f64
where
    F: FnOnce(&Yielder<I, Y>, I) -> R,
{
    // SAFETY: per the contract.
    let payload = unsafe { (*h).payload.cast::<Payload<I, Y, R, F>>() };
    // SAFETY: the payload is valid and only this coroutine touches it now.
    let (f, input) = unsafe { ((*payload).closure.take(), (*payload).slots.input.take()) };
    let (Some(f), Some(input)) = (f, input) else {
        unreachable!("rewind-guest: coroutine started twice")
    };
    let yielder = Yielder {
        header: h,
        // SAFETY: field projections inside the valid payload.
        input: unsafe { &raw mut (*payload).slots.input },
        // SAFETY: as above.
        yielded: unsafe { &raw mut (*payload).slots.yielded },
    };
    let result = f(&yielder, input);
    // SAFETY: as above.
    unsafe { (*payload).slots.result = Some(result) };
    0.0
}

impl<'a, I, Y, R> Coroutine<'a, I, Y, R> {
    fn payload<F>(f: F) -> Payload<I, Y, R, F> {
        Payload {
            slots: Slots {
                input: None,
                yielded: None,
                result: None,
            },
            closure: Some(f),
        }
    }

    /// The coroutine whose block `raw` holds a `Payload<I, Y, R, F>` (made
    /// by `payload::<F>`).
    fn from_raw<F>(raw: RawCoroutine) -> Self {
        let payload = raw.payload().cast::<Payload<I, Y, R, F>>();
        // SAFETY: a field projection inside the payload, which is alive as
        // long as `raw`; no reference is made.
        let slots = unsafe { &raw mut (*payload).slots };
        Coroutine {
            raw,
            slots,
            _marker: PhantomData,
        }
    }

    /// A coroutine running `f`, in a control block from the global
    /// allocator with [`Config::DEFAULT`] sizes.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfMemory`].
    #[cfg(feature = "alloc")]
    pub fn new<F>(f: F) -> Result<Self, Error>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'a,
    {
        Self::with_config(Config::DEFAULT, f)
    }

    /// A coroutine running `f`, in a control block from the global
    /// allocator with the given stack sizes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`], [`Error::OutOfMemory`].
    #[cfg(feature = "alloc")]
    pub fn with_config<F>(config: Config, f: F) -> Result<Self, Error>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'a,
    {
        let raw = RawCoroutine::allocate(config, Self::payload(f), trampoline::<I, Y, R, F>)?;
        Ok(Self::from_raw::<F>(raw))
    }

    /// A coroutine running `f`, in caller-provided memory (no allocator):
    /// a save stack of `save_stack` bytes, and a shadow stack of whatever
    /// the header, the closure and the save stack leave.
    ///
    /// ```no_run
    /// use rewind_guest::{Coroutine, StaticMemory};
    ///
    /// static MEMORY: StaticMemory<16384> = StaticMemory::new();
    ///
    /// let mut co = Coroutine::in_memory(MEMORY.take().unwrap(), 2048, |y, ()| {
    ///     y.yield_(1);
    ///     2
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::MemoryTooSmall`], [`Error::InvalidConfig`].
    pub fn in_memory<F>(memory: &'static mut [u8], save_stack: usize, f: F) -> Result<Self, Error>
    where
        F: FnOnce(&Yielder<I, Y>, I) -> R + 'a,
    {
        let raw = RawCoroutine::in_memory(
            memory,
            save_stack,
            Self::payload(f),
            trampoline::<I, Y, R, F>,
        )?;
        Ok(Self::from_raw::<F>(raw))
    }

    /// Runs the coroutine until it yields or returns. `input` becomes the
    /// closure's second argument on the first call and the value of the
    /// pending `yield_` on later ones.
    ///
    /// # Errors
    ///
    /// * [`Error::Finished`]: it has already completed or failed;
    /// * [`Error::Running`]: called from inside the coroutine itself;
    /// * [`Error::ShadowStackOverflow`]: its shadow stack overflowed (found
    ///   at this yield or completion); it is dead from now on.
    pub fn resume_with(&mut self, input: I) -> Result<Resume<Y, R>, Error> {
        match self.raw.status() {
            Status::New | Status::Suspended => {}
            Status::Done | Status::Failed => return Err(Error::Finished),
            _ => return Err(Error::Running),
        }
        // SAFETY: the slots are in our live block and the coroutine is not
        // running.
        unsafe { (*self.slots).input = Some(input) };
        let outcome = self.raw.resume();
        // SAFETY: as above: the coroutine is suspended, done or dead again.
        let slots = unsafe { &mut *self.slots };
        match outcome {
            Ok(Outcome::Yielded) => Ok(Resume::Yielded(
                slots
                    .yielded
                    .take()
                    .expect("rewind-guest: yield without a value"),
            )),
            Ok(Outcome::Completed) => Ok(Resume::Complete(
                slots
                    .result
                    .take()
                    .expect("rewind-guest: completion without a result"),
            )),
            Err(e) => {
                // A dead coroutine never takes these; drop them now, since
                // its block (and payload) will be leaked.
                slots.input = None;
                slots.yielded = None;
                slots.result = None;
                Err(e)
            }
        }
    }

    /// Whether the coroutine has completed or failed: `resume` will only
    /// return [`Error::Finished`].
    pub fn is_done(&self) -> bool {
        matches!(self.raw.status(), Status::Done | Status::Failed)
    }

    /// Whether the coroutine is suspended in a `yield_` (started, not
    /// finished, not running).
    pub fn is_suspended(&self) -> bool {
        self.raw.status() == Status::Suspended
    }

    /// The largest number of save-stack bytes any of its yields needed so
    /// far: a guide for sizing [`Config::save_stack`].
    pub fn save_stack_used(&self) -> usize {
        self.raw.header().save_used.get()
    }

    /// The sizes of its save stack and shadow stack.
    pub fn config(&self) -> Config {
        self.raw.config()
    }
}

impl<'a, Y, R> Coroutine<'a, (), Y, R> {
    /// [`resume_with(())`](Coroutine::resume_with): for coroutines that
    /// take no input.
    ///
    /// # Errors
    ///
    /// As [`Coroutine::resume_with`].
    pub fn resume(&mut self) -> Result<Resume<Y, R>, Error> {
        self.resume_with(())
    }
}

impl<I, Y, R> fmt::Debug for Coroutine<'_, I, Y, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coroutine").field("raw", &self.raw).finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::boxed::Box;
    use std::vec;

    #[test]
    fn creation_in_too_small_memory_fails_cleanly() {
        let mem = Box::leak(vec![0u8; 128].into_boxed_slice());
        let r = Coroutine::<(), u32, ()>::in_memory(mem, 64, |y, ()| {
            y.yield_(1);
        });
        assert!(matches!(
            r,
            Err(Error::MemoryTooSmall { available: 128, .. })
        ));
    }

    #[test]
    fn a_new_coroutine_reports_its_sizes() {
        let mem = Box::leak(vec![0u8; 8192].into_boxed_slice());
        let co = Coroutine::<(), u32, ()>::in_memory(mem, 1024, |_, ()| {}).unwrap();
        assert!(!co.is_done());
        assert!(!co.is_suspended());
        assert_eq!(co.save_stack_used(), 0);
        let c = co.config();
        assert_eq!(c.save_stack, 1024);
        assert!(c.shadow_stack > 6000 && c.shadow_stack.is_multiple_of(16));
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn allocated_coroutine_with_config() {
        let co = Coroutine::<u8, u8, u8>::with_config(Config::new(256, 1024), |_, x| x).unwrap();
        assert_eq!(co.config(), Config::new(256, 1024));
        assert_eq!(
            Coroutine::<u8, u8, u8>::with_config(Config::new(0, 1024), |_, x| x).unwrap_err(),
            Error::InvalidConfig
        );
    }
}
