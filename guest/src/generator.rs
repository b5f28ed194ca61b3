//! [`Generator`]: a coroutine seen as an [`Iterator`].

use core::fmt;
use core::iter::FusedIterator;

#[cfg(feature = "alloc")]
use crate::config::Config;
use crate::coroutine::{Coroutine, Resume, Yielder};
use crate::error::Error;

/// An iterator over the values a closure yields.
///
/// The closure runs on its own stack, so it can yield from anywhere: deep
/// inside recursion, loops, or helper functions it passes the
/// [`Yielder`] to.
///
/// ```no_run
/// use rewind_guest::Generator;
///
/// let squares = Generator::new(|y| {
///     for i in 1..=3u32 {
///         y.yield_(i * i);
///     }
/// })
/// .unwrap();
/// assert!(squares.eq([1, 4, 9]));
/// ```
///
/// Dropping a generator before it is exhausted is safe; see
/// [`Coroutine`]'s drop semantics.
pub struct Generator<'a, T> {
    co: Coroutine<'a, (), T, ()>,
    finished: bool,
}

impl<'a, T> Generator<'a, T> {
    /// A generator running `f`, in a block from the global allocator with
    /// [`Config::DEFAULT`] sizes.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfMemory`].
    #[cfg(feature = "alloc")]
    pub fn new<F>(f: F) -> Result<Self, Error>
    where
        F: FnOnce(&Yielder<(), T>) + 'a,
    {
        Self::with_config(Config::DEFAULT, f)
    }

    /// A generator running `f`, in a block from the global allocator with
    /// the given sizes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`], [`Error::OutOfMemory`].
    #[cfg(feature = "alloc")]
    pub fn with_config<F>(config: Config, f: F) -> Result<Self, Error>
    where
        F: FnOnce(&Yielder<(), T>) + 'a,
    {
        Ok(Self::from_coroutine(Coroutine::with_config(
            config,
            move |y, ()| f(y),
        )?))
    }

    /// A generator running `f`, in caller-provided memory (see
    /// [`Coroutine::in_memory`]).
    ///
    /// # Errors
    ///
    /// [`Error::MemoryTooSmall`], [`Error::InvalidConfig`].
    pub fn in_memory<F>(memory: &'static mut [u8], save_stack: usize, f: F) -> Result<Self, Error>
    where
        F: FnOnce(&Yielder<(), T>) + 'a,
    {
        Ok(Self::from_coroutine(Coroutine::in_memory(
            memory,
            save_stack,
            move |y, ()| f(y),
        )?))
    }

    fn from_coroutine(co: Coroutine<'a, (), T, ()>) -> Self {
        Generator {
            co,
            finished: false,
        }
    }

    /// The next value, `Ok(None)` once the closure has returned.
    ///
    /// # Errors
    ///
    /// [`Error::ShadowStackOverflow`] (the generator is finished
    /// afterwards), [`Error::Running`] if called from inside the generator.
    pub fn try_next(&mut self) -> Result<Option<T>, Error> {
        if self.finished {
            return Ok(None);
        }
        match self.co.resume() {
            Ok(Resume::Yielded(v)) => Ok(Some(v)),
            Ok(Resume::Complete(())) => {
                self.finished = true;
                Ok(None)
            }
            Err(e) => {
                self.finished = e != Error::Running;
                Err(e)
            }
        }
    }

    /// The underlying coroutine.
    pub fn coroutine(&self) -> &Coroutine<'a, (), T, ()> {
        &self.co
    }
}

impl<T> Iterator for Generator<'_, T> {
    type Item = T;

    /// # Panics
    ///
    /// If [`Generator::try_next`] fails.
    fn next(&mut self) -> Option<T> {
        match self.try_next() {
            Ok(v) => v,
            Err(e) => panic!("rewind-guest: generator failed: {e}"),
        }
    }
}

impl<T> FusedIterator for Generator<'_, T> {}

impl<T> fmt::Debug for Generator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("co", &self.co)
            .field("finished", &self.finished)
            .finish()
    }
}
