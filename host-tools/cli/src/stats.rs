//! Printing a transform [`Report`]: warnings, `--verbose` decisions and
//! `--stats` numbers, all meant for stderr.

use std::io::{self, Write};
use std::time::Duration;

use rewind_transform::Report;

/// Prints each warning as `warning: ...`.
pub fn print_warnings(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    for warning in &report.warnings {
        writeln!(out, "warning: {warning}")?;
    }
    Ok(())
}

/// Prints one line per function: whether it is instrumented, and why.
pub fn print_decisions(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let width = report
        .decisions
        .iter()
        .map(|d| d.function.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for decision in &report.decisions {
        let verdict = if decision.instrumented {
            "instrumented"
        } else {
            "untouched"
        };
        let function = &decision.function;
        if decision.reason.is_empty() {
            writeln!(out, "{verdict:<12}  {function}")?;
        } else {
            writeln!(
                out,
                "{verdict:<12}  {function:<width$}  ({})",
                decision.reason
            )?;
        }
    }
    Ok(())
}

/// Prints the `--stats` block. `elapsed` is the time to show (the report's
/// own, or the caller's measurement if the report has none).
pub fn print_stats(out: &mut dyn Write, report: &Report, elapsed: Duration) -> io::Result<()> {
    writeln!(
        out,
        "functions:     {} ({} instrumented)",
        report.functions_total, report.functions_instrumented
    )?;
    if report.functions_copied > 0 {
        writeln!(
            out,
            "copied:        {} functions left alone, from the input as they were",
            report.functions_copied
        )?;
    }
    if report.functions_flushed > 0 {
        writeln!(
            out,
            "flushed:       {} instrumented functions encoded early to free memory (--flush-after)",
            report.functions_flushed
        )?;
    }
    if report.functions_fast_path > 0 {
        writeln!(
            out,
            "fast path:     {} functions (--fast-path; --verbose names them)",
            report.functions_fast_path
        )?;
    }
    writeln!(out, "call sites:    {}", report.call_sites)?;
    writeln!(out, "locals saved:  {}", report.locals_saved)?;
    writeln!(out, "locals merged: {}", report.locals_coalesced)?;
    if report.tail_calls_kept + report.tail_calls_lowered > 0 {
        writeln!(
            out,
            "tail calls:    {} to suspending functions kept, {} became call + return (stack depth grows with those)",
            report.tail_calls_kept, report.tail_calls_lowered
        )?;
    }
    if report.catch_handlers_lowered + report.catch_handlers_unresumable > 0 {
        writeln!(
            out,
            "catch:         {} handler(s) moved after their try, {} left in it (resuming inside traps)",
            report.catch_handlers_lowered, report.catch_handlers_unresumable
        )?;
    }
    writeln!(
        out,
        "size:          {} -> {} bytes ({})",
        report.bytes_before,
        report.bytes_after,
        ratio(report.bytes_before, report.bytes_after)
    )?;
    writeln!(out, "time:          {:.3} s", elapsed.as_secs_f64())?;
    Ok(())
}

/// `after / before` as `1.049x`, or `n/a` for an empty input.
fn ratio(before: usize, after: usize) -> String {
    if before == 0 {
        "n/a".to_owned()
    } else {
        // Sizes of wasm modules fit f64's 53-bit mantissa exactly.
        format!("{:.3}x", after as f64 / before as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rewind_transform::Decision;

    fn render(print: impl Fn(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        print(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn report() -> Report {
        Report {
            functions_total: 1234,
            functions_instrumented: 56,
            call_sites: 78,
            locals_saved: 90,
            locals_coalesced: 12,
            bytes_before: 1_048_576,
            bytes_after: 1_100_000,
            elapsed: Duration::from_millis(123),
            warnings: vec!["`nope` in --remove-list matches no function".into()],
            fuel: None,
            decisions: vec![
                Decision {
                    function: "main".into(),
                    instrumented: true,
                    reason: "calls `env.sleep`".into(),
                },
                Decision {
                    function: "func[7]".into(),
                    instrumented: false,
                    reason: "cannot reach a suspending call".into(),
                },
                Decision {
                    function: "quiet".into(),
                    instrumented: false,
                    reason: String::new(),
                },
            ],
            ..Report::default()
        }
    }

    #[test]
    fn stats_name_lowered_tail_calls_and_handlers() {
        let r = Report {
            tail_calls_kept: 4,
            tail_calls_lowered: 3,
            catch_handlers_lowered: 2,
            catch_handlers_unresumable: 1,
            functions_copied: 9,
            functions_flushed: 8,
            ..report()
        };
        let text = render(|out| print_stats(out, &r, r.elapsed));
        assert!(
            text.contains(
                "functions:     1234 (56 instrumented)\n\
                 copied:        9 functions left alone, from the input as they were\n\
                 flushed:       8 instrumented functions encoded early to free memory (--flush-after)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("tail calls:    4 to suspending functions kept, 3 became call + return"),
            "{text}"
        );
        assert!(
            text.contains("catch:         2 handler(s) moved after their try, 1 left in it"),
            "{text}"
        );
    }

    #[test]
    fn stats_block() {
        let r = report();
        let text = render(|out| print_stats(out, &r, r.elapsed));
        assert_eq!(
            text,
            "functions:     1234 (56 instrumented)\n\
             call sites:    78\n\
             locals saved:  90\n\
             locals merged: 12\n\
             size:          1048576 -> 1100000 bytes (1.049x)\n\
             time:          0.123 s\n"
        );
    }

    #[test]
    fn ratio_of_empty_input() {
        assert_eq!(ratio(0, 10), "n/a");
        assert_eq!(ratio(100, 200), "2.000x");
    }

    #[test]
    fn decisions() {
        let r = report();
        let text = render(|out| print_decisions(out, &r));
        assert_eq!(
            text,
            "instrumented  main     (calls `env.sleep`)\n\
             untouched     func[7]  (cannot reach a suspending call)\n\
             untouched     quiet\n"
        );
    }

    #[test]
    fn warnings() {
        let r = report();
        let text = render(|out| print_warnings(out, &r));
        assert_eq!(
            text,
            "warning: `nope` in --remove-list matches no function\n"
        );
    }
}
