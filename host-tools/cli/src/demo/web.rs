//! `rewind demo --web DIR`: the game loop as a static web site.
//!
//! DIR gets the pages and scripts of `examples/game-loop/web` (included in
//! the binary) and the two builds of the game from `build.rs`: the
//! instrumented module, which `rewind.mjs` drives with Binaryen's protocol,
//! and the module as built, which runs under JSPI. `index.html` plays both
//! side by side, `bench.html` measures what a suspension costs in each.
//! Browsers load module scripts and `WebAssembly.compileStreaming` only
//! over HTTP, so the site is served, not opened as files.

use std::path::Path;

use anyhow::{Context, Result};

use super::built::GameLoop;

/// Includes a file of `examples/game-loop/web` under its own name.
macro_rules! site_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../../examples/game-loop/web/", $name)).as_slice(),
        )
    };
}

/// The pages and scripts, as they are in `examples/game-loop/web`.
const PAGES: [(&str, &[u8]); 8] = [
    site_file!("index.html"),
    site_file!("page.mjs"),
    site_file!("life.mjs"),
    site_file!("rewind.mjs"),
    site_file!("jspi.mjs"),
    site_file!("bench.html"),
    site_file!("bench-page.mjs"),
    site_file!("bench.mjs"),
];

/// Writes the site to `dir` (created if needed; files of the same names
/// are replaced) and says how to serve it.
pub fn write(dir: &Path, game: &GameLoop) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("failed to create the directory `{}`", dir.display()))?;
    let modules = [
        ("game_loop.async.wasm", game.wasm),
        ("game_loop.wasm", game.plain),
    ];
    for (name, bytes) in PAGES.into_iter().chain(modules) {
        let path = dir.join(name);
        std::fs::write(&path, bytes)
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    println!(
        "wrote the game loop's web site to {dir}:\n  \
         index.html   the game on a canvas, instrumented by Rewind and under JSPI side by side\n  \
         bench.html   what a suspension costs in each, measured in the same run\n\
         Serve it over HTTP and open it, for example:\n  \
         python3 -m http.server --directory {dir} 8000   # then http://localhost:8000/",
        dir = dir.display()
    );
    Ok(())
}
