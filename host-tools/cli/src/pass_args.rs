//! Binaryen's spelling of the asyncify options, so a `wasm-opt --asyncify`
//! command line works after changing the program name.
//!
//! `--pass-arg=asyncify-NAME[@VALUE]`, `--pass-arg asyncify-NAME[@VALUE]`
//! and wasm-opt's short `-pa` are rewritten into rewind's own flags before
//! clap sees the command line (clap cannot parse `KEY@VALUE` pairs that
//! stand for different flags). Everything after `--` is left alone.
//!
//! Binaryen's rules are kept: a flag ignores any `@VALUE`, and a list or
//! name given with an empty value counts as not given.

use std::ffi::OsString;
use std::fmt;

/// The hidden flag Binaryen's `asyncify-propagate-addlist` becomes: every
/// `--add-list` entry is treated as a `--propagate-add-list` entry.
pub const PROPAGATE_ADD_LIST_FLAG: &str = "--add-list-propagates";

/// What one Binaryen `asyncify-*` name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    /// A flag of rewind's; a value, if given, is ignored (as in Binaryen).
    Flag(&'static str),
    /// An option of rewind's that takes the value.
    Value(&'static str),
    /// A Binaryen option rewind does not implement.
    Unsupported,
}

/// Binaryen's names (without the `asyncify-` prefix) and their meaning.
const NAMES: &[(&str, Meaning)] = &[
    ("imports", Meaning::Value("--imports")),
    ("ignore-imports", Meaning::Flag("--ignore-imports")),
    ("ignore-indirect", Meaning::Flag("--ignore-indirect")),
    (
        "ignore-unwind-from-catch",
        Meaning::Flag("--ignore-unwind-from-catch"),
    ),
    ("onlylist", Meaning::Value("--only-list")),
    ("whitelist", Meaning::Value("--only-list")),
    ("addlist", Meaning::Value("--add-list")),
    ("propagate-addlist", Meaning::Flag(PROPAGATE_ADD_LIST_FLAG)),
    ("removelist", Meaning::Value("--remove-list")),
    ("blacklist", Meaning::Value("--remove-list")),
    ("export-globals", Meaning::Flag("--export-globals")),
    ("import-globals", Meaning::Flag("--import-globals")),
    // Binaryen's "relocatable" imports the two globals from `env`.
    ("relocatable", Meaning::Flag("--import-globals")),
    ("memory", Meaning::Value("--memory")),
    ("verbose", Meaning::Flag("--verbose")),
    ("asserts", Meaning::Flag("--asserts")),
    ("in-secondary-memory", Meaning::Unsupported),
    ("secondary-memory-size", Meaning::Unsupported),
];

/// A pass argument that cannot be translated; the text names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Rewrites every Binaryen pass argument in `args` (a whole argv, program
/// name included) into rewind's flags; other arguments pass through.
pub fn translate<I>(args: I) -> Result<Vec<OsString>, Error>
where
    I: IntoIterator<Item = OsString>,
{
    let mut args = args.into_iter();
    let mut out = Vec::new();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            out.push(arg);
            out.extend(args);
            break;
        }
        let spec = if let Some(spec) = ["--pass-arg=", "-pa="]
            .iter()
            .find_map(|prefix| text.strip_prefix(prefix))
        {
            spec.to_owned()
        } else if text == "--pass-arg" || text == "-pa" {
            let Some(next) = args.next() else {
                return Err(Error(format!(
                    "`{text}` needs a value: `{text} asyncify-NAME[@VALUE]`"
                )));
            };
            next.into_string()
                .map_err(|_| Error(format!("the value of `{text}` is not valid UTF-8")))?
        } else {
            out.push(arg);
            continue;
        };
        out.extend(translate_one(&spec)?.into_iter().map(OsString::from));
    }
    Ok(out)
}

