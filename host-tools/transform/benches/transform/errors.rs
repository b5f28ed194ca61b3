//! Error messages on one line, with their causes.

use std::fmt::Write as _;

/// `error: cause: cause ...`, the way the bench prints a failed transform.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let _ = write!(msg, ": {s}");
        src = s.source();
    }
    msg
}
