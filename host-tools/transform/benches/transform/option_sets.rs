//! The option sets of the examples part: the same instrumentation request
//! in Rewind's `Options` and in Binaryen's command-line spelling.

use rewind_transform::Options;

/// Imports that really suspend in every benchmark module.
const SUSPENDING: [&str; 2] = ["env.read_input", "env.yield_now"];

pub struct OptionSet {
    pub name: &'static str,
    pub ours: Options,
    /// Binaryen arguments that go after `--asyncify`.
    pub binaryen: Vec<String>,
    /// Whether execution with real suspensions is expected to be correct
    /// (not with `ignore-indirect` when a suspension is reached through a
    /// table).
    pub exec_expected: bool,
}

pub fn option_sets() -> Vec<OptionSet> {
    let precise: Vec<String> = SUSPENDING.iter().map(|s| s.to_string()).collect();
    let imports_arg = format!("--pass-arg=asyncify-imports@{}", precise.join(","));
    vec![
        OptionSet {
            name: "default",
            ours: Options::default(),
            binaryen: vec![],
            exec_expected: true,
        },
        OptionSet {
            name: "imports",
            ours: Options {
                imports: Some(precise.clone()),
                ..Options::default()
            },
            binaryen: vec![imports_arg.clone()],
            exec_expected: true,
        },
        OptionSet {
            name: "imports+ignore-indirect",
            ours: Options {
                imports: Some(precise),
                ignore_indirect: true,
                ..Options::default()
            },
            binaryen: vec![imports_arg, "--pass-arg=asyncify-ignore-indirect".into()],
            exec_expected: false,
        },
    ]
}
