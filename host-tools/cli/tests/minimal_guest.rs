//! The minimal guest of `guest/README.md`, as a new user meets it: its
//! files (which must be `examples/minimal-guest`'s) are written into an
//! empty directory outside Rewind's workspace, with the path dependency
//! pointing at `guest/`, and the README's commands run there one by one:
//! `cargo build` (through rustup, so that the guest's own
//! `rust-toolchain.toml` picks the toolchain), `rewind asyncify` and `rewind
//! run`, whose output must be what the README's comments say.
//!
//! Needs the `wasm32-unknown-unknown` target of the pinned toolchain
//! (`rustup target add wasm32-unknown-unknown`); without it the test fails
//! and says so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::stderr;

/// The repository's top directory.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The code blocks of the README's "A minimal guest" section: info string
/// and text, in order.
fn readme_blocks() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(repo().join("guest/README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("A minimal guest\n"))
        .expect("guest/README.md has no `## A minimal guest` section");
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let text: String = lines
                .by_ref()
                .take_while(|l| *l != "```")
                .map(|l| format!("{l}\n"))
                .collect();
            blocks.push((info.to_owned(), text));
        }
    }
    blocks
}

/// One line of the README's shell block: the words of the command, and
/// what its comment says it prints (`# prints X`).
fn command(line: &str) -> (Vec<&str>, Option<&str>) {
    let (command, comment) = line.split_once('#').unwrap_or((line, ""));
    let printed = comment.trim().strip_prefix("prints ");
    (command.split_whitespace().collect(), printed)
}

/// `cargo` as a user runs it: rustup's, with nothing this test's own
/// build set in the environment.
fn cargo() -> Command {
    let mut cargo = Command::new("cargo");
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cargo.env_remove(var);
    }
    cargo
}

#[test]
fn the_readme_guest_is_the_example_and_builds_instruments_and_runs_outside_the_workspace() {
    let blocks = readme_blocks();
    let infos: Vec<&str> = blocks.iter().map(|(info, _)| info.as_str()).collect();
    assert_eq!(
        infos,
        ["toml", "toml", "rust", "sh"],
        "the section's code blocks"
    );
    let example = repo().join("examples/minimal-guest");
    let files = ["Cargo.toml", "rust-toolchain.toml", "src/lib.rs"];
    for (file, (_, text)) in files.iter().zip(&blocks) {
        let source = std::fs::read_to_string(example.join(file)).unwrap();
        assert_eq!(
            *text, source,
            "guest/README.md's {file} differs from examples/minimal-guest/{file}"
        );
    }

    let dir = std::env::temp_dir().join(format!("rewind-minimal-guest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let guest = repo().join("guest");
    let relative = r#"path = "../../guest""#;
    assert!(
        blocks[0].1.contains(relative),
        "Cargo.toml has no `{relative}`"
    );
    let manifest = blocks[0]
        .1
        .replace(relative, &format!("path = {:?}", guest.to_str().unwrap()));
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join(files[1]), &blocks[1].1).unwrap();
    std::fs::write(dir.join(files[2]), &blocks[2].1).unwrap();

    for line in blocks[3].1.lines() {
        let (words, printed) = command(line);
        let mut run = match words[0] {
            "cargo" => cargo(),
            "rewind" => Command::new(env!("CARGO_BIN_EXE_rewind")),
            other => panic!("the README runs `{other}`, which this test does not know"),
        };
        let out = run.args(&words[1..]).current_dir(&dir).output().unwrap();
        let err = stderr(&out);
        if words[0] == "cargo" && err.contains("may not be installed") {
            panic!(
                "the minimal guest needs the wasm32-unknown-unknown target of the pinned toolchain: \
                 rustup target add wasm32-unknown-unknown\n{err}"
            );
        }
        assert!(
            out.status.success(),
            "`{line}` failed in {}:\n{err}",
            dir.display()
        );
        if let Some(printed) = printed {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("{printed}\n"),
                "`{line}`"
            );
        }
        if words.contains(&"frame_loop") {
            assert!(
                err.contains("yields: 3"),
                "`{line}`: every frame yields:\n{err}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
