//! [`Config`]: the sizes of a coroutine's two stacks.

/// Sizes of a coroutine's two stacks.
///
/// * `save_stack`: bytes for the frames Asyncify saves when the coroutine
///   yields: for each function on the coroutine's call stack, its live
///   locals plus a call-site index (typically 10 to 100 bytes per frame).
///   Too small a save stack is a trap the host can identify (see
///   [`Error`](crate::Error)).
/// * `shadow_stack`: the coroutine's own C stack (`__stack_pointer`), for
///   the locals Rust keeps in memory. Overflow is detected at the next
///   switch (see [`Error::ShadowStackOverflow`](crate::Error::ShadowStackOverflow)).
///
/// Both are rounded up to multiples of 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Bytes of save stack.
    pub save_stack: usize,
    /// Bytes of shadow stack.
    pub shadow_stack: usize,
}

impl Config {
    /// 4 KiB of save stack, 16 KiB of shadow stack.
    pub const DEFAULT: Config = Config {
        save_stack: 4 * 1024,
        shadow_stack: 16 * 1024,
    };
    /// The smallest save stack accepted.
    pub const MIN_SAVE_STACK: usize = 64;
    /// The smallest shadow stack accepted.
    pub const MIN_SHADOW_STACK: usize = 256;

    /// A configuration with the given sizes.
    pub const fn new(save_stack: usize, shadow_stack: usize) -> Self {
        Config {
            save_stack,
            shadow_stack,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}
