//! What a run observably did: the trace that is compared between the
//! original module (the oracle) and the instrumented one.

use std::fmt;

use crate::host::FuelStats;
use crate::value::Value;

/// One observable step.
#[derive(Clone, PartialEq, Eq)]
pub enum Event {
    /// The host called an export.
    Export {
        /// Export name.
        name: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// The module made a logical call of an import. The call an
    /// instrumented module repeats while rewinding is the same logical call
    /// and is not recorded again.
    Import {
        /// Nesting: 1 for calls made under the host's top-level export
        /// call, 2 and more inside host callbacks.
        depth: u32,
        /// `module.name`.
        name: String,
        /// Arguments.
        args: Vec<Value>,
    },
    /// A top-level export call finished.
    Finished {
        /// Export name.
        name: String,
        /// How it finished.
        outcome: Outcome,
    },
}

/// How an export call finished.
#[derive(Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Returned these results.
    Returned(Vec<Value>),
    /// Trapped (the trap code, or the error text of a non-trap error).
    Trapped(String),
    /// An unwind ran out of save stack: the instance trapped and
    /// `asyncify_get_state()` returned 3 afterwards; nothing outside the save
    /// stack was written (checked by the driver).
    SaveStackOverflow {
        /// `(stack_pos, stack_end)` read from `DATA` after the trap.
        header: (u64, u64),
    },
    /// The instrumented module broke the Asyncify protocol (wrong state,
    /// write outside the save stack, import called while rewinding, ...).
    Protocol(String),
}

impl Outcome {
    /// Whether this is a normal return.
    pub fn is_return(&self) -> bool {
        matches!(self, Outcome::Returned(_))
    }
}

/// Everything a run observed.
#[derive(Clone, PartialEq, Eq)]
pub struct Trace {
    /// Steps in order.
    pub events: Vec<Event>,
    /// Completed suspensions (unwind + rewind cycles driven by the host),
    /// out-of-fuel ones included.
    pub suspensions: u64,
    /// wasmi fuel (instructions, roughly) the export calls consumed, rewind
    /// and unwind paths included (not compared by [`Trace::diff`]).
    pub steps: u64,
    /// Fuel accounting of a metered run (not compared by [`Trace::diff`]).
    pub fuel: Option<FuelStats>,
    /// Exported globals at the end, by export name, without the ABI's
    /// `__asyncify_*` globals.
    pub globals: Vec<(String, Value)>,
    /// Memory below the save region at the end (the program's memory).
    pub memory: Vec<u8>,
}

impl Trace {
    /// The outcome of the last export call.
    pub fn last_outcome(&self) -> Option<&Outcome> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Finished { outcome, .. } => Some(outcome),
            _ => None,
        })
    }

    /// The results of the last export call; panics if it did not return.
    pub fn returned(&self) -> Vec<Value> {
        match self.last_outcome() {
            Some(Outcome::Returned(v)) => v.clone(),
            other => panic!("the last export call did not return: {other:?}\n{self:?}"),
        }
    }

    /// The results of every top-level call, in order; panics if one did not
    /// return.
    pub fn results(&self) -> Vec<Vec<Value>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Finished { outcome, .. } => Some(match outcome {
                    Outcome::Returned(v) => v.clone(),
                    other => panic!("unexpected outcome {other:?}\n{self:?}"),
                }),
                _ => None,
            })
            .collect()
    }

    /// The first result of every top-level call, in order; panics if one
    /// did not return a value.
    pub fn first_results(&self) -> Vec<Value> {
        self.results().into_iter().map(|v| v[0]).collect()
    }

    /// The import calls, as `(name, args)`, in order.
    pub fn imports(&self) -> Vec<(String, Vec<Value>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Import { name, args, .. } => Some((name.clone(), args.clone())),
                _ => None,
            })
            .collect()
    }

    /// The arguments of every call of import `name`, in order.
    pub fn args_of(&self, name: &str) -> Vec<Vec<Value>> {
        self.imports()
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, a)| a)
            .collect()
    }

    /// How many import calls at depth 1 match `pred`.
    pub fn top_level_calls(&self, pred: impl Fn(&str) -> bool) -> u64 {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::Import { depth: 1, name, .. } if pred(name)))
            .count() as u64
    }

    /// Compares the observable behaviour (events, globals, memory) with an
    /// oracle; `Err` describes the first difference.
    pub fn diff(&self, oracle: &Trace) -> Result<(), String> {
        let n = self.events.len().max(oracle.events.len());
        for i in 0..n {
            let (got, want) = (self.events.get(i), oracle.events.get(i));
            if !same_event(got, want) {
                let from = i.saturating_sub(3);
                let ctx: Vec<String> = oracle.events[from..i.min(oracle.events.len())]
                    .iter()
                    .map(|e| format!("    {e:?}"))
                    .collect();
                return Err(format!(
                    "event #{i} differs\n  after:\n{}\n  expected: {want:?}\n  got:      {got:?}",
                    ctx.join("\n")
                ));
            }
        }
        if self.globals != oracle.globals {
            return Err(format!(
                "final globals differ\n  expected: {:?}\n  got:      {:?}",
                oracle.globals, self.globals
            ));
        }
        if self.memory != oracle.memory {
            let at = self
                .memory
                .iter()
                .zip(&oracle.memory)
                .position(|(a, b)| a != b)
                .unwrap_or(self.memory.len().min(oracle.memory.len()));
            return Err(format!(
                "final memory differs at byte {at:#x} (sizes {} and {})",
                self.memory.len(),
                oracle.memory.len()
            ));
        }
        Ok(())
    }
}

/// Whether `got` is `want`, a native stack overflow counting as one
/// whenever it happens: instrumented frames are larger, so a recursion
/// that exhausts the stack may exhaust it during the unwind (calling a
/// side-table helper) instead of before it, which the driver reports as a
/// protocol violation.
fn same_event(got: Option<&Event>, want: Option<&Event>) -> bool {
    let overflow = |e: Option<&Event>| match e {
        Some(Event::Finished {
            name,
            outcome: Outcome::Trapped(m) | Outcome::Protocol(m),
        }) if m.contains("StackOverflow") => Some(name.clone()),
        _ => None,
    };
    got == want || overflow(got).is_some_and(|name| overflow(want) == Some(name))
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Export { name, args } => write!(f, "export {name}{args:?}"),
            Event::Import { depth, name, args } => {
                write!(f, "{}import {name}{args:?}", "  ".repeat(*depth as usize))
            }
            Event::Finished { name, outcome } => write!(f, "finished {name}: {outcome:?}"),
        }
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Returned(v) => write!(f, "returned {v:?}"),
            Outcome::Trapped(t) => write!(f, "trapped: {t}"),
            Outcome::SaveStackOverflow { header } => write!(
                f,
                "save-stack overflow (stack_pos {:#x}, stack_end {:#x})",
                header.0, header.1
            ),
            Outcome::Protocol(m) => write!(f, "PROTOCOL VIOLATION: {m}"),
        }
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "trace ({} suspensions):", self.suspensions)?;
        if let Some(fuel) = &self.fuel {
            writeln!(f, "  fuel: {fuel:?}")?;
        }
        for e in &self.events {
            writeln!(f, "  {e:?}")?;
        }
        if !self.globals.is_empty() {
            writeln!(f, "  globals: {:?}", self.globals)?;
        }
        Ok(())
    }
}
