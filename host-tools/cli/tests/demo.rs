//! `rewind demo`: the built-in game loop prints frames and statistics, and
//! the same instrumented module gives the same frames under Node.js with
//! `examples/game-loop/host.mjs` (Binaryen's protocol in plain JavaScript).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{rewind, scratch};

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "rewind failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn the_demo_prints_frames_and_statistics() {
    let out = stdout(&rewind(&["demo"]));
    for n in 1..=5 {
        assert!(
            out.contains(&format!("frame {n}/5 · generation {n}  alive ")),
            "frame {n} missing:\n{out}"
        );
    }
    assert!(!out.contains("frame 6/"));
    // Every frame shows the whole grid: 10 rows of 32 cells.
    let rows = out
        .lines()
        .filter(|line| {
            line.len() == 34
                && line.starts_with("  ")
                && line[2..].bytes().all(|b| b == b'#' || b == b'.')
        })
        .count();
    assert_eq!(rows, 5 * 10, "{out}");
    assert!(out.contains("frames         5"), "{out}");
    assert!(out.contains("suspensions    5 "), "{out}");
    assert!(out.contains("1 save buffer"), "{out}");
    assert!(out.contains("time per frame "), "{out}");
    assert!(
        out.lines().count() < 80,
        "the demo's output should stay short"
    );
}

#[test]
fn frames_can_be_chosen_and_printed_raw() {
    let out = stdout(&rewind(&["demo", "--frames", "3", "--raw"]));
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("=== ")).collect();
    assert_eq!(
        headers,
        ["=== frame 1 ===", "=== frame 2 ===", "=== frame 3 ==="]
    );
    assert!(out.contains("generation 3  alive "));
    assert!(!out.contains("suspensions"));

    let zero = rewind(&["demo", "--frames", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}

#[test]
fn the_emitted_module_is_instrumented() {
    let dir = scratch("rewind-demo", "emit");
    let path = dir.join("game_loop.wasm");
    stdout(&rewind(&["demo", "--emit-wasm", path.to_str().unwrap()]));
    let wasm = std::fs::read(&path).unwrap();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let wasmparser::Payload::ExportSection(reader) = payload.unwrap() {
            for export in reader {
                exports.push(export.unwrap().name.to_string());
            }
        }
    }
    for name in [
        "run",
        "memory",
        "asyncify_start_unwind",
        "asyncify_stop_rewind",
    ] {
        assert!(
            exports.iter().any(|e| e == name),
            "no export {name}: {exports:?}"
        );
    }
}

/// Node.js, if it is installed.
fn node() -> Option<String> {
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".to_string());
    match Command::new(&node).arg("--version").output() {
        Ok(out) if out.status.success() => Some(node),
        _ => None,
    }
}

#[test]
fn the_javascript_host_draws_the_same_frames() {
    let Some(node) = node() else {
        eprintln!("note: skipping the JavaScript host test: `node` is not installed");
        return;
    };
    let dir = scratch("rewind-demo", "node");
    let wasm = dir.join("game_loop.wasm");
    stdout(&rewind(&["demo", "--emit-wasm", wasm.to_str().unwrap()]));
    let host = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/game-loop/host.mjs");

    let frames = "40";
    let out = Command::new(&node)
        .arg(&host)
        .arg(&wasm)
        .arg(frames)
        .output()
        .expect("failed to start node");
    assert!(
        out.status.success(),
        "node {} failed:\n{}",
        host.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let js = String::from_utf8(out.stdout).unwrap();
    let rust = stdout(&rewind(&["demo", "--raw", "--frames", frames]));
    assert!(rust.contains("=== frame 40 ===\ngeneration 40  alive "));
    assert_eq!(
        js, rust,
        "the frames under Node.js differ from rewind-host's"
    );
}
