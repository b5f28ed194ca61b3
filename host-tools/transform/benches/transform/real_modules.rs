//! The modules of the real part: published builds of real programs,
//! each pinned to one package version so that results are reproducible.

use crate::fetch::NpmFile;

/// Binaryen `--enable-*` flags for Emscripten's output. Release builds
/// carry no `target_features` section, and Binaryen's defaults vary by
/// version (108 assumes the MVP; 132 still refuses `memory.copy` and
/// saturating conversions), so every feature used is named.
const EMSCRIPTEN: &[&str] = &[
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
];

/// The same with exceptions (legacy `try`/`catch`).
const EMSCRIPTEN_EH: &[&str] = &[
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-exception-handling",
];

/// The same for wasm-bindgen's output with reference types.
const WASM_BINDGEN: &[&str] = &[
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub struct RealModule {
    pub name: &'static str,
    pub file: NpmFile,
    /// Features to enable in Binaryen (for `--asyncify -O` on the module
    /// and `-O` on ours).
    pub binaryen_features: &'static [&'static str],
    /// Runs of the transform whose median is reported (the biggest
    /// modules take seconds each).
    pub iters: usize,
}

pub const REAL_MODULES: [RealModule; 6] = [
    // PHP 8.3 built by php-wasm *without* Asyncify (the JSPI build): the
    // C interpreter with its extensions, ~23 MB, C++ exceptions in the
    // legacy encoding (`try`/`catch`/`delegate`).
    RealModule {
        name: "php",
        file: NpmFile {
            package: "@php-wasm/node-8-3",
            version: "3.1.54",
            path: "package/jspi/8_3_*/php_8_3.wasm",
        },
        binaryen_features: EMSCRIPTEN_EH,
        iters: 3,
    },
    // SQLite's own Emscripten build of the sqlite3 library (the one the
    // SQLite project publishes; the `latest` tag points at an old 3.41).
    RealModule {
        name: "sqlite3",
        file: NpmFile {
            package: "@sqlite.org/sqlite-wasm",
            version: "3.54.1-build1",
            path: "package/dist/sqlite3.wasm",
        },
        binaryen_features: EMSCRIPTEN,
        iters: 5,
    },
    // QuickJS (Bellard's), the release build of quickjs-emscripten with a
    // separate `.wasm` file and no Asyncify.
    RealModule {
        name: "quickjs",
        file: NpmFile {
            package: "@jitl/quickjs-wasmfile-release-sync",
            version: "0.32.0",
            path: "package/dist/emscripten-module.wasm",
        },
        binaryen_features: EMSCRIPTEN,
        iters: 5,
    },
    // Graphviz (the C layout engines) in hpcc-js's Emscripten build, ~1 MB.
    // Later versions embed the module in JavaScript as text; 1.20.1 is the
    // last that ships it as a `.wasm` file.
    RealModule {
        name: "graphviz",
        file: NpmFile {
            package: "@hpcc-js/wasm",
            version: "1.20.1",
            path: "package/dist/graphvizlib.wasm",
        },
        binaryen_features: EMSCRIPTEN,
        iters: 5,
    },
    // Rollup's Rust parser (SWC) through wasm-bindgen with reference
    // types: 4 of its 7 imports take or return `externref`, and JS values
    // live in the exported `__wbindgen_externrefs` table.
    RealModule {
        name: "rollup",
        file: NpmFile {
            package: "@rollup/wasm-node",
            version: "4.68.4",
            path: "package/dist/wasm-node/bindings_wasm_bg.wasm",
        },
        binaryen_features: WASM_BINDGEN,
        iters: 5,
    },
    // Biome (Rust linter/formatter) through wasm-bindgen, ~35 MB: 51 of
    // 58 imports use `externref`, and 23 functions keep `externref`
    // locals, which must survive a suspension in side tables.
    RealModule {
        name: "biome",
        file: NpmFile {
            package: "@biomejs/wasm-web",
            version: "2.4.15",
            path: "package/biome_wasm_bg.wasm",
        },
        binaryen_features: WASM_BINDGEN,
        iters: 3,
    },
];
