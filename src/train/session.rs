//! A training session: the step loop under the numerical guard, and how a run ends (completed, diverged, stalled
//! or interrupted). Its setup is in `setup`, its records and checkpoints in `recorder`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use jetnewton_engine::device::ComputeDevice;
use jetnewton_engine::{Float, Tensor};
use jetnewton_nets::{save_params, save_params_as, Model, Params};
use jetnewton_optim::Optimizer;

use crate::oracle::ModelOracle;
use crate::run::checkpoint::Progress;
use crate::run::dir::files;
use crate::run::records::{EpochRecord, HbarSnapshot, RunInfo, RunStatus};
use crate::run::RunDir;
use crate::train::config::TrainConfig;
use crate::train::data::RunData;
use crate::train::error::{Result, TrainError};
use crate::train::guard::{Guard, Verdict};
use crate::train::interrupt;
use crate::train::observer::Observer;
use crate::train::placement;
use crate::train::probe::Probe;

/// What a finished session leaves.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The run directory.
    pub run_dir: PathBuf,
    /// What was trained.
    pub info: RunInfo,
    /// Every epoch record of the run, epoch 0 first.
    pub epochs: Vec<EpochRecord>,
    /// The final weights (safetensors, the model's PyTorch names).
    pub final_weights: PathBuf,
}

/// Everything a session holds.
pub(crate) struct Session<'d, F: Float> {
    pub(super) config: &'d TrainConfig,
    pub(super) model: Model,
    pub(super) data: &'d RunData,
    pub(super) oracle: ModelOracle<'d>,
    pub(super) opt: Box<dyn Optimizer<F>>,
    pub(super) params: Vec<Tensor<F>>,
    pub(super) names: Vec<String>,
    pub(super) info: RunInfo,
    pub(super) dir: RunDir,
    pub(super) progress: Progress,
    pub(super) epochs: Vec<EpochRecord>,
    pub(super) total_steps: u64,
    /// The probes, when `probe.every > 0`.
    pub(super) probe: Option<Probe>,
    /// The device the parameters are kept on, when one is installed (see `placement`).
    pub(super) device: Option<Arc<dyn ComputeDevice>>,
}

/// How a session begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// A new run: a new run id, the marker, fresh records.
    Fresh,
    /// From the directory's checkpoint; `rewrite_config` once it is accepted, when the run's length changed.
    Resume {
        /// Whether `config.toml` must be rewritten (a new `epochs` or `steps`).
        rewrite_config: bool,
    },
}

impl<'d, F: Float> Session<'d, F> {
    /// What is trained.
    pub(crate) fn info(&self) -> &RunInfo {
        &self.info
    }

    /// The steps of the whole run.
    pub(crate) fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// The steps already done (a resumed run's).
    pub(crate) fn steps_done(&self) -> u64 {
        self.progress.step
    }

    pub(super) fn spe(&self) -> u64 {
        self.info.steps_per_epoch as u64
    }

    /// The step loop, from wherever the session starts to the end of the run.
    pub(crate) fn train(&mut self, observer: &mut dyn Observer) -> Result<RunOutcome> {
        let start_state = if self.epochs.is_empty() {
            self.end_epoch(0, None, observer)?
        } else {
            None
        };
        let mut guard = Guard::<F>::new(
            self.config.guard.clone(),
            self.progress.running_loss,
            self.progress.rejections,
            self.progress.accepted_run,
        )
        .with_start_loss(self.epochs.first().map(|e| e.train.loss));
        // The state the session starts from is a checkpoint's (the one just written, or the one resumed).
        let start_state = start_state.unwrap_or_else(|| self.opt.state());
        guard.snapshot_at(&self.params, start_state, self.opt.lr());
        let mut last_hbar: Option<HbarSnapshot> = None;
        while self.progress.step < self.total_steps {
            if interrupt::requested() {
                return Err(self.interrupt()?);
            }
            let step = self.progress.step + 1;
            let previous = self
                .probe
                .as_ref()
                .filter(|p| p.due(step) && p.needs_previous())
                .map(|_| self.params.clone());
            let started = Instant::now();
            let verdict = guard.step(&mut *self.opt, &mut self.params, &mut self.oracle)?;
            // A failed device product was recomputed on the CPU, so this step is sound; stop before the next one
            // rather than train on, silently slower, on a device that broke (the checkpoints are intact).
            jetnewton_engine::device::health()?;
            if let Some(device) = &self.device {
                placement::keep_on(device, &mut self.params)?;
            }
            self.progress.wall_s += started.elapsed().as_secs_f64();
            self.progress.step = step;
            self.progress.running_loss = guard.running_loss();
            self.progress.rejections = guard.consecutive();
            self.progress.accepted_run = guard.accepted_run();
            let epoch_now = step.div_ceil(self.spe()) as u32;
            let record = self.step_record(step, &verdict, epoch_now, &mut last_hbar)?;
            self.dir
                .append_step(&record)
                .map_err(TrainError::io(self.dir.path().join(files::STEPS)))?;
            observer.step(&record);
            // After the step's record and before a checkpoint, so that a checkpoint covers the probes up to it.
            self.probe_after(step, previous.as_deref())?;
            if let Verdict::Rejected {
                reason,
                give_up,
                stalled,
                ..
            } = &verdict
            {
                observer.note(&format!("step {step} rejected: {reason}"));
                if *give_up {
                    return Err(self.give_up(step, reason, *stalled)?);
                }
            }
            let epoch_done = step.is_multiple_of(self.spe()) || step == self.total_steps;
            let checkpointed = if epoch_done {
                self.end_epoch(epoch_now, last_hbar.take(), observer)?
            } else if self.config.checkpoint_every > 0
                && step.is_multiple_of(self.config.checkpoint_every)
            {
                Some(self.checkpoint()?)
            } else {
                None
            };
            if let Some(state) = checkpointed {
                guard.snapshot_at(&self.params, state, self.opt.lr());
            }
        }
        self.finish()
    }

