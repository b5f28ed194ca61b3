//! Progress lines for `--stats` on big inputs: after the first second, at
//! most one line a second, saying which phase the transform is in.

use std::io::Write;
use std::time::{Duration, Instant};

use rewind_transform::Progress;

/// Quiet for this long, then at most one line per this much time.
const INTERVAL: Duration = Duration::from_secs(1);

/// Decides which progress reports become lines.
#[derive(Debug)]
pub struct ProgressLines {
    /// When the last line was printed (or the transform started).
    last: Duration,
}

impl ProgressLines {
    pub fn new() -> Self {
        ProgressLines {
            last: Duration::ZERO,
        }
    }

    /// The line for `progress` at `elapsed` since the start, if one is due.
    pub fn line(&mut self, progress: Progress, elapsed: Duration) -> Option<String> {
        if elapsed < self.last + INTERVAL {
            return None;
        }
        self.last = elapsed;
        let what = match progress {
            Progress::Parsed => "parsed".to_owned(),
            Progress::Metered => "metered".to_owned(),
            Progress::Analysed { functions } => {
                format!("analysed: {functions} functions to instrument")
            }
            Progress::Instrumenting { done, total } => {
                format!("instrumented {done}/{total} functions")
            }
            Progress::Emitted => "encoded; validating".to_owned(),
        };
        Some(format!("progress: {what} ({:.1} s)", elapsed.as_secs_f64()))
    }
}

/// A progress callback for the transform: with `enabled` (`--stats`), due
/// lines go to stderr; otherwise it does nothing.
pub fn to_stderr(enabled: bool) -> impl FnMut(Progress) {
    let start = Instant::now();
    let mut lines = ProgressLines::new();
    move |progress| {
        if enabled && let Some(line) = lines.line(progress, start.elapsed()) {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_for_a_second_then_one_line_a_second() {
        let mut lines = ProgressLines::new();
        let ms = Duration::from_millis;
        assert_eq!(lines.line(Progress::Parsed, ms(300)), None);
        assert_eq!(
            lines.line(
                Progress::Instrumenting {
                    done: 256,
                    total: 1000
                },
                ms(1200)
            ),
            Some("progress: instrumented 256/1000 functions (1.2 s)".to_owned())
        );
        assert_eq!(
            lines.line(
                Progress::Instrumenting {
                    done: 512,
                    total: 1000
                },
                ms(1900)
            ),
            None
        );
        assert_eq!(
            lines.line(Progress::Emitted, ms(2300)),
            Some("progress: encoded; validating (2.3 s)".to_owned())
        );
    }
}
