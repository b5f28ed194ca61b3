//! Driving a call under rewind-host until it ends, for `rewind run` and
//! `rewind resume`: resumed at every `--suspend-at` suspension, or in
//! slices of fuel; checkpointed every S slices (or suspensions, without
//! fuel) and, after `--max-slices` slices, checkpointed and stopped.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use rewind_host::wasmi::Val;
use rewind_host::{CallOutcome, FuelOutcome, Instance, SuspendedCall};

use crate::checkpoint::{self, RunState};
use crate::cli::CheckpointArgs;
use crate::wasi_state::WasiHost;

/// How the program ended.
#[derive(Debug)]
pub enum Ran {
    /// The export returned these values.
    Returned(Vec<Val>),
    /// It called `proc_exit` with this status.
    Exited(i32),
    /// It was stopped after `--max-slices` and saved to this checkpoint.
    Checkpointed(PathBuf),
}

/// `--checkpoint FILE`, `--checkpoint-every S`, `--max-slices K`.
#[derive(Debug, Clone, Default)]
pub struct Stops {
    pub checkpoint: Option<PathBuf>,
    pub every: Option<u64>,
    pub max_slices: Option<u64>,
}

impl Stops {
    /// From the command line.
    pub fn new(checkpoints: &CheckpointArgs, max_slices: Option<u64>) -> Self {
        Stops {
            checkpoint: checkpoints.checkpoint.clone(),
            every: checkpoints.checkpoint_every,
            max_slices,
        }
    }
}

/// A call being driven: the instance, the state saved with checkpoints,
/// and where to stop.
pub struct Driver<'a> {
    pub instance: &'a mut Instance<WasiHost>,
    pub state: RunState,
    pub stops: Stops,
    pub export: &'a str,
}

impl Driver<'_> {
    /// Resumes `outcome` at every suspension until the call ends; with
    /// `--checkpoint-every S`, checkpoints at every S-th suspension.
    pub fn suspensions(&mut self, mut outcome: rewind_host::Result<CallOutcome>) -> Result<Ran> {
        loop {
            outcome = match outcome {
                Ok(CallOutcome::Finished(values)) => return self.finished(Ran::Returned(values)),
                Ok(CallOutcome::Suspended(mut call) | CallOutcome::Yielded(mut call)) => {
                    self.state.suspensions += 1;
                    self.every(self.state.suspensions, &mut call)?;
                    self.instance.resume(call)
                }
                Err(err) => return self.failed(err),
            };
        }
    }

    /// Runs `outcome` on in slices of `slice` fuel until the call ends or
    /// `--max-slices` slices ran in this process.
    pub fn slices(
        &mut self,
        slice: u64,
        mut outcome: rewind_host::Result<FuelOutcome>,
    ) -> Result<Ran> {
        let mut here: u64 = 1;
        loop {
            outcome = match outcome {
                Ok(FuelOutcome::Finished(values)) => return self.finished(Ran::Returned(values)),
                Ok(FuelOutcome::OutOfFuel(mut call)) => {
                    if let Some(max) = self.stops.max_slices.filter(|&max| here >= max) {
                        return self.stop(call, max, slice);
                    }
                    self.every(self.state.slices, &mut call)?;
                    here += 1;
                    self.state.slices += 1;
                    self.instance.resume_with_fuel(call, slice)
                }
                Ok(FuelOutcome::Suspended(call)) => {
                    self.state.suspensions += 1;
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
            && count % every == 0
        {
            checkpoint::write(path, self.instance, call, &self.state)?;
        }
        Ok(())
    }

    /// `--max-slices` reached: a checkpoint, or an error without one.
    fn stop(&mut self, mut call: SuspendedCall, max: u64, slice: u64) -> Result<Ran> {
        match self.stops.checkpoint.clone() {
            Some(path) => {
                checkpoint::write(&path, self.instance, &mut call, &self.state)?;
                Ok(Ran::Checkpointed(path))
            }
            None => Err(anyhow!(
                "stopped after {max} slice{} of {slice} fuel (--max-slices {max}): \
                 `{}` did not finish",
                if max == 1 { "" } else { "s" },
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
}
