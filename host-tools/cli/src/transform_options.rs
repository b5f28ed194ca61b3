//! The transform options of `rewind asyncify` and `rewind fuel`: the
//! [`TransformArgs`] of the command line, with every LIST parsed, as
//! [`rewind_transform::Options`].

use anyhow::{Context, Result};
use rewind_transform::{FastPath, Options};

use crate::cli::{FastPathArg, TransformArgs};
use crate::lists;

/// Turns the command-line arguments into transform options: parses every
/// LIST (reading `@file`s) and applies Binaryen's `propagate-addlist` flag.
/// Combinations that make no sense are the transform's to reject.
pub fn build(args: &TransformArgs) -> Result<Options> {
    let mut options = Options {
        imports: optional_list("--imports", &args.imports)?,
        ignore_imports: args.ignore_imports,
        ignore_indirect: args.ignore_indirect,
        only_list: optional_list("--only-list", &args.only_list)?,
        add_list: list("--add-list", &args.add_list)?,
        propagate_add_list: list("--propagate-add-list", &args.propagate_add_list)?,
        remove_list: list("--remove-list", &args.remove_list)?,
        export_globals: args.export_globals,
        import_globals: args.import_globals,
        memory: args.memory.clone(),
        stack_pointer_global: args.stack_pointer_global,
        fast_path: match args.fast_path {
            None => FastPath::Off,
            Some(FastPathArg::All) => FastPath::All,
            Some(FastPathArg::Recursive) => FastPath::Recursive,
        },
        no_multivalue: args.no_multivalue,
        flush_after: args.flush_after,
        ignore_unwind_from_catch: args.ignore_unwind_from_catch,
        asserts: args.asserts,
        // Only `rewind advise` records unwinds, on a copy of its own.
        record_unwinds: false,
    };
    if args.add_list_propagates {
        let add = std::mem::take(&mut options.add_list);
        options.propagate_add_list.extend(add);
    }
    Ok(options)
}

/// All occurrences of a list flag, concatenated.
fn list(flag: &str, raw: &[String]) -> Result<Vec<String>> {
    let mut entries = Vec::new();
    for value in raw {
        entries.extend(lists::parse(value).with_context(|| format!("invalid `{flag}` list"))?);
    }
    Ok(entries)
}

