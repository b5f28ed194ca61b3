//! LIST arguments (`--imports`, `--only-list`, ...): comma-separated
//! entries, or `@file` with one entry per line.
//!
//! Entries are passed to the transform as written (it matches the `*`
//! wildcards); this module only splits and cleans them. The rules follow
//! Binaryen's, so lists written for `wasm-opt` keep their meaning:
//!
//! * commas inside brackets do not split (`foo(int, char),bar` is two
//!   entries); if the brackets do not balance (`operator<`) every comma
//!   splits;
//! * a JSON-style list `["a", "b"]` loses its outer brackets, and each entry
//!   its surrounding quotes;
//! * a file holds one entry per line; blank lines and lines starting with `#`
//!   are skipped, a trailing comma is dropped, lone `[`/`]` lines are
//!   ignored (a JSON array written one entry per line works). A file with a
//!   single line is read like a command-line value, so `a,b,c` is three
//!   entries.

use anyhow::{Context, Result, bail};

/// Parses one LIST value as given on the command line: `@path` reads the
/// file at `path`, anything else is a comma-separated list.
pub fn parse(value: &str) -> Result<Vec<String>> {
    let trimmed = value.trim();
    match trimmed.strip_prefix('@') {
        Some(path) => {
            let path = path.trim();
            if path.is_empty() {
                bail!("`@` must be followed by the path of a list file");
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read list file `{path}`"))?;
            Ok(parse_file(&text))
        }
        None if trimmed.contains('\n') => Ok(parse_lines(trimmed, false)),
        None => Ok(split_commas(trimmed)),
    }
}

/// The entries of the text of a list file, as `@FILE` reads them.
pub fn parse_file(text: &str) -> Vec<String> {
    parse_lines(text, true)
}

/// One entry per line; a single line is split at commas.
fn parse_lines(text: &str, comments: bool) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !(line.is_empty() || comments && line.starts_with('#')))
        .collect();
    match lines.as_slice() {
        [single] => split_commas(single),
        many => many
            .iter()
            .map(|line| line.strip_suffix(',').unwrap_or(line))
            .filter(|line| !matches!(*line, "[" | "]"))
            .filter_map(clean_entry)
            .collect(),
    }
}

/// Splits at commas outside brackets and quotes; falls back to splitting at
/// every comma when the brackets do not balance.
fn split_commas(text: &str) -> Vec<String> {
    let text = strip_outer_brackets(text.trim());
    let pieces = split_outside_brackets(text).unwrap_or_else(|| text.split(',').collect());
    pieces.into_iter().filter_map(clean_entry).collect()
}

/// `[a, b]` -> `a, b`, but only when the first `[` closes at the very end
/// (`[a],[b]` stays as it is).
fn strip_outer_brackets(text: &str) -> &str {
    if !text.starts_with('[') {
        return text;
    }
    match matching_close(text) {
        Some(end) if end == text.len() - 1 => &text[1..end],
        _ => text,
    }
}

/// Byte index of the bracket closing the one at index 0, if any.
fn matching_close(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_quote = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            _ if in_quote => {}
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at top-level commas; `None` when brackets or quotes do not balance.
fn split_outside_brackets(text: &str) -> Option<Vec<&str>> {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            _ if in_quote => {}
            '(' | '[' | '{' | '<' => depth += 1,
            ')' | ']' | '}' | '>' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                pieces.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || in_quote {
        return None;
    }
    pieces.push(&text[start..]);
    Some(pieces)
}

/// Trims an entry and removes one pair of surrounding quotes; empty entries
/// are dropped.
fn clean_entry(entry: &str) -> Option<String> {
    let entry = entry.trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|&q| entry.strip_prefix(q)?.strip_suffix(q))
        .map_or(entry, str::trim);
    (!unquoted.is_empty()).then(|| unquoted.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn list(value: &str) -> Vec<String> {
        parse(value).unwrap()
    }

    /// A file under the system temp directory, unique to this process and
    /// `name`, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "rewind-cli-lists-{}-{name}.txt",
                std::process::id()
            ));
            std::fs::write(&path, contents).unwrap();
            TempFile(path)
        }

        fn arg(&self) -> String {
            format!("@{}", self.0.display())
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn comma_separated() {
        assert_eq!(list("a,b,c"), ["a", "b", "c"]);
        assert_eq!(list(" a , b ,c "), ["a", "b", "c"]);
        assert_eq!(list("env.sleep,env.*"), ["env.sleep", "env.*"]);
    }

    #[test]
    fn empty_entries_are_dropped() {
        assert_eq!(list("a,,b,"), ["a", "b"]);
        assert!(list("").is_empty());
        assert!(list(" , ").is_empty());
    }

    #[test]
    fn json_style_lists() {
        assert_eq!(list(r#"["a","b"]"#), ["a", "b"]);
        assert_eq!(list(r#"[ "a", 'b' ]"#), ["a", "b"]);
        assert_eq!(list(r#""main""#), ["main"]);
        assert!(list("[]").is_empty());
    }

    #[test]
    fn commas_inside_brackets_do_not_split() {
        assert_eq!(list("foo(int, char),bar"), ["foo(int, char)", "bar"]);
        assert_eq!(
            list("std::map<int, int>::find,baz"),
            ["std::map<int, int>::find", "baz"]
        );
        assert_eq!(
            list(r#"["foo(int, char)", "bar"]"#),
            ["foo(int, char)", "bar"]
        );
        // `[a],[b]` is not one bracketed list.
        assert_eq!(list("[a],[b]"), ["[a]", "[b]"]);
    }

    #[test]
    fn unbalanced_brackets_split_at_every_comma() {
        assert_eq!(list("operator<,b"), ["operator<", "b"]);
        assert_eq!(list("operator->,b"), ["operator->", "b"]);
    }

    #[test]
    fn wildcards_are_kept() {
        assert_eq!(list("*,foo*bar"), ["*", "foo*bar"]);
    }

    #[test]
    fn inline_newlines_separate_entries() {
        assert_eq!(list("a\nb(x, y)\n"), ["a", "b(x, y)"]);
    }

    #[test]
    fn file_one_entry_per_line() {
        let file = TempFile::new(
            "lines",
            "# functions that may sleep\n\n  main  \nfoo(int, char)\n#bar\nbaz*\n",
        );
        assert_eq!(list(&file.arg()), ["main", "foo(int, char)", "baz*"]);
    }

    #[test]
    fn file_with_one_comma_separated_line() {
        let file = TempFile::new("single", "a,b,c\n");
        assert_eq!(list(&file.arg()), ["a", "b", "c"]);
    }

    #[test]
    fn file_with_json_array() {
        let file = TempFile::new("json", "[\n  \"a\",\n  \"b\"\n]\n");
        assert_eq!(list(&file.arg()), ["a", "b"]);
        let file = TempFile::new("json1", r#"["a", "b"]"#);
        assert_eq!(list(&file.arg()), ["a", "b"]);
    }

    #[test]
    fn empty_file() {
        let file = TempFile::new("empty", "# nothing\n\n");
        assert!(list(&file.arg()).is_empty());
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = parse("@/nonexistent/rewind-list.txt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to read list file `/nonexistent/rewind-list.txt`"
        );
        assert_eq!(err.chain().count(), 2);
    }

    #[test]
    fn bare_at_is_an_error() {
        assert!(parse("@").is_err());
        assert!(parse(" @ ").is_err());
    }
}
