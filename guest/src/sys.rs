//! The imports the runtime is built on.
//!
//! * `asyncify.{start_unwind, stop_unwind, start_rewind, stop_rewind,
//!   get_state}`: Binaryen's Asyncify runtime functions, which
//!   `rewind asyncify` resolves *inside* the module;
//! * `rewind.{get_stack_pointer, set_stack_pointer}`: Rewind's extension,
//!   resolved to `global.get`/`global.set` of `__stack_pointer`;
//! * `rewind.yield_to_host`: an ordinary import that the host implements
//!   with Binaryen's protocol (it unwinds the whole guest stack);
//! * with the `fuel` feature, `rewind.{get_fuel, set_fuel}` (the fuel
//!   counter `__rewind_fuel`, resolved by `rewind fuel`) and
//!   `rewind.out_of_fuel` (the host's handler, which suspends like
//!   `yield_to_host`).
//!
//! Only a `wasm32`/`wasm64` build imports them. Everywhere else the same
//! functions exist as stand-ins that panic, so the crate compiles and its
//! pure logic (layouts, canaries, the scheduler's bookkeeping) can be tested
//! on the host.

/// `__asyncify_state` while a stack is being unwound.
pub(crate) const STATE_UNWINDING: i32 = 1;
/// `__asyncify_state` while a stack is being rewound.
pub(crate) const STATE_REWINDING: i32 = 2;

#[cfg(any(target_arch = "wasm32", target_arch = "wasm64"))]
mod imp {
    #[link(wasm_import_module = "asyncify")]
    unsafe extern "C" {
        #[link_name = "start_unwind"]
        pub(crate) fn start_unwind(data: *mut u8);
        #[link_name = "stop_unwind"]
        pub(crate) fn stop_unwind();
        #[link_name = "start_rewind"]
        pub(crate) fn start_rewind(data: *mut u8);
        #[link_name = "stop_rewind"]
        pub(crate) fn stop_rewind();
        #[link_name = "get_state"]
        pub(crate) fn get_state() -> i32;
    }

    #[link(wasm_import_module = "rewind")]
    unsafe extern "C" {
        #[link_name = "get_stack_pointer"]
        pub(crate) fn get_stack_pointer() -> *mut u8;
        #[link_name = "set_stack_pointer"]
        pub(crate) fn set_stack_pointer(sp: *mut u8);
        #[link_name = "yield_to_host"]
        pub(crate) fn yield_to_host();
    }

    #[cfg(feature = "fuel")]
    #[link(wasm_import_module = "rewind")]
    unsafe extern "C" {
        #[link_name = "get_fuel"]
        pub(crate) fn get_fuel() -> i64;
        #[link_name = "set_fuel"]
        pub(crate) fn set_fuel(fuel: i64);
        #[link_name = "out_of_fuel"]
        pub(crate) fn out_of_fuel();
    }
}

#[cfg(not(any(target_arch = "wasm32", target_arch = "wasm64")))]
mod imp {
    //! Host stand-ins: switching stacks needs an instrumented wasm module.

    #[cold]
    fn unavailable() -> ! {
        panic!(
            "rewind-guest: coroutines, yield_to_host and fuel only run inside a wasm module \
             instrumented by `rewind asyncify` (or `rewind fuel`)"
        )
    }

    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn start_unwind(_data: *mut u8) {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn stop_unwind() {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn start_rewind(_data: *mut u8) {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn stop_rewind() {
        unavailable()
    }
    /// # Safety
    /// Always safe: outside wasm nothing is ever unwinding.
    pub(crate) unsafe fn get_state() -> i32 {
        0
    }
    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn get_stack_pointer() -> *mut u8 {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn set_stack_pointer(_sp: *mut u8) {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    pub(crate) unsafe fn yield_to_host() {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    #[cfg(feature = "fuel")]
    pub(crate) unsafe fn get_fuel() -> i64 {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    #[cfg(feature = "fuel")]
    pub(crate) unsafe fn set_fuel(_fuel: i64) {
        unavailable()
    }
    /// # Safety
    /// Never returns; callable anywhere.
    #[cfg(feature = "fuel")]
    pub(crate) unsafe fn out_of_fuel() {
        unavailable()
    }
}

pub(crate) use imp::*;
