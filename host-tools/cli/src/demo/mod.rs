//! `rewind demo`: the examples that show Rewind at work, built ahead of
//! time by `build.rs` (`built`; nothing is built at run time): the game loop
//! (`game_loop`, and as a web site, `web`) and, as `rewind demo budget`, CPU
//! budgets for untrusted code (`budget`). What both need is here: writing the module out instead
//! of running it, reading guest memory in an import, and a quiet end when
//! stdout closes.

mod budget;
mod built;
mod game_loop;
mod web;

use std::path::Path;

use anyhow::{Context, Result};
use rewind_host::wasmi::{Caller, Error};

use crate::cli::{DemoArgs, DemoCommand};

/// Runs `rewind demo` (or `rewind demo budget`).
pub fn run(args: &DemoArgs) -> Result<()> {
    let demos = built::demos()?;
    match &args.demo {
        Some(DemoCommand::Budget(budget)) => budget::run(budget, demos.cpu_budget),
        None => game_loop::run(args, &demos.game_loop),
    }
}

/// Writes a demo's module to `path`.
fn emit(path: &Path, wasm: &[u8]) -> Result<()> {
    std::fs::write(path, wasm).with_context(|| format!("failed to write `{}`", path.display()))
}

/// A demo's result, where a closed stdout counts as success: `rewind demo
/// | head` is fine.
fn quiet_broken_pipe(result: Result<()>) -> Result<()> {
    match result {
        Err(err)
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// The `len` bytes at `ptr` in the guest's exported memory, for the import
/// `import` (named in the errors).
fn read_guest<T>(
    caller: &Caller<'_, T>,
    ptr: i32,
    len: i32,
    import: &str,
) -> Result<Vec<u8>, Error> {
    let memory = caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| Error::new("the guest exports no memory"))?;
    let mut bytes = vec![0; len as u32 as usize];
    memory
        .read(caller, ptr as u32 as usize, &mut bytes)
        .map_err(|_| Error::new(format!("{import}: bytes out of bounds")))?;
    Ok(bytes)
}
