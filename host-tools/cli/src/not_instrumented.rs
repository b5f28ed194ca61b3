//! The errors of `rewind run`, `rewind advise` and `rewind resume` when the
//! run needed something the module was not instrumented for: which
//! function or import, and what to instrument it with.
//!
//! A module built with `--asserts` finds a function that was not
//! instrumented on the stack during a suspension:
//!
//! ```text
//! error: function `foo` is on the stack during a suspension but was not instrumented; add it with --add-list foo
//!
//! Caused by:
//!     the check in `foo` failed after its call of `bar`, while running `_start` of `app.wasm`
//! ```
//!
//! An import suspended where the module cannot suspend (`--suspend-at`
//! selects an import the module was not instrumented to suspend at; for
//! modules metered by `rewind fuel` that is every import but
//! `rewind.out_of_fuel` unless `--imports` named more):
//!
//! ```text
//! error: failed to run `_start` of `app.fuel.wasm`
//!
//! Caused by:
//!     0: `app.fuel.wasm` was not instrumented to suspend at import `wasi_snapshot_preview1.fd_write` where it was called: instrument it with --imports wasi_snapshot_preview1.fd_write (`rewind fuel` makes only rewind.out_of_fuel suspend unless --imports names more), or leave the import out of --suspend-at; if the import is instrumented, a function on the stack is not (--asserts names it)
//!     1: after `wasi_snapshot_preview1.fd_write` suspended, the guest went on running and rewound into import `rewind.out_of_fuel`
//! ```
//!
//! The driver cannot tell which of the two it was: the import's call site
//! or a function further up the stack.

use std::path::Path;

use anyhow::anyhow;
use rewind_host::FunctionList;

use crate::yields;

/// The error to show for `err` when it is rewind-host's
/// [`rewind_host::Error::NotInstrumented`] or
/// [`rewind_host::Error::NotSuspendable`] for a run of `module`.
pub fn advice(err: &anyhow::Error, module: &Path) -> Option<anyhow::Error> {
    match err.downcast_ref()? {
        rewind_host::Error::NotInstrumented {
            export,
            function,
            called,
            list,
        } => {
            let fix = match list {
                FunctionList::AddList => {
                    format!("add it with {} {}", list.flag(), shell_word(function))
                }
                FunctionList::OnlyList => format!("add it to {}", list.flag()),
            };
            let detail = anyhow!(
                "the check in `{function}` failed {called}, while running `{export}` of `{}`",
                module.display()
            );
            Some(detail.context(format!(
                "function `{function}` is on the stack during a suspension but was not instrumented; {fix}"
            )))
        }
        rewind_host::Error::NotSuspendable {
            export,
            import,
            found,
        } => {
            let instead = if import == yields::NAME {
                String::new()
            } else {
                ", or leave the import out of --suspend-at".to_string()
            };
            let detail =
                anyhow!("after `{import}` suspended, the guest went on running and {found}");
            let fix = detail.context(format!(
                "`{}` was not instrumented to suspend at import `{import}` where it was called: \
                 instrument it with --imports {} (`rewind fuel` makes only rewind.out_of_fuel \
                 suspend unless --imports names more){instead}; if the import is instrumented, a \
                 function on the stack is not (--asserts names it)",
                module.display(),
                shell_word(import)
            ));
            Some(fix.context(format!(
                "failed to run `{export}` of `{}`",
                module.display()
            )))
        }
        _ => None,
    }
}

/// `word` as one shell word: as it is when that is safe, else in single
/// quotes (C++ names have spaces, brackets and commas).
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.$:-+/@%=".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_host::Called;

    fn render(function: &str, called: Called, list: FunctionList) -> String {
        let err = anyhow::Error::new(rewind_host::Error::NotInstrumented {
            export: "_start".into(),
            function: function.into(),
            called,
            list,
        });
        let advice = advice(&err, Path::new("app.wasm")).unwrap();
        format!("{advice:#}")
    }

    #[test]
    fn add_list_advice_names_the_function() {
        assert_eq!(
            render("foo", Called::Function("bar".into()), FunctionList::AddList),
            "function `foo` is on the stack during a suspension but was not instrumented; \
             add it with --add-list foo: \
             the check in `foo` failed after its call of `bar`, while running `_start` of `app.wasm`"
        );
    }

    #[test]
    fn only_list_advice_and_the_other_checks() {
        let text = render("foo", Called::Indirect, FunctionList::OnlyList);
        assert!(text.contains("; add it to --only-list: "), "{text}");
        assert!(text.contains("failed after an indirect call"), "{text}");
        let text = render("foo", Called::RewoundInto, FunctionList::AddList);
        assert!(
            text.contains("failed on entry, as a rewind replayed a call into it"),
            "{text}"
        );
    }

    #[test]
    fn names_that_are_not_one_shell_word_are_quoted() {
        assert_eq!(shell_word("cst_wave_save"), "cst_wave_save");
        assert_eq!(shell_word("func[12]"), "'func[12]'");
        assert_eq!(shell_word("f(int, char)"), "'f(int, char)'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn an_import_that_cannot_suspend_is_named_with_the_fix() {
        let err = anyhow::Error::new(rewind_host::Error::NotSuspendable {
            export: "_start".into(),
            import: "wasi_snapshot_preview1.fd_write".into(),
            found: "called import `wasi_snapshot_preview1.fd_read`".into(),
        });
        let text = format!("{:#}", advice(&err, Path::new("app.wasm")).unwrap());
        assert!(
            text.starts_with(
                "failed to run `_start` of `app.wasm`: \
                 `app.wasm` was not instrumented to suspend at import `wasi_snapshot_preview1.fd_write` \
                 where it was called: instrument it with --imports wasi_snapshot_preview1.fd_write "
            ),
            "{text}"
        );
        assert!(
            text.contains("or leave the import out of --suspend-at"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "after `wasi_snapshot_preview1.fd_write` suspended, the guest went on running and \
                 called import `wasi_snapshot_preview1.fd_read`"
            ),
            "{text}"
        );
        let err = anyhow::Error::new(rewind_host::Error::NotSuspendable {
            export: "run".into(),
            import: yields::NAME.into(),
            found: "called import `rewind.yield_to_host`".into(),
        });
        let text = format!("{:#}", advice(&err, Path::new("game.wasm")).unwrap());
        assert!(!text.contains("--suspend-at"), "{text}");
    }

    #[test]
    fn other_errors_are_left_alone() {
        let err = anyhow::Error::new(rewind_host::Error::NotMetered);
        assert!(advice(&err, Path::new("app.wasm")).is_none());
        assert!(advice(&anyhow!("boom"), Path::new("app.wasm")).is_none());
    }
}
