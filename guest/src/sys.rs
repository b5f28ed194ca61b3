//! The imports the runtime is built on, each with its contract.
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
//! Only a `wasm32`/`wasm64` build imports them. Everywhere else each is a
//! stand-in with the same signature and contract that panics, so the crate
//! compiles and its pure logic (layouts, canaries, the scheduler's
//! bookkeeping) can be tested on the host.

/// `__asyncify_state` while a stack is being unwound.
pub(crate) const STATE_UNWINDING: i32 = 1;
/// `__asyncify_state` while a stack is being rewound.
pub(crate) const STATE_REWINDING: i32 = 2;

/// Declares each function, from one list that states its contract once:
/// as an import from `module` on wasm, as a stand-in that panics elsewhere.
macro_rules! imports {
    ($(
        #[module = $module:literal]
        $(#[$attr:meta])*
        fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)?;
    )*) => {$(
        #[cfg(any(target_arch = "wasm32", target_arch = "wasm64"))]
        #[link(wasm_import_module = $module)]
        unsafe extern "C" {
            $(#[$attr])*
            pub(crate) fn $name($($arg: $ty),*) $(-> $ret)?;
        }

        $(#[$attr])*
        #[cfg(not(any(target_arch = "wasm32", target_arch = "wasm64")))]
        pub(crate) unsafe fn $name($(_: $ty),*) $(-> $ret)? {
            unavailable()
        }
    )*};
}

/// What every stand-in does: switching stacks needs an instrumented wasm
/// module.
#[cfg(not(any(target_arch = "wasm32", target_arch = "wasm64")))]
#[cold]
fn unavailable() -> ! {
    panic!(
        "rewind-guest: coroutines, yield_to_host and fuel only run inside a wasm module \
         instrumented by `rewind asyncify` (or `rewind fuel`)"
    )
}

imports! {
    #[module = "asyncify"]
    /// Starts an unwind into the save stack that `data` describes: from its
    /// return on, every instrumented function saves its live locals there
    /// and returns at once, down to the function that calls
    /// [`stop_unwind`].
    ///
    /// # Safety
    ///
    /// * `data` points to an Asyncify data structure `{stack_pos,
    ///   stack_end}` with `stack_pos <= stack_end`, both bounding memory
    ///   that nothing else uses until the rewind of this unwind has ended
    ///   (the unwind writes its frames there, and stops the module with a
    ///   trap rather than write past `stack_end`);
    /// * no unwind or rewind is under way (`get_state() == 0`);
    /// * the caller is not instrumented (it is the top-most runtime), is
    ///   called by instrumented code, and returns right after;
    /// * an uninstrumented function further down the stack calls
    ///   [`stop_unwind`] when the unwind reaches it.
    fn start_unwind(data: *mut u8);

    #[module = "asyncify"]
    /// Ends an unwind: code runs normally again.
    ///
    /// # Safety
    ///
    /// An unwind is under way (`get_state() == 1`), and has returned to the
    /// caller, an uninstrumented function (the bottom-most runtime).
    fn stop_unwind();

    #[module = "asyncify"]
    /// Starts a rewind from the save stack that `data` describes: the
    /// instrumented functions called from now on restore their saved
    /// frames and call on to where they unwound, up to the call of
    /// [`stop_rewind`].
    ///
    /// # Safety
    ///
    /// * `data` is the data structure of an ended unwind whose save stack
    ///   has not changed since;
    /// * no unwind or rewind is under way;
    /// * the caller is not instrumented, and next calls the function that
    ///   was at the bottom of that unwind, with `__stack_pointer` as it was
    ///   when the unwind ended (rewinding functions skip their prologues).
    fn start_rewind(data: *mut u8);

    #[module = "asyncify"]
    /// Ends a rewind: code runs normally again.
    ///
    /// # Safety
    ///
    /// A rewind is under way (`get_state() == 2`), and has reached the
    /// caller, the uninstrumented function whose call to [`start_unwind`]
    /// it retraces.
    fn stop_rewind();

    #[module = "asyncify"]
    /// `__asyncify_state`: 0 normal, 1 unwinding ([`STATE_UNWINDING`]), 2
    /// rewinding ([`STATE_REWINDING`]).
    ///
    /// # Safety
    ///
    /// None: it only reads a global.
    fn get_state() -> i32;

    #[module = "rewind"]
    /// `__stack_pointer`: the top of the free part of the running stack.
    ///
    /// # Safety
    ///
    /// None: it only reads a global.
    fn get_stack_pointer() -> *mut u8;

    #[module = "rewind"]
    /// Sets `__stack_pointer`: the code that runs next keeps its memory
    /// frames below `sp`.
    ///
    /// # Safety
    ///
    /// `sp` is 16-byte aligned, and the memory below it, as deep as the
    /// code that runs on it goes, is free stack memory that stays valid
    /// while that code runs. (Compiled code reaches its own frame through a
    /// local copy of the pointer, so the caller's frame stays usable.)
    fn set_stack_pointer(sp: *mut u8);

    #[module = "rewind"]
    /// Suspends the running export: the host unwinds the whole stack with
    /// Asyncify, and later rewinds it and calls this again, which then
    /// returns.
    ///
    /// # Safety
    ///
    /// The caller is instrumented code in the main context: no coroutine's
    /// `resume_raw`, which is a bottom-most runtime, is on the stack to
    /// stop the unwind on its way to the export.
    fn yield_to_host();

    #[module = "rewind"]
    #[cfg(feature = "fuel")]
    /// The running context's fuel counter (`__rewind_fuel`).
    ///
    /// # Safety
    ///
    /// None: it only reads a global.
    fn get_fuel() -> i64;

    #[module = "rewind"]
    #[cfg(feature = "fuel")]
    /// Sets the running context's fuel counter (a negative value makes the
    /// next check call the out-of-fuel handler).
    ///
    /// # Safety
    ///
    /// None: it only writes a global.
    fn set_fuel(fuel: i64);

    #[module = "rewind"]
    #[cfg(feature = "fuel")]
    /// The host's out-of-fuel handler: suspends the running export, as
    /// [`yield_to_host`] does.
    ///
    /// # Safety
    ///
    /// As [`yield_to_host`].
    fn out_of_fuel();
}
