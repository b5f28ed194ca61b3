//! What the caller asks of the transform: which imports suspend, the
//! function lists, and where the ABI globals and the save stack live.
//!
//! Every field has the meaning of the Binaryen pass argument of the same
//! name (`asyncify-imports`, `asyncify-onlylist`, ...), so build scripts can
//! switch tools without changing their intent.

/// The default of [`Options::flush_after`]: about 400 MB of walrus trees
/// (PHP 8.3, 23 MB, grows to 7.3 million instructions: one flush).
pub const FLUSH_AFTER: usize = 4_000_000;

/// Which instrumented functions get a fast path ([`Options::fast_path`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FastPath {
    /// None: the smallest output.
    #[default]
    Off,
    /// Functions on a cycle of direct calls (recursive ones, directly or
    /// through others): where the rewind guards cost most against the work
    /// of a call, and usually a small part of the code.
    Recursive,
    /// Every instrumented function: the fastest output, about twice the
    /// instrumented code.
    All,
}

/// Options of the asyncify transform. `Options::default()` instruments
/// whatever can reach a suspending import, treating every import as one that
/// may suspend, exactly like `wasm-opt --asyncify` without arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Imports that may suspend, as `module.name` patterns (`*` matches any
    /// run of characters). `None` means every import may suspend.
    pub imports: Option<Vec<String>>,
    /// No import suspends (only the `asyncify.*` intrinsics change state).
    pub ignore_imports: bool,
    /// Indirect calls are assumed never to suspend.
    pub ignore_indirect: bool,
    /// Instrument exactly these functions (name-section names, `*`
    /// wildcards) and nothing else.
    pub only_list: Option<Vec<String>>,
    /// Instrument these functions even if the analysis says they cannot
    /// suspend. Their callers are not affected.
    pub add_list: Vec<String>,
    /// Like `add_list`, but the functions also count as suspending for their
    /// callers, which are then instrumented too.
    pub propagate_add_list: Vec<String>,
    /// Never instrument these functions; calls to them are assumed not to
    /// suspend.
    pub remove_list: Vec<String>,
    /// Export `__asyncify_state` and `__asyncify_data`.
    pub export_globals: bool,
    /// Import `env.__asyncify_state` and `env.__asyncify_data` instead of
    /// defining them (several modules sharing one runtime).
    pub import_globals: bool,
    /// The memory that holds the save stack, by export name or name-section
    /// name. Default: the first memory.
    pub memory: Option<String>,
    /// Index of the shadow-stack-pointer global, for modules whose name
    /// section no longer says which global is `__stack_pointer`.
    pub stack_pointer_global: Option<u32>,
    /// Rewind's own (no Binaryen equivalent): which instrumented functions
    /// get a second copy of their body for calls that start in normal
    /// state, without the rewind guards (see `fast_path.rs`): faster in
    /// normal state, about twice the code of those functions.
    pub fast_path: FastPath,
    /// Rewind's own: restore frames with inline loads instead of the shared
    /// helpers that return several values (`frame_movers.rs`), so that the
    /// output needs no multi-value support when its input does not. For
    /// engines and tools without multi-value (Binaryen reads the default
    /// output only with `--enable-multivalue`); about 5% more code.
    pub no_multivalue: bool,
    /// Calls inside legacy `catch`/`catch_all` handlers are assumed never
    /// to suspend, and the handlers are left uninstrumented (Binaryen's
    /// `asyncify-ignore-unwind-from-catch`). Without it, a handler that may
    /// suspend runs after its `try` (and one that rethrows its own
    /// exception stays, resuming inside it trapping).
    pub ignore_unwind_from_catch: bool,
    /// Rewind's own, for memory: once the functions instrumented so far
    /// have this many instructions (walrus holds about 100 bytes each),
    /// the module is encoded once and their instruction trees are freed
    /// for the ones instrumented next; their encoded bodies go into the
    /// output. `None`: [`FLUSH_AFTER`]. Each flush costs an encoding of
    /// the whole module; the output is the same but for the order of
    /// functions. Not with `asserts`.
    pub flush_after: Option<usize>,
    /// Every function left uninstrumented checks, after each call that can
    /// change the state and on entry, that no suspension is passing
    /// through it, and traps naming itself if one is (Binaryen's
    /// `asyncify-asserts`, with names; see `asserts.rs` and
    /// [`crate::abi::ASSERTS_SECTION`]).
    pub asserts: bool,
    /// Every instrumented function calls the import `rewind.unwound(id)`
    /// as it saves its frame, the ids naming functions in the custom
    /// section `rewind.unwound` ([`crate::abi::UNWOUND_SECTION`]): a host
    /// learns which functions were on the stack at each suspension (what
    /// `rewind advise` records). Adds an import, so only for diagnostic
    /// builds.
    pub record_unwinds: bool,
}

impl Options {
    /// The options a `rewind-guest` guest needs: its one suspending import
    /// is `rewind.yield_to_host` (the intrinsics and the `__stack_pointer`
    /// global, found by name, need nothing). Add the imports of a guest
    /// that also suspends elsewhere (WASI, say) with
    /// [`Options::with_imports`].
    ///
    /// ```
    /// let options = rewind_transform::Options::for_guest()
    ///     .with_imports(["wasi_snapshot_preview1.fd_read"]);
    /// assert_eq!(
    ///     options.imports.unwrap(),
    ///     ["rewind.yield_to_host", "wasi_snapshot_preview1.fd_read"]
    /// );
    /// ```
    pub fn for_guest() -> Options {
        let (module, name) = crate::abi::YIELD_TO_HOST_IMPORT;
        Options {
            imports: Some(vec![format!("{module}.{name}")]),
            ..Options::default()
        }
    }

    /// These options with more suspending imports (`module.name`
    /// patterns).
    pub fn with_imports<S: Into<String>>(mut self, more: impl IntoIterator<Item = S>) -> Options {
        self.imports
            .get_or_insert_with(Vec::new)
            .extend(more.into_iter().map(Into::into));
        self
    }
}
