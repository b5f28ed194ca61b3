//! `rewind explain MODULE FUNC [asyncify options]`: why each function
//! whose name matches FUNC is or is not instrumented, one block each,
//! blocks separated by a blank line:
//!
//! ```text
//! main: instrumented (calls `short`)
//!   main        calls
//!   short       calls
//!   env.sleep   an import: every import may suspend unless --imports says otherwise
//! ```
//!
//! The first line is the verdict and the rule that decided it; for a
//! function reached by propagation, the lines below are a shortest chain
//! of calls from it to where the suspension starts, one step a line.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use rewind_transform::Explanation;

use crate::cli::ExplainArgs;
use crate::transform_options;

/// Runs `rewind explain`.
pub fn run(args: &ExplainArgs) -> Result<()> {
    let options = transform_options::build(&args.transform)?;
    let wasm = read(&args.module)?;
    let explanations = rewind_transform::explain(&wasm, &options, &args.function)
        .with_context(|| format!("failed to analyse `{}`", args.module.display()))?;
    if explanations.is_empty() {
        bail!("no function matches `{}`", args.function);
    }
    let text = render(&explanations);
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("failed to write to stdout")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    wat::parse_file(path).with_context(|| format!("failed to read `{}`", path.display()))
}

/// The blocks of `explanations`, as printed.
fn render(explanations: &[Explanation]) -> String {
    let blocks: Vec<String> = explanations.iter().map(block).collect();
    blocks.join("\n")
}

fn block(e: &Explanation) -> String {
    let verdict = if e.instrumented {
        "instrumented"
    } else {
        "not instrumented"
    };
    let mut out = if e.rule.is_empty() {
        format!("{}: {verdict}\n", e.function)
    } else {
        format!("{}: {verdict} ({})\n", e.function, e.rule)
    };
    let width = e
        .path
        .iter()
        .map(|step| step.function.chars().count())
        .max()
        .unwrap_or(0);
    for step in &e.path {
        out.push_str(&format!("  {:<width$}   {}\n", step.function, step.how));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_transform::Step;

    fn step(function: &str, how: &str) -> Step {
        Step {
            function: function.into(),
            how: how.into(),
        }
    }

    #[test]
    fn a_chain_is_one_step_a_line() {
        let e = Explanation {
            function: "main".into(),
            instrumented: true,
            rule: "calls `short`".into(),
            path: vec![
                step("main", "calls"),
                step("short", "calls"),
                step("env.sleep", "an import"),
            ],
        };
        assert_eq!(
            render(&[e]),
            "main: instrumented (calls `short`)\n\
             \x20 main        calls\n\
             \x20 short       calls\n\
             \x20 env.sleep   an import\n"
        );
    }

    #[test]
    fn blocks_are_separated_by_a_blank_line() {
        let pure = |name: &str| Explanation {
            function: name.into(),
            instrumented: false,
            rule: "cannot reach a suspending call".into(),
            path: Vec::new(),
        };
        let bare = Explanation {
            rule: String::new(),
            ..pure("quiet")
        };
        assert_eq!(
            render(&[pure("a"), bare]),
            "a: not instrumented (cannot reach a suspending call)\n\nquiet: not instrumented\n"
        );
    }
}
