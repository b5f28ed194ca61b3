//! The names and numbers of the Asyncify ABI, plus Rewind's extensions.
//!
//! A host written for Binaryen's output works unchanged:
//!
//! * globals `__asyncify_state` (`i32`) and `__asyncify_data` (pointer),
//!   exported with `--export-globals`, imported from `env` with
//!   `--import-globals`;
//! * exports `asyncify_start_unwind(ptr)`, `asyncify_stop_unwind()`,
//!   `asyncify_start_rewind(ptr)`, `asyncify_stop_rewind()`,
//!   `asyncify_get_state() -> i32`;
//! * at `ptr`, `{ stack_pos, stack_end }`: two `i32` (two `i64` when the
//!   memory is 64-bit); the save stack grows upward from `stack_pos`.
//!
//! Imports of those functions from module `asyncify` (`start_unwind`,
//! `stop_unwind`, `start_rewind`, `stop_rewind`, `get_state`) are resolved
//! inside the module, so the runtime can be guest code.
//!
//! Rewind's extensions:
//!
//! * state [`STATE_OVERFLOWED`]: an unwind found too little room in the save
//!   stack. Nothing was written past `stack_end`; the instance then traps in
//!   the function named [`OVERFLOW_FUNCTION`]. A host that catches a trap
//!   can call `asyncify_get_state()` to tell this trap from any other.
//! * imports `rewind.get_stack_pointer() -> ptr` and
//!   `rewind.set_stack_pointer(ptr)`: read and write the shadow-stack
//!   pointer (`__stack_pointer`, found by name or given by index), for guest
//!   runtimes that give each coroutine its own C stack.
//! * fuel metering (`rewind fuel`): the budget global [`FUEL_GLOBAL`], the
//!   suspending import [`OUT_OF_FUEL_IMPORT`], and the imports
//!   [`GET_FUEL_IMPORT`] and [`SET_FUEL_IMPORT`] that the pass resolves to
//!   accessors of the budget.

/// Normal execution.
pub const STATE_NORMAL: i32 = 0;
/// The stack is being unwound.
pub const STATE_UNWINDING: i32 = 1;
/// The stack is being rewound.
pub const STATE_REWINDING: i32 = 2;
/// An unwind ran out of save-stack space (Rewind extension).
pub const STATE_OVERFLOWED: i32 = 3;

/// Name of the state global.
pub const STATE_GLOBAL: &str = "__asyncify_state";
/// Name of the data-pointer global.
pub const DATA_GLOBAL: &str = "__asyncify_data";
/// Module the globals are imported from with `--import-globals`.
pub const GLOBALS_IMPORT_MODULE: &str = "env";

/// Export names of the runtime API, in ABI order.
pub const START_UNWIND: &str = "asyncify_start_unwind";
/// See [`START_UNWIND`].
pub const STOP_UNWIND: &str = "asyncify_stop_unwind";
/// See [`START_UNWIND`].
pub const START_REWIND: &str = "asyncify_start_rewind";
/// See [`START_UNWIND`].
pub const STOP_REWIND: &str = "asyncify_stop_rewind";
/// See [`START_UNWIND`].
pub const GET_STATE: &str = "asyncify_get_state";

/// Module of the intrinsic imports resolved inside the module.
pub const INTRINSIC_MODULE: &str = "asyncify";
/// Module of Rewind's extension imports.
pub const EXTENSION_MODULE: &str = "rewind";
/// Extension import: read the shadow-stack pointer.
pub const GET_STACK_POINTER: &str = "get_stack_pointer";
/// Extension import: write the shadow-stack pointer.
pub const SET_STACK_POINTER: &str = "set_stack_pointer";
/// The import through which a `rewind-guest` guest yields to its host
/// (`rewind_guest::yield_to_host`), `[] -> []`: the one suspending import
/// of a guest that does not use WASI.
pub const YIELD_TO_HOST_IMPORT: (&str, &str) = ("rewind", "yield_to_host");
/// Name of the shadow-stack-pointer global that `wasm-ld` emits.
pub const STACK_POINTER_GLOBAL: &str = "__stack_pointer";

/// Name of the function a rewind traps in when the call it must resume is
/// inside a legacy catch handler that rethrows its exception (a handler
/// that cannot be moved out of its `try`, so cannot be re-entered).
pub const RESUME_IN_CATCH_FUNCTION: &str = "__rewind_resume_in_catch_with_rethrow";

