//! Per-instance settings: save-buffer size and placement, the order in which
//! suspended calls may resume, and which memory holds the buffers.

/// Default size of one save buffer, header included: 64 KiB.
pub const DEFAULT_BUFFER_SIZE: u64 = 64 * 1024;

/// Guest allocator exports tried, in order, by [`Placement::Auto`].
pub const ALLOCATOR_EXPORTS: [&str; 2] = ["rewind_alloc", "malloc"];

/// Where save buffers come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Placement {
    /// The first of [`ALLOCATOR_EXPORTS`] the module exports with type
    /// `(ptr) -> ptr`; otherwise [`Placement::GrowMemory`].
    #[default]
    Auto,
    /// Call this guest export, `(size: ptr) -> ptr`, once per buffer. A
    /// null result is an error.
    Allocator(String),
    /// Grow the memory by enough whole pages for one buffer; those pages
    /// belong to the driver. Safe with allocators that take pages from
    /// `memory.grow` (dlmalloc, talc, wee_alloc); not with an `sbrk` that
    /// assumes it owns everything up to the memory's end, which is why
    /// `Auto` prefers an allocator export.
    GrowMemory,
}

/// Which suspended calls of one instance may be resumed, and when.
///
/// Several calls can be suspended at once, each with its own save buffer.
/// Asyncify saves wasm locals, not the guest's shadow stack (the C stack in
/// linear memory, `__stack_pointer`): a suspended call leaves its frames
/// there, and a call started after it pushes its own below them. Resuming
/// the older call first would run it over the newer call's frames, so with
/// a shadow stack only the most recently started unfinished call may run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResumeOrder {
    /// [`ResumeOrder::Any`] when the module demonstrably has no shadow stack
    /// (its name section names its globals and none is `__stack_pointer`,
    /// and it neither imports nor exports one); [`ResumeOrder::Lifo`]
    /// otherwise.
    #[default]
    Auto,
    /// Only the most recently started call that has not finished may resume;
    /// anything else is [`Error::ResumeOrder`](crate::Error::ResumeOrder).
    /// Dropping a suspended call abandons it and lifts the restriction.
    Lifo,
    /// Any suspended call may resume at any time. Only sound for modules
    /// without a shadow stack, or whose guest runtime gives each call its
    /// own stack.
    Any,
}

/// Settings of one [`Instance`](crate::Instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Size of each save buffer in bytes, the 8- or 16-byte header
    /// included. Default [`DEFAULT_BUFFER_SIZE`].
    pub buffer_size: u64,
    /// Where buffers come from. Default [`Placement::Auto`].
    pub placement: Placement,
    /// Which calls may resume. Default [`ResumeOrder::Auto`].
    pub resume_order: ResumeOrder,
    /// Export name of the memory holding the buffers (and the save stack).
    /// Default: `memory` if exported, else the first exported memory.
    pub memory: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            buffer_size: DEFAULT_BUFFER_SIZE,
            placement: Placement::Auto,
            resume_order: ResumeOrder::Auto,
            memory: None,
        }
    }
}

impl Config {
    /// Sets [`Config::buffer_size`].
    pub fn buffer_size(mut self, bytes: u64) -> Self {
        self.buffer_size = bytes;
        self
    }

    /// Sets [`Config::placement`].
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// Sets [`Config::resume_order`].
    pub fn resume_order(mut self, order: ResumeOrder) -> Self {
        self.resume_order = order;
        self
    }

    /// Sets [`Config::memory`].
    pub fn memory(mut self, export: impl Into<String>) -> Self {
        self.memory = Some(export.into());
        self
    }
}
