//! Hostile input through the library: the corpus in `tests/hostile/`, random
//! bytes, and mutations of valid modules. Each input must give `Ok` with a
//! validating module or a clean `Err` — no panic, no hang, and no single
//! allocation anywhere near what a lying length field asks for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rewind_transform::{Options, asyncify};

/// Counts the largest single allocation.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only records sizes.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// No allocation for a small input may exceed this.
const ALLOCATION_LIMIT: usize = 64 << 20;

fn survive(name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let result = std::panic::catch_unwind(|| asyncify(bytes, &Options::default()));
    let elapsed = started.elapsed();
    match result {
        Err(_) => panic!("{name}: the transform panicked"),
        Ok(Ok(out)) => {
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
                .validate_all(&out.wasm)
                .unwrap_or_else(|e| panic!("{name}: output does not validate: {e}"));
        }
        Ok(Err(e)) => assert!(!e.to_string().is_empty(), "{name}: empty error"),
    }
    assert!(elapsed < Duration::from_secs(5), "{name}: took {elapsed:?}");
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < ALLOCATION_LIMIT,
        "{name}: allocated {largest} bytes at once"
    );
}

#[test]
fn corpus_gives_clean_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hostile");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/hostile exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let bytes = std::fs::read(&path).expect("readable corpus file");
            survive(&path.display().to_string(), &bytes);
            let err = asyncify(&bytes, &Options::default()).expect_err("corpus inputs are all bad");
            assert!(
                !format!("{err}").contains("bug"),
                "{}: {err}",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen >= 10, "corpus has only {seen} modules");
}

/// A small deterministic byte source.
fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn random_bytes_give_clean_errors() {
    for seed in 0..300 {
        let mut input = bytes(seed, (seed as usize * 7) % 600);
        if seed % 2 == 0 {
            // Half start with a valid header, so parsing gets further.
            input.splice(0..0, *b"\0asm\x01\0\0\0");
        }
        survive(&format!("random bytes, seed {seed}"), &input);
    }
}

#[test]
fn mutated_valid_modules_give_clean_errors_or_valid_output() {
    let valid = wat::parse_str(
        r#"(module
          (import "env" "sleep" (func $sleep (param i32) (result i32)))
          (memory (export "memory") 1)
          (table 2 funcref) (elem (i32.const 0) $f $g)
          (type $t (func (param i32) (result i32)))
          (func $f (type $t) (local.get 0) (call $sleep) (i32.const 1) (i32.add))
          (func $g (type $t) (block (result i32) (loop (result i32) (local.get 0) (br_if 1) (i32.const 3))))
          (func (export "main") (param i32) (result i32)
            (call_indirect (type $t) (local.get 0) (i32.const 0))))"#,
    )
    .expect("valid test module");
    for seed in 0..400u64 {
        let mut input = valid.clone();
        let noise = bytes(seed, 8);
        for k in 0..1 + (seed % 4) as usize {
            let at = (noise[k] as usize * 131 + seed as usize) % input.len();
            match seed % 3 {
                0 => input[at] = noise[k + 4],
                1 => input.truncate(at.max(8)),
                _ => input.insert(at, noise[k + 4]),
            }
        }
        survive(&format!("mutated module, seed {seed}"), &input);
    }
}