    /// The probe of step `step`, when one is due: its line in `probes.jsonl` and its direction saved
    /// (`previous`: the parameters before the step).
    fn probe_after(&mut self, step: u64, previous: Option<&[Tensor<F>]>) -> Result<()> {
        let Some(probe) = self.probe.as_ref().filter(|p| p.due(step)) else {
            return Ok(());
        };
        let (line, direction) = probe.run(step, &self.oracle, &self.params, previous)?;
        let named = self.names.iter().cloned().zip(direction).collect();
        let path = self.dir.path().join(files::PROBE_DIRECTION);
        save_params(path, &Params::new(named)?)?;
        self.dir
            .append_probe(&line)
            .map_err(TrainError::io(self.dir.path().join(files::PROBES)))
    }

    /// Stops a run the guard gave up on: checkpoints the restored last good state and marks the run diverged,
    /// or stalled when the solver refused `hbar` every time (no step size helps there).
    fn give_up(&mut self, step: u64, reason: &str, stalled: bool) -> Result<TrainError> {
        let checkpoint = self.stop_with(
            if stalled {
                RunStatus::Stalled
            } else {
                RunStatus::Diverged
            },
            format!("step {step}: {reason}"),
        )?;
        let reason = reason.into();
        Ok(if stalled {
            TrainError::Stalled {
                step,
                reason,
                checkpoint,
            }
        } else {
            TrainError::Diverged {
                step,
                reason,
                checkpoint,
            }
        })
    }

    /// Stops a run a signal interrupted, between two steps: a checkpoint, then the status.
    fn interrupt(&mut self) -> Result<TrainError> {
        let step = self.progress.step;
        let checkpoint = self.stop_with(
            RunStatus::Interrupted,
            format!("interrupted after step {step}"),
        )?;
        Ok(TrainError::Interrupted {
            step: Some(step),
            checkpoint: Some(checkpoint),
        })
    }

    /// Checkpoints the current state, then records `status` in `run.json`; returns the checkpoint's path.
    fn stop_with(&mut self, status: RunStatus, message: String) -> Result<PathBuf> {
        self.checkpoint()?;
        self.info.status = status;
        self.info.message = Some(message);
        self.dir
            .write_info(&self.info)
            .map_err(TrainError::io(self.dir.path().join(files::RUN)))?;
        Ok(self.dir.path().join(files::CHECKPOINT))
    }

    /// Saves the final weights and marks the run completed.
    fn finish(&mut self) -> Result<RunOutcome> {
        let final_weights = self.dir.path().join(files::FINAL_WEIGHTS);
        match self.config.save_dtype {
            Some(dtype) => save_params_as(&final_weights, &self.named_params()?, dtype.store())?,
            None => save_params(&final_weights, &self.named_params()?)?,
        }
        self.info.status = RunStatus::Completed;
        self.dir
            .write_info(&self.info)
            .map_err(TrainError::io(self.dir.path().join(files::RUN)))?;
        Ok(RunOutcome {
            run_dir: self.dir.path().to_path_buf(),
            info: self.info.clone(),
            epochs: self.epochs.clone(),
            final_weights,
        })
    }
}
