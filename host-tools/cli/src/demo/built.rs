//! The demo modules: built for wasm32 and transformed by `build.rs` when
//! `rewind` itself was built, and included in the binary. A `rewind` built
//! without the wasm32 target has none, and says how to get them.

use anyhow::{Result, anyhow};

/// The target the examples are built for.
const TARGET: &str = "wasm32-unknown-unknown";

/// Everything `build.rs` built.
#[derive(Debug)]
pub struct Demos {
    /// `examples/game-loop`, instrumented.
    pub game_loop: GameLoop,
    /// `examples/cpu-budget`, metered and instrumented.
    pub cpu_budget: &'static [u8],
}

/// The game-loop module and what instrumenting it did.
#[derive(Debug)]
pub struct GameLoop {
    /// The instrumented module.
    pub wasm: &'static [u8],
    /// The module as built, not instrumented: for JSPI.
    pub plain: &'static [u8],
    /// Sizes and counts from instrumenting it.
    pub facts: GameLoopFacts,
}

/// What instrumenting the game loop did.
#[derive(Debug)]
pub struct GameLoopFacts {
    /// Size of the module before instrumentation, in bytes.
    pub bytes_before: usize,
    /// Size after instrumentation, in bytes.
    pub bytes_after: usize,
    /// Functions defined in the module.
    pub functions_total: usize,
    /// Functions the transform instrumented.
    pub functions_instrumented: usize,
}

/// What `build.rs` wrote: `Some` with the modules, `None` when the wasm32
/// target was not installed.
static BUILT: Option<Demos> = include!(concat!(env!("OUT_DIR"), "/demos.rs"));

/// The demo modules of this `rewind`.
///
/// # Errors
///
/// When it was built without the wasm32 target.
pub fn demos() -> Result<&'static Demos> {
    built(BUILT.as_ref())
}

/// `demos`, or the error that says how to get them.
fn built(demos: Option<&'static Demos>) -> Result<&'static Demos> {
    demos.ok_or_else(|| {
        anyhow!(
            "this rewind was built without the {TARGET} target, so it has no demos; \
             run `rustup target add {TARGET}` and build it again"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_target_the_error_says_how_to_get_it() {
        let message = built(None).unwrap_err().to_string();
        assert!(
            message.starts_with("this rewind was built without the wasm32-unknown-unknown target"),
            "{message}"
        );
        assert!(
            message.contains("run `rustup target add wasm32-unknown-unknown` and build it again"),
            "{message}"
        );
    }
}
