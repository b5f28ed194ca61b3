//! The few names and numbers of the Asyncify ABI the driver needs, and
//! those of Rewind's diagnostic builds (`--asserts`, recorded unwinds).
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

/// With `--asserts`: exported `i32` global, `-1` until a check in an
/// uninstrumented function fails, then that function's id in
/// [`ASSERTS_SECTION`].
pub const MISSING_FUNCTION_GLOBAL: &str = "__rewind_missing_function";
/// With `--asserts`: exported `i32` global, the id of the callee after
/// whose call the check failed, or [`MISSING_CALLEE_INDIRECT`] or
/// [`MISSING_CALLEE_REWOUND_INTO`].
pub const MISSING_CALLEE_GLOBAL: &str = "__rewind_missing_callee";
/// The failed check followed an indirect call.
pub const MISSING_CALLEE_INDIRECT: i32 = -2;
/// The failed check was the one on entry: a rewind replayed a call into the
/// uninstrumented function.
pub const MISSING_CALLEE_REWOUND_INTO: i32 = -3;
/// With `--asserts`: the custom section naming the ids. UTF-8 text, one
/// item a line: [`ASSERTS_SECTION_HEADER`], then `lists add-list` or
/// `lists only-list` (the list that adds a missing function under the
/// options used), then one name a line, id 0 first.
pub const ASSERTS_SECTION: &str = "rewind.asserts";
/// First line of [`ASSERTS_SECTION`].
pub const ASSERTS_SECTION_HEADER: &str = "rewind asserts 1";

/// Modules that record unwinds: the import each instrumented function calls
/// with its id as it saves its frame, `[i32] -> []`.
pub const UNWOUND_IMPORT: (&str, &str) = ("rewind", "unwound");
/// Modules that record unwinds: the custom section naming the ids passed
/// to [`UNWOUND_IMPORT`]: [`UNWOUND_SECTION_HEADER`], then one function
/// name a line, id 0 first.
pub const UNWOUND_SECTION: &str = "rewind.unwound";
/// First line of [`UNWOUND_SECTION`].
pub const UNWOUND_SECTION_HEADER: &str = "rewind unwound 1";