/// Name of the function an overflowing unwind traps in.
pub const OVERFLOW_FUNCTION: &str = "__asyncify_save_stack_overflow";

/// Name of the runtime function that reserves a frame's bytes on the save
/// stack (checking for room, trapping in [`OVERFLOW_FUNCTION`] without it)
/// and returns where the frame starts, for the unwinding frames whose first
/// run's helper does not do it (see `frame_movers.rs`).
pub const FRAME_PUSH_FUNCTION: &str = "__rewind_frame_push";

/// Name of the runtime function that takes a frame's bytes back off the
/// save stack and returns where the frame starts, for the rewinding frames
/// read back by inline loads (see `frame_movers.rs`).
pub const FRAME_POP_FUNCTION: &str = "__rewind_frame_pop";

/// Name of the global that holds a metered module's budget while a rewind
/// runs (the fuel global then holds a large negative number; see the
/// transform's `parked_fuel.rs`).
pub const PARKED_FUEL_GLOBAL: &str = "__rewind_fuel_parked";

/// Name of the runtime function that parks a metered module's budget.
pub const PARK_FUEL_FUNCTION: &str = "__rewind_park_fuel";

/// Byte offset of `stack_end` in the data structure for a 32-bit memory
/// (`stack_pos` is at 0). For memory64 both fields are 8 bytes wide.
pub const fn stack_end_offset(memory64: bool) -> u64 {
    if memory64 { 8 } else { 4 }
}

/// Name of the fuel global that `rewind fuel` adds (and of its export):
/// the remaining budget, an `i64`.
pub const FUEL_GLOBAL: &str = "__rewind_fuel";
/// Module and name of the default out-of-fuel import, called when the
/// budget runs out; it suspends.
pub const OUT_OF_FUEL_IMPORT: (&str, &str) = ("rewind", "out_of_fuel");
/// Import resolved to a function returning the counter: `[] -> [i64]`.
pub const GET_FUEL_IMPORT: (&str, &str) = ("rewind", "get_fuel");
/// Import resolved to a function setting the counter: `[i64] -> []`.
pub const SET_FUEL_IMPORT: (&str, &str) = ("rewind", "set_fuel");

/// With `--asserts`: the function an uninstrumented function calls when it
/// finds itself on the stack during a suspension; it traps (see
/// `asserts.rs`).
pub const NOT_INSTRUMENTED_FUNCTION: &str = "__rewind_not_instrumented";
/// With `--asserts`: exported `i32` global, `-1` until a check fails, then
/// the id (in [`ASSERTS_SECTION`]) of the uninstrumented function.
pub const MISSING_FUNCTION_GLOBAL: &str = "__rewind_missing_function";
/// With `--asserts`: exported `i32` global, the id of the callee of the
/// call after which the check failed, or [`MISSING_CALLEE_INDIRECT`] or
/// [`MISSING_CALLEE_REWOUND_INTO`].
pub const MISSING_CALLEE_GLOBAL: &str = "__rewind_missing_callee";
/// The failed check followed an indirect call.
pub const MISSING_CALLEE_INDIRECT: i32 = -2;
/// The failed check was the one on entry: a rewind replayed a call into
/// the uninstrumented function.
pub const MISSING_CALLEE_REWOUND_INTO: i32 = -3;
/// With `--asserts`: the custom section naming the ids. UTF-8 text, one
/// item a line: the header [`ASSERTS_SECTION_HEADER`], then `lists
/// add-list` or `lists only-list` (the list that adds a missing function
/// under the options used), then one name a line, id 0 first (function
/// names as in `--verbose`, imports as `module.name`; a newline in a name
/// is written `\\n`).
pub const ASSERTS_SECTION: &str = "rewind.asserts";
/// First line of [`ASSERTS_SECTION`].
pub const ASSERTS_SECTION_HEADER: &str = "rewind asserts 1";

/// With `Options::record_unwinds`: the import instrumented functions call
/// with their id as they save their frame, `[i32] -> []`.
pub const UNWOUND_IMPORT: (&str, &str) = ("rewind", "unwound");
/// With `Options::record_unwinds`: the custom section naming the ids
/// passed to [`UNWOUND_IMPORT`]: the header [`UNWOUND_SECTION_HEADER`], then
/// one function name a line, id 0 first (the format of
/// [`ASSERTS_SECTION`] without its `lists` line).
pub const UNWOUND_SECTION: &str = "rewind.unwound";
/// First line of [`UNWOUND_SECTION`].
pub const UNWOUND_SECTION_HEADER: &str = "rewind unwound 1";
