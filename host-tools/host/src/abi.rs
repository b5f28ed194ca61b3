//! The few names and numbers of the Asyncify ABI the driver needs.
//!
//! Copied from `rewind-transform`'s `abi` module (the host must not depend
//! on the transform at run time); a test in `tests/abi.rs` checks that both
//! copies agree.

/// Normal execution.
pub const STATE_NORMAL: i32 = 0;
/// The stack is being unwound.
pub const STATE_UNWINDING: i32 = 1;
/// The stack is being rewound.
pub const STATE_REWINDING: i32 = 2;
/// An unwind ran out of save-stack space (Rewind extension): nothing was
/// written past `stack_end` and the instance trapped.
pub const STATE_OVERFLOWED: i32 = 3;

/// Export: `asyncify_start_unwind(ptr)`.
pub const START_UNWIND: &str = "asyncify_start_unwind";
/// Export: `asyncify_stop_unwind()`.
pub const STOP_UNWIND: &str = "asyncify_stop_unwind";
/// Export: `asyncify_start_rewind(ptr)`.
pub const START_REWIND: &str = "asyncify_start_rewind";
/// Export: `asyncify_stop_rewind()`.
pub const STOP_REWIND: &str = "asyncify_stop_rewind";
/// Export: `asyncify_get_state() -> i32`.
pub const GET_STATE: &str = "asyncify_get_state";

/// The five exports an instrumented module has, in ABI order.
pub const REQUIRED_EXPORTS: [&str; 5] = [
    START_UNWIND,
    STOP_UNWIND,
    START_REWIND,
    STOP_REWIND,
    GET_STATE,
];

/// Global holding the state, exported by modules instrumented with
/// `--export-globals`.
pub const STATE_GLOBAL: &str = "__asyncify_state";
/// Global holding the data pointer, exported with [`STATE_GLOBAL`].
pub const DATA_GLOBAL: &str = "__asyncify_data";

/// Name of the shadow-stack-pointer global that `wasm-ld` emits.
pub const STACK_POINTER_GLOBAL: &str = "__stack_pointer";

/// Byte offset of `stack_end` in the `{ stack_pos, stack_end }` structure;
/// it is also the size of the header the driver writes at the start of a
/// save buffer.
pub const fn stack_end_offset(memory64: bool) -> u64 {
    if memory64 { 8 } else { 4 }
}

/// Size of the `{ stack_pos, stack_end }` header.
pub const fn header_size(memory64: bool) -> u64 {
    2 * stack_end_offset(memory64)
}
