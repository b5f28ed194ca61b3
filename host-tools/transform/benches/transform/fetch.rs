//! Fetching one file out of an npm package, once: `npm pack` downloads the
//! pinned version's tarball, `tar` extracts the file, and the file is kept
//! in `target/rewind-bench/fetched/PACKAGE@VERSION/`; later runs use that
//! copy and need no network. The tarball itself is deleted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file inside a published npm package.
pub struct NpmFile {
    pub package: &'static str,
    pub version: &'static str,
    /// Path inside the tarball (which has everything under `package/`);
    /// GNU tar wildcards are allowed in directories, not in the file name.
    pub path: &'static str,
}

impl NpmFile {
    fn spec(&self) -> String {
        format!("{}@{}", self.package, self.version)
    }

    fn file_name(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }
}

/// Returns the local copy of `file`, fetching it into `dir` first when
/// there is none. The error says why it could not be fetched (no `npm`,
/// registry unreachable, no such file in the package ...).
pub fn fetch(dir: &Path, file: &NpmFile) -> Result<PathBuf, String> {
    let home = dir.join(file.spec().replace('/', "+"));
    let dest = home.join(file.file_name());
    if dest.is_file() {
        return Ok(dest);
    }
    let work = home.join("unpack");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = pack_and_extract(&work, file).and_then(|found| {
        std::fs::rename(&found, &dest)
            .map_err(|e| format!("{} -> {}: {e}", found.display(), dest.display()))
    });
    let _ = std::fs::remove_dir_all(&work);
    result.map(|()| dest)
}

/// `npm pack` into `work`, then extracts `file.path` there; returns the
/// extracted file.
fn pack_and_extract(work: &Path, file: &NpmFile) -> Result<PathBuf, String> {
    let spec = file.spec();
    eprintln!("fetching {spec} (npm pack) ...");
    let out = Command::new("npm")
        .args([
            "pack",
            &spec,
            "--loglevel=error",
            "--fetch-retries=1",
            "--pack-destination",
        ])
        .arg(work)
        .output()
        .map_err(|e| format!("cannot run `npm` (needed to fetch {spec}): {e}"))?;
    check(&out, &format!("npm pack {spec}"))?;
    let tarball = std::fs::read_dir(work)
        .map_err(|e| format!("{}: {e}", work.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| format!("npm pack {spec} left no .tgz in {}", work.display()))?;
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(work)
        .args(["--wildcards", file.path])
        .output()
        .map_err(|e| format!("cannot run `tar`: {e}"))?;
    check(&out, &format!("extracting {} from {spec}", file.path))?;
    let mut found = Vec::new();
    find_named(&work.join("package"), file.file_name(), &mut found);
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!("{n} files match {} in {spec}", file.path)),
    }
}

/// Ok when the command succeeded, else its most telling stderr line:
/// npm prints `FetchError: request to ... failed, reason: ...` or
/// `404 Not Found - GET ...` among a dozen others.
fn check(out: &Output, what: &str) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let lines = || {
        err.lines()
            .map(|l| l.trim_start_matches("npm error").trim())
    };
    let line = lines()
        .find(|l| l.contains("Error:") || l.starts_with("404"))
        .or_else(|| lines().find(|l| !l.is_empty()))
        .unwrap_or("no message");
    Err(format!("{what} failed ({}): {line}", out.status))
}

/// Files called `name` anywhere under `dir`.
fn find_named(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.is_dir() {
            find_named(&path, name, out);
        } else if path.file_name().is_some_and(|n| n == name) {
            out.push(path);
        }
    }
}