/// Like [`list`], but `None` when the flag was not given at all.
fn optional_list(flag: &str, raw: &[String]) -> Result<Option<Vec<String>>> {
    if raw.is_empty() {
        Ok(None)
    } else {
        list(flag, raw).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::pass_args;
    use clap::Parser;
    use std::ffi::OsString;

    fn parse(args: &[&str]) -> Result<Options> {
        let argv = ["rewind", "asyncify", "in.wasm", "-o", "out.wasm"]
            .iter()
            .chain(args)
            .map(OsString::from);
        let argv = pass_args::translate(argv)?;
        let cli = Cli::try_parse_from(argv)?;
        #[allow(irrefutable_let_patterns)]
        let Command::Asyncify(args) = cli.command else {
            unreachable!("only asyncify is parsed here")
        };
        build(&args.transform)
    }

    fn options(args: &[&str]) -> Options {
        parse(args).unwrap()
    }

    fn error(args: &[&str]) -> String {
        format!("{:#}", parse(args).unwrap_err())
    }

    #[test]
    fn defaults_are_the_library_defaults() {
        assert_eq!(options(&[]), Options::default());
        assert_eq!(options(&["--asyncify"]), Options::default());
    }

    #[test]
    fn native_flags() {
        let got = options(&[
            "--imports",
            "env.sleep,env.read*",
            "--ignore-indirect",
            "--add-list",
            "a",
            "--propagate-add-list",
            "p",
            "--remove-list",
            "r1,r2",
            "--export-globals",
            "--memory",
            "mem",
            "--stack-pointer-global",
            "3",
        ]);
        assert_eq!(
            got,
            Options {
                imports: Some(vec!["env.sleep".into(), "env.read*".into()]),
                ignore_indirect: true,
                add_list: vec!["a".into()],
                propagate_add_list: vec!["p".into()],
                remove_list: vec!["r1".into(), "r2".into()],
                export_globals: true,
                memory: Some("mem".into()),
                stack_pointer_global: Some(3),
                ..Options::default()
            }
        );
    }

    #[test]
    fn repeated_list_flags_append() {
        let got = options(&[
            "--remove-list",
            "a,b",
            "--remove-list=c",
            "--imports",
            "x.y",
        ]);
        assert_eq!(got.remove_list, ["a", "b", "c"]);
        assert_eq!(got.imports, Some(vec!["x.y".to_owned()]));
    }

    #[test]
    fn pass_arg_spelling_gives_the_same_options() {
        let pairs: &[(&[&str], &[&str])] = &[
            (
                &["--pass-arg=asyncify-imports@env.sleep,env.read"],
                &["--imports", "env.sleep,env.read"],
            ),
            (
                &["--pass-arg", "asyncify-imports@env.sleep"],
                &["--imports", "env.sleep"],
            ),
            (
                &["--pass-arg=asyncify-ignore-imports"],
                &["--ignore-imports"],
            ),
            (
                &["--pass-arg=asyncify-ignore-indirect"],
                &["--ignore-indirect"],
            ),
            (
                &["--pass-arg=asyncify-onlylist@main,f"],
                &["--only-list", "main,f"],
            ),
            (
                &["--pass-arg=asyncify-whitelist@main"],
                &["--only-list", "main"],
            ),
            (&["--pass-arg=asyncify-addlist@a,b"], &["--add-list", "a,b"]),
            (
                &["--pass-arg=asyncify-removelist@r"],
                &["--remove-list", "r"],
            ),
            (
                &["--pass-arg=asyncify-blacklist@r"],
                &["--remove-list", "r"],
            ),
            (
                &[
                    "--pass-arg=asyncify-addlist@a,b",
                    "--pass-arg=asyncify-propagate-addlist",
                ],
                &["--propagate-add-list", "a,b"],
            ),
            (
                &[
                    "--pass-arg=asyncify-propagate-addlist",
                    "--pass-arg",
                    "asyncify-addlist@a",
                ],
                &["--propagate-add-list", "a"],
            ),
            (
                &["--pass-arg=asyncify-export-globals"],
                &["--export-globals"],
            ),
            (
                &["--pass-arg=asyncify-import-globals"],
                &["--import-globals"],
            ),
            (&["--pass-arg=asyncify-relocatable"], &["--import-globals"]),
            (&["--pass-arg=asyncify-memory@mem"], &["--memory", "mem"]),
            (
                &[r#"--pass-arg=asyncify-removelist@["a","b(int, char)"]"#],
                &["--remove-list", "a", "--remove-list", "b(int, char)"],
            ),
            (&["--asyncify", "--pass-arg=asyncify-onlylist@"], &[]),
        ];
        for (binaryen, native) in pairs {
            assert_eq!(options(binaryen), options(native), "{binaryen:?}");
        }
    }

    #[test]
    fn propagate_flag_moves_every_add_list_entry() {
        let got = options(&[
            "--add-list",
            "a",
            "--propagate-add-list",
            "p",
            "--pass-arg=asyncify-propagate-addlist",
        ]);
        assert!(got.add_list.is_empty());
        assert_eq!(got.propagate_add_list, ["p", "a"]);
    }

    #[test]
    fn unreadable_list_file_names_flag_and_file() {
        let msg = error(&["--add-list", "@/nonexistent/rewind-add.txt"]);
        assert!(msg.contains("invalid `--add-list` list"), "{msg}");
        assert!(msg.contains("/nonexistent/rewind-add.txt"), "{msg}");
    }
}