/// Translates one `asyncify-NAME[@VALUE]` into zero or more native tokens.
fn translate_one(spec: &str) -> Result<Vec<String>, Error> {
    let (key, value) = match spec.split_once('@') {
        Some((key, value)) => (key, Some(value)),
        None => (spec, None),
    };
    let Some(name) = key.strip_prefix("asyncify-") else {
        return Err(Error(format!(
            "unsupported pass argument `{key}`: rewind only understands Binaryen's \
             `asyncify-*` pass arguments"
        )));
    };
    let meaning = NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|&(_, meaning)| meaning);
    match meaning {
        None => {
            let known: Vec<String> = NAMES
                .iter()
                .filter(|(_, meaning)| *meaning != Meaning::Unsupported)
                .map(|(name, _)| format!("asyncify-{name}"))
                .collect();
            Err(Error(format!(
                "unknown pass argument `{key}` (known: {})",
                known.join(", ")
            )))
        }
        Some(Meaning::Unsupported) => Err(Error(format!(
            "Binaryen's pass argument `{key}` is not supported by rewind"
        ))),
        Some(Meaning::Flag(flag)) => Ok(vec![flag.to_owned()]),
        Some(Meaning::Value(flag)) => match value {
            None => Err(Error(format!(
                "pass argument `{key}` needs a value: `--pass-arg={key}@VALUE`"
            ))),
            Some(value) if value.trim().is_empty() => Ok(Vec::new()),
            Some(value) => Ok(vec![format!("{flag}={value}")]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(args: &[&str]) -> Result<Vec<String>, Error> {
        translate(args.iter().map(OsString::from)).map(|out| {
            out.into_iter()
                .map(|arg| arg.into_string().unwrap())
                .collect()
        })
    }

    fn ok(args: &[&str]) -> Vec<String> {
        tr(args).unwrap()
    }

    fn err(args: &[&str]) -> String {
        tr(args).unwrap_err().to_string()
    }

    #[test]
    fn other_arguments_pass_through() {
        let args = [
            "rewind",
            "asyncify",
            "in.wasm",
            "-o",
            "out.wasm",
            "--asyncify",
        ];
        assert_eq!(ok(&args), args);
    }

    #[test]
    fn both_spellings() {
        assert_eq!(
            ok(&["r", "--pass-arg=asyncify-imports@env.sleep,env.read"]),
            ["r", "--imports=env.sleep,env.read"]
        );
        assert_eq!(
            ok(&["r", "--pass-arg", "asyncify-imports@env.sleep"]),
            ["r", "--imports=env.sleep"]
        );
        assert_eq!(
            ok(&["r", "-pa", "asyncify-onlylist@main"]),
            ["r", "--only-list=main"]
        );
        assert_eq!(ok(&["r", "-pa=asyncify-addlist@f"]), ["r", "--add-list=f"]);
    }

    #[test]
    fn every_name() {
        let cases = [
            ("asyncify-imports@a.b", "--imports=a.b"),
            ("asyncify-ignore-imports", "--ignore-imports"),
            ("asyncify-ignore-indirect", "--ignore-indirect"),
            ("asyncify-asserts", "--asserts"),
            (
                "asyncify-ignore-unwind-from-catch",
                "--ignore-unwind-from-catch",
            ),
            ("asyncify-onlylist@f", "--only-list=f"),
            ("asyncify-whitelist@f", "--only-list=f"),
            ("asyncify-addlist@f", "--add-list=f"),
            ("asyncify-propagate-addlist", PROPAGATE_ADD_LIST_FLAG),
            ("asyncify-removelist@f", "--remove-list=f"),
            ("asyncify-blacklist@f", "--remove-list=f"),
            ("asyncify-export-globals", "--export-globals"),
            ("asyncify-import-globals", "--import-globals"),
            ("asyncify-relocatable", "--import-globals"),
            ("asyncify-memory@mem", "--memory=mem"),
            ("asyncify-verbose", "--verbose"),
        ];
        for (spec, native) in cases {
            let arg = format!("--pass-arg={spec}");
            assert_eq!(ok(&["r", &arg]), ["r", native], "{spec}");
        }
    }

    #[test]
    fn values_are_kept_verbatim() {
        // The value starts after the first `@`: `@file` survives.
        assert_eq!(
            ok(&["r", "--pass-arg=asyncify-removelist@@list.txt"]),
            ["r", "--remove-list=@list.txt"]
        );
        assert_eq!(
            ok(&["r", r#"--pass-arg=asyncify-addlist@["a","b(int, char)"]"#]),
            ["r", r#"--add-list=["a","b(int, char)"]"#]
        );
        // A value starting with `-` cannot be mistaken for a flag.
        assert_eq!(
            ok(&["r", "--pass-arg=asyncify-memory@-m"]),
            ["r", "--memory=-m"]
        );
    }

    #[test]
    fn flags_ignore_values() {
        assert_eq!(
            ok(&["r", "--pass-arg=asyncify-ignore-indirect@1"]),
            ["r", "--ignore-indirect"]
        );
    }

    #[test]
    fn empty_values_count_as_not_given() {
        assert_eq!(ok(&["r", "--pass-arg=asyncify-onlylist@"]), ["r"]);
        assert_eq!(ok(&["r", "--pass-arg=asyncify-imports@ "]), ["r"]);
    }

    #[test]
    fn nothing_after_double_dash_is_translated() {
        let args = ["r", "--", "--pass-arg=asyncify-imports@a.b"];
        assert_eq!(ok(&args), args);
    }

    #[test]
    fn unknown_asyncify_name_is_named() {
        let msg = err(&["r", "--pass-arg=asyncify-frobnicate@1"]);
        assert!(
            msg.contains("unknown pass argument `asyncify-frobnicate`"),
            "{msg}"
        );
        assert!(msg.contains("asyncify-onlylist"), "{msg}");
    }

    #[test]
    fn unsupported_binaryen_names_are_named() {
        let msg = err(&["r", "--pass-arg=asyncify-in-secondary-memory"]);
        assert!(
            msg.contains("`asyncify-in-secondary-memory` is not supported"),
            "{msg}"
        );
    }

    #[test]
    fn non_asyncify_pass_arguments_are_rejected() {
        let msg = err(&["r", "--pass-arg=inlining-limit@5"]);
        assert!(msg.contains("`inlining-limit`"), "{msg}");
    }

    #[test]
    fn list_without_value_is_an_error() {
        let msg = err(&["r", "--pass-arg=asyncify-imports"]);
        assert!(msg.contains("`asyncify-imports` needs a value"), "{msg}");
    }

    #[test]
    fn missing_value_token_is_an_error() {
        let msg = err(&["r", "--pass-arg"]);
        assert!(msg.contains("`--pass-arg` needs a value"), "{msg}");
    }
}
