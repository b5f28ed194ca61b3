//! Exports `__stack_pointer` from the wasm32 module (a linker argument), so
//! that a JavaScript host can run concurrent calls of the game's exports on
//! shadow stacks of their own (`web/rewind.mjs`). Builds for the host (the
//! unit tests) are left alone.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=--export=__stack_pointer");
    }
}
