//! The error of `rewind run` and `rewind advise` when a module built with
//! `--asserts` finds a function that was not instrumented on the stack
//! during a suspension: which function, and what to add to which list.
//!
//! ```text
//! error: function `foo` is on the stack during a suspension but was not instrumented; add it with --add-list foo
//!
//! Caused by:
//!     the check in `foo` failed after its call of `bar`, while running `_start` of `app.wasm`
//! ```

use std::path::Path;

use anyhow::anyhow;
use rewind_host::FunctionList;

/// The error to show for `err` when it is rewind-host's
/// [`rewind_host::Error::NotInstrumented`] for a run of `module`.
pub fn advice(err: &anyhow::Error, module: &Path) -> Option<anyhow::Error> {
    let rewind_host::Error::NotInstrumented {
        export,
        function,
        called,
        list,
    } = err.downcast_ref()?
    else {
        return None;
    };
    let fix = match list {
        FunctionList::AddList => format!("add it with {} {}", list.flag(), shell_word(function)),
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
    fn other_errors_are_left_alone() {
        let err = anyhow::Error::new(rewind_host::Error::NotMetered);
        assert!(advice(&err, Path::new("app.wasm")).is_none());
        assert!(advice(&anyhow!("boom"), Path::new("app.wasm")).is_none());
    }
}
