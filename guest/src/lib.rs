//! `rewind-guest`: coroutines and generators for Rust code inside a module
//! instrumented by `rewind asyncify`.
#![no_std]
