//! `rewind demo --web`: the site it writes, its JavaScript driver under
//! Node.js's test runner (`web/driver.test.mjs`), and its pages in headless
//! Chromium (`web/browser.mjs`, with playwright-core), served by a static
//! server in this process (`web/server.rs`). The frames the browser draws
//! must be `rewind demo --raw`'s for the same seed.
//!
//! Needs Node.js with npm and Chromium (Debian: `apt-get install chromium`;
//! another binary through `CHROMIUM=PATH`). playwright-core, at the version
//! `web/package.json` pins, is installed with npm into
//! `target/tmp/web-test` on the first run; no browser is downloaded. When
//! one of them is missing the tests fail and say which, and how to get it.

mod common;
#[path = "web/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{assert_success, rewind, scratch, stdout};

/// Seeds whose frames the tests compare, and how many frames of each.
const SEEDS: [u32; 5] = [0, 3, 5, 7, 9];
const FRAMES: u32 = 40;

/// `tests/web`: the scripts and the npm package list.
fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/web")
}

/// A scratch directory with the site (`site/`), the expected frames of
/// every seed (`frames-SEED.txt`) and the test's small module (`sum.wasm`).
fn prepared(test: &str) -> PathBuf {
    let dir = scratch("rewind-web", test);
    let site = dir.join("site");
    let out = rewind(&["demo", "--web", site.to_str().unwrap()]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("python3 -m http.server"),
        "{}",
        stdout(&out)
    );
    for seed in SEEDS {
        let (frames, seed_arg) = (FRAMES.to_string(), seed.to_string());
        let out = rewind(&["demo", "--raw", "--frames", &frames, "--seed", &seed_arg]);
        assert_success(&out);
        std::fs::write(dir.join(format!("frames-{seed}.txt")), &out.stdout).unwrap();
    }
    // An import with a result, sometimes from a Promise; no shadow stack.
    let sum = dir.join("sum.wat");
    std::fs::write(&sum, SUM_WAT).unwrap();
    let wasm = dir.join("sum.wasm");
    assert_success(&rewind(&[
        "asyncify",
        sum.to_str().unwrap(),
        "-o",
        wasm.to_str().unwrap(),
    ]));
    dir
}

/// `sum(n)`: the sum of `env.get(i)` for `i` in `0..n`.
const SUM_WAT: &str = r#"(module
  (import "env" "get" (func $get (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $get (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
"#;

/// The program `name` (`NAME` in the environment overrides it), or a
/// failure that says it is missing and how to get it.
fn program(name: &str, how: &str) -> String {
    let program = std::env::var(name.to_uppercase()).unwrap_or_else(|_| name.to_string());
    match Command::new(&program).arg("--version").output() {
        Ok(out) if out.status.success() => program,
        _ => panic!("the web tests need `{program}`, which does not run here: {how}"),
    }
}

/// Where Chromium is, as a full path (playwright-core does not search
/// PATH): `CHROMIUM`, else the first of Debian's names found on PATH.
fn chromium() -> String {
    let how =
        "install Chromium (Debian: apt-get install chromium) or set CHROMIUM=/path/to/chromium";
    if std::env::var_os("CHROMIUM").is_some() {
        return program("chromium", how);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .map(|found| found.to_string_lossy().into_owned())
        .unwrap_or_else(|| panic!("the browser test needs Chromium, which is not installed: {how}"))
}

/// The `node_modules` with playwright-core, installed by npm on first use.
fn node_modules() -> &'static Path {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-test");
        std::fs::create_dir_all(&dir).unwrap();
        let list = std::fs::read(web_dir().join("package.json")).unwrap();
        let installed = dir.join("node_modules/playwright-core/package.json");
        if std::fs::read(dir.join("package.json")).ok() != Some(list.clone()) || !installed.exists()
        {
            std::fs::write(dir.join("package.json"), &list).unwrap();
            let npm = program(
                "npm",
                "install Node.js with npm (Debian: apt-get install nodejs npm)",
            );
            let out = Command::new(npm)
                .args(["install", "--no-audit", "--no-fund", "--no-package-lock"])
                .current_dir(&dir)
                .output()
                .expect("failed to start npm");
            assert!(
                out.status.success(),
                "npm could not install playwright-core into {} (it needs the npm registry):\n{}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        dir.join("node_modules")
    })
}

fn node() -> String {
    program("node", "install Node.js (Debian: apt-get install nodejs)")
}

/// Panics with the script's output unless it succeeded; returns stdout.
fn succeeded(what: &str, out: Output) -> String {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    stdout.into_owned()
}

#[test]
fn the_site_has_the_pages_scripts_and_both_modules() {
    let dir = prepared("files");
    for file in [
        "index.html",
        "page.mjs",
        "life.mjs",
        "rewind.mjs",
        "jspi.mjs",
        "bench.html",
        "bench-page.mjs",
        "bench.mjs",
    ] {
        let written = std::fs::read(dir.join("site").join(file)).unwrap();
        let source = std::fs::read(
            web_dir()
                .join("../../../../examples/game-loop/web")
                .join(file),
        );
        assert_eq!(Some(written), source.ok(), "{file} differs from its source");
    }
    let instrumented =
        common::exports(&std::fs::read(dir.join("site/game_loop.async.wasm")).unwrap());
    let plain = common::exports(&std::fs::read(dir.join("site/game_loop.wasm")).unwrap());
    for name in ["run", "run_frames", "yield_loop", "__stack_pointer"] {
        assert!(
            instrumented.iter().any(|e| e == name),
            "{name}: {instrumented:?}"
        );
        assert!(plain.iter().any(|e| e == name), "{name}: {plain:?}");
    }
    assert!(instrumented.iter().any(|e| e == "asyncify_start_unwind"));
    assert!(
        !plain.iter().any(|e| e.starts_with("asyncify_")),
        "{plain:?}"
    );
}

#[test]
fn the_driver_passes_its_tests_under_node() {
    let dir = prepared("driver");
    let out = Command::new(node())
        .arg("--test")
        .arg(web_dir().join("driver.test.mjs"))
        .env("REWIND_WEB_TEST", &dir)
        .output()
        .expect("failed to start node");
    succeeded("node --test tests/web/driver.test.mjs", out);
}

#[test]
fn the_pages_draw_rewind_demos_frames_in_headless_chromium() {
    let chromium = chromium();
    let node_modules = node_modules();
    let dir = prepared("browser");
    let url = server::serve(&dir.join("site"));
    let out = Command::new(node())
        .arg(web_dir().join("browser.mjs"))
        .args([&url, &chromium])
        .arg(node_modules)
        .arg(&dir)
        .output()
        .expect("failed to start node");
    let report = succeeded("tests/web/browser.mjs (headless Chromium)", out);
    eprintln!("{report}");
}
