//! Driving a call under rewind-host until it ends, for `rewind run` and
//! `rewind resume`: the one place that resumes a call at its suspensions
//! (`--suspend-at` imports, yields of `rewind.yield_to_host`) and the one
//! place that runs it in slices of fuel (`--fuel-slice`). Both count what
//! they resume ([`Tally`]), stop a frame loop after `--max-yields`, write a
//! checkpoint every S slices (or, without fuel, every S suspensions) with
//! `--checkpoint-every`, and stop after `--max-slices` slices — with a
//! checkpoint, or an error without one. A call that ends removes its
//! checkpoint. The counts carry over from the checkpoint a call was
//! resumed from, so they end as in an uninterrupted run.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use rewind_host::wasmi::Val;
use rewind_host::{CallOutcome, FuelOutcome, Instance, SuspendedCall};

use crate::checkpoint::{self, RunState};
use crate::run_cmd::{Ran, plural};
use crate::wasi_state::WasiHost;
use crate::yields::{self, Counter};

/// What a module that is not metered gets told with `--fuel-slice`.
pub const NEEDS_METERED: &str = "--fuel-slice needs a module metered by `rewind fuel`";

/// The suspensions of one call, by kind, for the lines on stderr: those of
/// `--suspend-at` imports (if any are selected) and the yields (if the
/// module imports `rewind.yield_to_host`).
#[derive(Debug)]
pub struct Tally {
    pub suspensions: Option<u64>,
    pub yields: Option<Counter>,
}

impl Tally {
    /// Counts a suspension of `call`; whether the call may be resumed
    /// (`--max-yields` not reached).
    fn count(&mut self, call: &SuspendedCall) -> bool {
        match &mut self.yields {
            Some(yields) if call.is_yield() && call.import() == yields::NAME => yields.resume(),
            _ => {
                *self.suspensions.get_or_insert(0) += 1;
                true
            }
        }
    }

    /// Suspensions of either kind so far.
    fn total(&self) -> u64 {
        self.suspensions.unwrap_or(0) + self.yields.as_ref().map_or(0, Counter::count)
    }

    /// The call stopped by `--max-yields`.
    fn stopped(&self) -> Ran {
        Ran::Stopped(self.yields.as_ref().map_or(0, Counter::count))
    }

    /// Prints `suspensions: N` and `yields: N` on stderr.
    fn report(&self) {
        if let Some(n) = self.suspensions {
            eprintln!("suspensions: {n}");
        }
        if let Some(yields) = &self.yields {
            eprintln!("yields: {}", yields.count());
        }
    }
}

/// `--checkpoint FILE`, `--checkpoint-every S`, `--max-slices K`.
#[derive(Debug)]
pub struct Stops {
    pub checkpoint: Option<PathBuf>,
    pub every: Option<u64>,
    pub max_slices: Option<u64>,
}

/// A call being driven: the instance, how it is driven and how far it got
/// (saved with checkpoints), where to stop, and who sees each suspension
/// before it is resumed (`rewind advise`).
pub struct Driver<'a> {
    pub instance: Instance<WasiHost>,
    pub export: &'a str,
    pub state: RunState,
    pub stops: Stops,
    pub suspended: &'a mut dyn FnMut(&SuspendedCall),
}

