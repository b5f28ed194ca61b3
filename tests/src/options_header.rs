//! A tiny parser for the options line at the top of golden inputs:
//!
//! ```text
//! ;; options: --imports env.sleep,env.read --export-globals
//! ```
//!
//! Flags have the names of the Binaryen pass arguments, as the CLI does, but
//! this parser is independent of the CLI on purpose. Lists are
//! comma-separated. A file without the line gets `Options::default()`.
//! `--fuel` meters the module first (`rewind fuel`, default costs); see
//! [`metered`].

use rewind_transform::{FastPath, Options};

/// Parses the `;; options:` line of `text`, if its first line is one.
pub fn options_of(text: &str) -> Result<Options, String> {
    let first = text.lines().next().unwrap_or("");
    match first.trim().strip_prefix(";; options:") {
        Some(rest) => parse(rest),
        None => Ok(Options::default()),
    }
}

/// Whether the `;; options:` line of `text` asks for metering (`--fuel`).
pub fn metered(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    first
        .trim()
        .strip_prefix(";; options:")
        .is_some_and(|rest| rest.split_whitespace().any(|w| w == "--fuel"))
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Parses whitespace-separated flags.
pub fn parse(flags: &str) -> Result<Options, String> {
    let mut o = Options::default();
    let mut words = flags.split_whitespace();
    while let Some(flag) = words.next() {
        let mut value = || {
            words
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))
        };
        match flag {
            "--fuel" => {} // see `metered`
            "--imports" => o.imports = Some(list(value()?)),
            "--ignore-imports" => o.ignore_imports = true,
            "--ignore-indirect" => o.ignore_indirect = true,
            "--only-list" => o.only_list = Some(list(value()?)),
            "--add-list" => o.add_list = list(value()?),
            "--propagate-add-list" => o.propagate_add_list = list(value()?),
            "--remove-list" => o.remove_list = list(value()?),
            "--export-globals" => o.export_globals = true,
            "--import-globals" => o.import_globals = true,
            "--memory" => o.memory = Some(value()?.to_string()),
            "--fast-path" | "--fast-path=all" => o.fast_path = FastPath::All,
            "--fast-path=recursive" => o.fast_path = FastPath::Recursive,
            "--no-multivalue" => o.no_multivalue = true,
            "--asserts" => o.asserts = true,
            "--record-unwinds" => o.record_unwinds = true,
            "--ignore-unwind-from-catch" => o.ignore_unwind_from_catch = true,
            "--stack-pointer-global" => {
                let v = value()?;
                o.stack_pointer_global =
                    Some(v.parse().map_err(|_| format!("bad global index `{v}`"))?);
            }
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_flag() {
        let o = options_of(
            ";; options: --imports env.a,env.b* --ignore-indirect --add-list f \
             --propagate-add-list g,h --remove-list i --export-globals --memory m \
             --stack-pointer-global 3 --fast-path\n(module)",
        )
        .unwrap();
        assert_eq!(o.imports, Some(vec!["env.a".into(), "env.b*".into()]));
        assert!(o.ignore_indirect && o.export_globals);
        assert!(!o.ignore_imports && !o.import_globals);
        assert_eq!(o.add_list, ["f"]);
        assert_eq!(o.propagate_add_list, ["g", "h"]);
        assert_eq!(o.remove_list, ["i"]);
        assert_eq!(o.memory.as_deref(), Some("m"));
        assert_eq!(o.stack_pointer_global, Some(3));
        assert_eq!(o.fast_path, FastPath::All);
        let o = options_of(";; options: --fast-path=recursive\n(module)").unwrap();
        assert_eq!(o.fast_path, FastPath::Recursive);
        let o =
            options_of(";; options: --only-list main --ignore-imports --import-globals").unwrap();
        assert_eq!(o.only_list, Some(vec!["main".to_string()]));
        assert!(o.ignore_imports && o.import_globals);
        assert_eq!(o.fast_path, FastPath::Off);
    }

    #[test]
    fn no_line_means_defaults_and_errors_are_reported() {
        assert_eq!(options_of("(module)").unwrap(), Options::default());
        assert!(options_of(";; options: --bogus").is_err());
        assert!(options_of(";; options: --imports").is_err());
        assert!(options_of(";; options: --stack-pointer-global x").is_err());
    }
}
