//! What the fuzzers' generated modules ask of the transform that it does not
//! support yet: every `Error::Unsupported` counted by construct, and the
//! line the smoke runs print at the end.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Modules rejected as unsupported, by construct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rejections {
    by_construct: BTreeMap<String, u64>,
}

impl Rejections {
    /// Counts one module rejected for `construct`.
    pub fn note(&mut self, construct: &str) {
        *self.by_construct.entry(construct.to_string()).or_insert(0) += 1;
    }

    /// Modules rejected.
    pub fn total(&self) -> u64 {
        self.by_construct.values().sum()
    }

    /// `rejected as unsupported: N of M (x.y%)` for `generated` modules,
    /// then the `top` most frequent constructs, one per line.
    pub fn report(&self, generated: u64, top: usize) -> String {
        let total = self.total();
        let share = if generated == 0 {
            0.0
        } else {
            100.0 * total as f64 / generated as f64
        };
        let mut s = format!("rejected as unsupported: {total} of {generated} ({share:.1}%)");
        let mut reasons: Vec<_> = self.by_construct.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (construct, n) in reasons.into_iter().take(top) {
            let _ = write!(s, "\n  {n:>5}  {construct}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_orders_by_count() {
        let mut r = Rejections::default();
        r.note("a tail call");
        r.note("exception handling");
        r.note("exception handling");
        assert_eq!(r.total(), 3);
        assert_eq!(
            r.report(12, 1),
            "rejected as unsupported: 3 of 12 (25.0%)\n      2  exception handling"
        );
        assert_eq!(
            Rejections::default().report(0, 3),
            "rejected as unsupported: 0 of 0 (0.0%)"
        );
    }
}