impl Driver<'_> {
    /// Calls the export with `params` and drives the call until it ends.
    pub fn call(mut self, params: &[Val]) -> Result<Ran> {
        self.check_metered()?;
        let ran = match self.state.slice {
            Some(slice) => {
                self.state.slices += 1;
                let outcome = self.instance.call_with_fuel(self.export, params, slice);
                self.slices(slice, outcome)
            }
            None => {
                let outcome = self.instance.call_resumable(self.export, params);
                self.suspensions(outcome)
            }
        };
        self.report();
        ran
    }

    /// Resumes `call` (restored from a checkpoint) and drives it until it
    /// ends.
    pub fn resume(mut self, call: SuspendedCall) -> Result<Ran> {
        self.check_metered()?;
        let ran = match self.state.slice {
            Some(slice) => {
                self.state.slices += 1;
                let outcome = self.instance.resume_with_fuel(call, slice);
                self.slices(slice, outcome)
            }
            None => {
                let outcome = self.instance.resume(call);
                self.suspensions(outcome)
            }
        };
        self.report();
        ran
    }

    /// For runs in slices, the module is metered: it has the fuel global.
    fn check_metered(&self) -> Result<()> {
        if self.state.slice.is_some() && self.instance.fuel_remaining().is_none() {
            return Err(anyhow::Error::new(rewind_host::Error::NotMetered).context(NEEDS_METERED));
        }
        Ok(())
    }

    /// Resumes `outcome` at every suspension until the call ends.
    fn suspensions(&mut self, mut outcome: rewind_host::Result<CallOutcome>) -> Result<Ran> {
        loop {
            outcome = match outcome {
                Ok(CallOutcome::Finished(values)) => return self.finished(Ran::Returned(values)),
                Ok(CallOutcome::Suspended(mut call) | CallOutcome::Yielded(mut call)) => {
                    if !self.state.tally.count(&call) {
                        // Dropping the call abandons it.
                        return Ok(self.state.tally.stopped());
                    }
                    (self.suspended)(&call);
                    self.every(self.state.tally.total(), &mut call)?;
                    self.instance.resume(call)
                }
                Err(err) => return self.failed(err),
            };
        }
    }

    /// Runs `outcome` on in slices of `slice` fuel until the call ends or
    /// `--max-slices` slices ran in this process.
    fn slices(&mut self, slice: u64, mut outcome: rewind_host::Result<FuelOutcome>) -> Result<Ran> {
        let mut here: u64 = 1;
        loop {
            outcome = match outcome {
                Ok(FuelOutcome::Finished(values)) => return self.finished(Ran::Returned(values)),
                Ok(FuelOutcome::OutOfFuel(mut call)) => {
                    if let Some(max) = self.stops.max_slices.filter(|&max| here >= max) {
                        return self.stop(call, max, slice);
                    }
                    (self.suspended)(&call);
                    self.every(self.state.slices, &mut call)?;
                    here += 1;
                    self.state.slices += 1;
                    self.instance.resume_with_fuel(call, slice)
                }
                Ok(FuelOutcome::Suspended(call)) => {
                    if !self.state.tally.count(&call) {
                        return Ok(self.state.tally.stopped());
                    }
                    (self.suspended)(&call);
                    // A suspension inside a slice: the slice goes on with
                    // the fuel it has left.
                    self.instance.continue_with_fuel(call)
                }
                Err(err) => return self.failed(err),
            };
        }
    }

    /// With `--checkpoint-every S`, a checkpoint when `count` (slices, or
    /// suspensions without fuel) is a multiple of S.
    fn every(&mut self, count: u64, call: &mut SuspendedCall) -> Result<()> {
        if let (Some(path), Some(every)) = (&self.stops.checkpoint, self.stops.every)
            && count.is_multiple_of(every)
        {
            checkpoint::write(path, &mut self.instance, call, &self.state)?;
        }
        Ok(())
    }

    /// `--max-slices` reached: a checkpoint, or an error without one.
    fn stop(&mut self, mut call: SuspendedCall, max: u64, slice: u64) -> Result<Ran> {
        match self.stops.checkpoint.clone() {
            Some(path) => {
                checkpoint::write(&path, &mut self.instance, &mut call, &self.state)?;
                Ok(Ran::Checkpointed(path))
            }
            None => Err(anyhow!(
                "stopped after {max} slice{} of {slice} fuel (--max-slices {max}): \
                 `{}` did not finish",
                plural(max),
                self.export
            )),
        }
    }

    /// The program ended: its checkpoint is of no further use.
    fn finished(&self, ran: Ran) -> Result<Ran> {
        if let Some(path) = &self.stops.checkpoint {
            checkpoint::remove(path)?;
        }
        Ok(ran)
    }

    /// A trap from `proc_exit` is an exit; anything else an error.
    fn failed(&self, err: rewind_host::Error) -> Result<Ran> {
        if let rewind_host::Error::Trap { source, .. } = &err
            && let Some(status) = source.i32_exit_status()
        {
            return self.finished(Ran::Exited(status));
        }
        Err(err.into())
    }

    /// The counts on stderr: `suspensions:` and `yields:`, and for runs in
    /// slices `slices:` and `fuel:`, over every process that ran the call.
    fn report(&self) {
        self.state.tally.report();
        if self.state.slice.is_some() {
            eprintln!("slices: {}", self.state.slices);
            eprintln!("fuel: {}", self.instance.fuel_consumed());
        }
    }
}
