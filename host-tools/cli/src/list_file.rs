//! The list file of `rewind advise`: an `--only-list` in the `@FILE`
//! format (one name a line, read by `lists`), each name after a comment
//! saying in how many suspensions the function was on the stack, under a
//! header that counts the suspensions:
//!
//! ```text
//! # rewind advise: the functions on the stack at a suspension
//! # build with: rewind asyncify IN -o OUT --only-list @THIS_FILE
//! # suspensions: 340
//! # in 340 suspensions
//! main
//! # in 12 suspensions
//! read_line
//! ```
//!
//! Reading a list back (`--merge`) takes its entries as `@FILE` does and
//! their counts from those comments, so lists of several runs add up; the
//! entries of a list written by hand merge too, without counts. Files are
//! replaced whole: written next to their final name, then renamed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};

use crate::lists;

const HEADER: &str = "# rewind advise: the functions on the stack at a suspension\n\
                      # build with: rewind asyncify IN -o OUT --only-list @THIS_FILE\n";
const SUSPENSIONS: &str = "# suspensions: ";
const COUNT: (&str, &str) = ("# in ", " suspensions");

/// Functions and in how many suspensions each was on the stack.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Suspensions counted.
    pub suspensions: u64,
    /// Each function's count; `None` for an entry of a list without counts.
    pub functions: BTreeMap<String, Option<u64>>,
}

impl Seen {
    /// Counts one suspension and the functions that were on the stack then
    /// (each once, however many of its frames there were).
    pub fn record(&mut self, unwound: &[String]) {
        self.suspensions += 1;
        let distinct: HashSet<&String> = unwound.iter().collect();
        for name in distinct {
            self.add(name.clone(), Some(1));
        }
    }

    /// Adds the functions and suspensions of `other`.
    pub fn merge(&mut self, other: Seen) {
        self.suspensions += other.suspensions;
        for (name, count) in other.functions {
            self.add(name, count);
        }
    }

    fn add(&mut self, name: String, count: Option<u64>) {
        let entry = self.functions.entry(name).or_insert(None);
        *entry = match (*entry, count) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// Parses the text of a list file.
    pub fn parse(text: &str) -> Seen {
        let mut suspensions = 0;
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        let mut pending = None;
        for line in text.lines().map(str::trim) {
            if let Some(n) = line.strip_prefix(SUSPENSIONS) {
                suspensions += n.trim().parse::<u64>().unwrap_or(0);
            } else if let Some(n) = line.strip_prefix(COUNT.0).and_then(|rest| {
                rest.strip_suffix(COUNT.1)
                    .or(rest.strip_suffix(" suspension"))
            }) {
                pending = n.trim().parse::<u64>().ok();
            } else if !line.is_empty()
                && !line.starts_with('#')
                && let Some(n) = pending.take()
            {
                counts.insert(line, n);
            }
        }
        let functions = lists::parse_file(text)
            .into_iter()
            .map(|name| {
                let count = counts.get(name.as_str()).copied();
                (name, count)
            })
            .collect();
        Seen {
            suspensions,
            functions,
        }
    }

    /// Reads the list file at `path`.
    pub fn read(path: &Path) -> Result<Seen> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read list file `{}`", path.display()))?;
        Ok(Seen::parse(&text))
    }

    /// The text of the list file: counted functions first, most often seen
    /// first, then those without counts, each group by name. Returns the
    /// names that the format cannot hold (empty, starting with `#`, with
    /// surrounding blanks or a line break), which are left out.
    pub fn render(&self) -> (String, Vec<String>) {
        let mut text = format!("{HEADER}{SUSPENSIONS}{}\n", self.suspensions);
        let mut entries: Vec<(&String, Option<u64>)> =
            self.functions.iter().map(|(n, c)| (n, *c)).collect();
        entries.sort_by_key(|(name, count)| (count.is_none(), std::cmp::Reverse(*count), *name));
        let mut left_out = Vec::new();
        for (name, count) in entries {
            if name.is_empty()
                || name.starts_with('#')
                || name.trim() != name
                || name.contains(['\n', '\r'])
            {
                left_out.push(name.clone());
                continue;
            }
            if let Some(n) = count {
                let plural = if n == 1 { "" } else { "s" };
                text.push_str(&format!("{}{n} suspension{plural}\n", COUNT.0));
            }
            text.push_str(name);
            text.push('\n');
        }
        (text, left_out)
    }
}

/// Replaces the file at `path` with `text`: writes a temporary file in the
/// same directory, then renames it, so that the file is never half
/// written.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("`{}` is not a file name", path.display()))?;
    let mut temporary = name.to_os_string();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = path.with_file_name(temporary);
    let written = std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.with_context(|| format!("failed to write list file `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_function_counts_once_per_suspension() {
        let mut seen = Seen::default();
        seen.record(&names(&["leaf", "rec", "rec", "main"]));
        seen.record(&names(&["main"]));
        seen.record(&[]);
        assert_eq!(seen.suspensions, 3);
        assert_eq!(seen.functions["rec"], Some(1));
        assert_eq!(seen.functions["main"], Some(2));
    }

    #[test]
    fn written_lists_read_back_and_merge() {
        let mut seen = Seen::default();
        seen.record(&names(&["read_line", "f(int, char)", "main"]));
        seen.record(&names(&["main"]));
        let (text, left_out) = seen.render();
        assert!(left_out.is_empty());
        assert_eq!(
            text,
            format!(
                "{HEADER}# suspensions: 2\n# in 2 suspensions\nmain\n\
                 # in 1 suspension\nf(int, char)\n# in 1 suspension\nread_line\n"
            )
        );
        let back = Seen::parse(&text);
        assert_eq!(back, seen);
        // Every entry is what `--only-list @FILE` reads.
        assert_eq!(
            lists::parse_file(&text),
            ["main", "f(int, char)", "read_line"]
        );
        let mut merged = back.clone();
        merged.merge(seen);
        assert_eq!(merged.suspensions, 4);
        assert_eq!(merged.functions["main"], Some(4));
    }

    #[test]
    fn hand_written_entries_merge_without_counts() {
        let mut seen = Seen::parse("# my list\nhelper\nmain\n");
        assert_eq!(seen.functions["helper"], None);
        seen.record(&names(&["main"]));
        let (text, _) = seen.render();
        assert!(
            text.ends_with("# in 1 suspension\nmain\nhelper\n"),
            "{text}"
        );
    }

    #[test]
    fn names_the_format_cannot_hold_are_left_out() {
        let mut seen = Seen::default();
        seen.record(&names(&["#3", " padded", "two\nlines", "ok"]));
        let (text, mut left_out) = seen.render();
        left_out.sort();
        assert_eq!(left_out, [" padded", "#3", "two\nlines"]);
        assert!(text.ends_with("# in 1 suspension\nok\n"), "{text}");
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("rewind-list-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("app.list");
        write_atomically(&path, "one\n").unwrap();
        write_atomically(&path, "two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(write_atomically(&dir.join("no/such/dir/x"), "x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
