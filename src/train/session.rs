//! A training session: a fresh run or the continuation of a checkpointed one, step by step under the numerical
//! guard, with records, epoch evaluations, `hbar` snapshots and checkpoints.

use std::path::{Path, PathBuf};
use std::time::Instant;

use jetnewton_engine::{Float, Tensor};
use jetnewton_nets::data::MinibatchSampler;
use jetnewton_nets::{save_params, Model, NetsError, Params, PartitionSpec};
use jetnewton_optim::{Optimizer, OptimizerState, StepReport};

use crate::oracle::ModelOracle;
use crate::report::load::read_jsonl;
use crate::run::atomic::write_atomic;
use crate::run::checkpoint::{Checkpoint, CheckpointMeta, Progress, FORMAT};
use crate::run::claim::Claim;
use crate::run::dir::files;
use crate::run::records::{
    EpochRecord, GroupInfo, GroupKind, HbarSnapshot, RunInfo, RunStatus, StepRecord,
};
use crate::run::RunDir;
use crate::train::config::TrainConfig;
use crate::train::data::RunData;
use crate::train::error::{Result, TrainError};
use crate::train::eval::evaluate;
use crate::train::guard::{Guard, Verdict};
use crate::train::identity::{config_identity, new_run_id};
use crate::train::interrupt;
use crate::train::inverse::invert;
use crate::train::observer::Observer;
use crate::train::restore::{check_identity, restore};
use crate::train::{build, memory};

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

/// The run id in `run.json` (none in runs made before ids existed).
fn stored_run_id(run_dir: &Path) -> Result<Option<String>> {
    let path = run_dir.join(files::RUN);
    let bytes = std::fs::read(&path).map_err(TrainError::io(&path))?;
    let info: RunInfo = serde_json::from_slice(&bytes).map_err(|e| TrainError::RunDir {
        path: run_dir.to_path_buf(),
        reason: format!("{}: {e}", files::RUN),
    })?;
    Ok(info.run_id)
}

/// Distinct sampler seeds from the run's seed, so that `D_g` and `D_newt` are independent.
fn sampler_seed(seed: u64, stream: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream)
}

/// Everything a session holds.
pub(crate) struct Session<'d, F: Float> {
    config: &'d TrainConfig,
    model: Model,
    data: &'d RunData,
    oracle: ModelOracle<'d>,
    opt: Box<dyn Optimizer<F>>,
    params: Vec<Tensor<F>>,
    names: Vec<String>,
    info: RunInfo,
    dir: RunDir,
    progress: Progress,
    epochs: Vec<EpochRecord>,
    total_steps: u64,
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
    /// Builds the model, data, optimiser and run directory; restores the checkpoint when resuming.
    pub(crate) fn open(
        config: &'d TrainConfig,
        model: Model,
        data: &'d RunData,
        claim: &Claim,
        start: Start,
    ) -> Result<Self> {
        let run_dir = claim.dir();
        let train = &data.train;
        let steps_per_epoch = train.len() / config.batch_size;
        if steps_per_epoch == 0 {
            return Err(TrainError::Value {
                key: "batch_size".into(),
                reason: format!(
                    "{} is larger than the training set ({} samples)",
                    config.batch_size,
                    train.len()
                ),
            });
        }
        let newton_batch = config.newton.summary_batch_size.min(train.len());
        let sampler = |b, stream| {
            MinibatchSampler::new(train.len(), b, sampler_seed(config.seed, stream))
                .map_err(NetsError::from)
        };
        let mut oracle = ModelOracle::new(
            model.clone(),
            train,
            sampler(config.batch_size, 1)?,
            sampler(newton_batch, 2)?,
        )?;
        let partition: PartitionSpec = config.partition.parse()?;
        let named = partition.named_groups(&model)?;
        let groups = oracle.groups(&partition)?;
        let names = oracle.names().to_vec();
        let mut opt = build::optimizer::<F>(config, oracle.layout(), groups, steps_per_epoch)?;
        let mut params = oracle.initial_params::<F>(config.seed);
        let mut info = RunInfo {
            name: config.run_name(),
            run_id: None,
            model: config.model.clone(),
            dataset: config.dataset.name().into(),
            optimizer: config.optimizer.name().into(),
            partition: config.partition.clone(),
            groups: named
                .iter()
                .map(|g| GroupInfo {
                    label: g.name.clone(),
                    params: g.tensors.clone(),
                    kind: GroupKind::of(&g.tensors),
                })
                .collect(),
            num_params: model.num_params(),
            steps_per_epoch,
            status: RunStatus::Running,
            message: None,
        };
        let total_steps = config.total_steps(steps_per_epoch)?;
        let (dir, progress, epochs) = if let Start::Resume { rewrite_config } = start {
            let path = run_dir.join(files::CHECKPOINT);
            let ck = Checkpoint::<F>::load(&path).map_err(|e| TrainError::Checkpoint {
                path: e.path,
                reason: e.reason,
            })?;
            info.run_id = stored_run_id(run_dir)?;
            check_identity(&ck, &path, config, info.run_id.as_deref())?;
            restore(&ck, &path, &names, &mut params, &mut *opt, &mut oracle)?;
            let progress = ck.meta.progress;
            let dir =
                RunDir::reopen(run_dir, progress.steps_len, progress.epochs_len).map_err(|e| {
                    TrainError::RunDir {
                        path: run_dir.to_path_buf(),
                        reason: e.to_string(),
                    }
                })?;
            // Only now, with the checkpoint accepted, may the run's files change.
            if rewrite_config {
                let path = run_dir.join(files::CONFIG);
                write_atomic(&path, config.to_toml().as_bytes()).map_err(TrainError::io(path))?;
            }
            dir.write_info(&info)
                .map_err(TrainError::io(run_dir.join(files::RUN)))?;
            let epochs =
                read_jsonl(&run_dir.join(files::EPOCHS)).map_err(|e| TrainError::RunDir {
                    path: run_dir.to_path_buf(),
                    reason: e.to_string(),
                })?;
            (dir, progress, epochs)
        } else {
            let run_id = new_run_id();
            claim.mark(&run_id)?;
            info.run_id = Some(run_id);
            let dir = RunDir::create(run_dir, &config.to_toml(), &info)
                .map_err(TrainError::io(run_dir))?;
            (dir, Progress::default(), Vec::new())
        };
        Ok(Self {
            config,
            model,
            data,
            oracle,
            opt,
            params,
            names,
            info,
            dir,
            progress,
            epochs,
            total_steps,
        })
    }

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

    fn spe(&self) -> u64 {
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
            let started = Instant::now();
            let verdict = guard.step(&mut *self.opt, &mut self.params, &mut self.oracle)?;
            // A failed device product was recomputed on the CPU, so this step is sound; stop before the next one
            // rather than train on, silently slower, on a device that broke (the checkpoints are intact).
            jetnewton_engine::device::health()?;
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

    /// The record of step `step`; keeps the `η` sums and the latest `hbar`, and writes the epoch-0 snapshot
    /// from the first summaries (computed at the initial parameters).
    fn step_record(
        &mut self,
        step: u64,
        verdict: &Verdict,
        epoch: u32,
        last_hbar: &mut Option<HbarSnapshot>,
    ) -> Result<StepRecord> {
        let (report, rejected): (Option<&StepReport>, bool) = match verdict {
            Verdict::Accepted(r) => (Some(r), false),
            Verdict::Rejected { report, .. } => (report.as_ref(), true),
        };
        let values = report.map(StepReport::values).unwrap_or_default();
        // A rejected step's η may hold NaN, which JSON cannot carry inside an array; its record says "rejected".
        let eta = values
            .vector("eta")
            .filter(|eta| eta.iter().all(|v| v.is_finite()))
            .map(<[f64]>::to_vec);
        if !rejected {
            if let Some(eta) = &eta {
                self.add_eta(eta);
            }
            if let Some(hbar) = values.matrix("hbar") {
                *last_hbar = Some(self.hbar_snapshot(epoch, step, hbar.to_vec())?);
            }
        }
        let finite = |name| values.scalar(name).filter(|r| r.is_finite());
        Ok(StepRecord {
            step,
            epoch: step as f64 / self.spe() as f64,
            loss: report.map_or(f64::NAN, |r| r.loss),
            lr: report.map_or_else(|| self.opt.lr(), |r| r.lr),
            eta,
            solver: values.label("solver").map(str::to_string),
            rejected,
            lambda_int: values.scalar("lambda_int"),
            rho: finite("rho"),
            period_ratio: finite("period_ratio"),
            eta_refused: values.flag("eta_refused"),
            wall_s: self.progress.wall_s,
        })
    }

    /// Adds an accepted step's `η` to the epoch's sums.
    fn add_eta(&mut self, eta: &[f64]) {
        if self.progress.eta_sum.len() != eta.len() {
            self.progress.eta_sum = vec![0.0; eta.len()];
        }
        for (s, e) in self.progress.eta_sum.iter_mut().zip(eta) {
            *s += e;
        }
        self.progress.eta_count += 1;
    }

    /// The snapshot of a fresh `hbar`; the first one of the run is also written as epoch 0's (it was computed at
    /// the initial parameters).
    fn hbar_snapshot(&self, epoch: u32, step: u64, hbar: Vec<Vec<f64>>) -> Result<HbarSnapshot> {
        let snapshot = HbarSnapshot {
            epoch,
            step,
            hbar_inv: invert(&hbar),
            hbar,
        };
        let first = self
            .dir
            .path()
            .join(files::HBAR_DIR)
            .join(files::hbar_snapshot(0));
        if !first.exists() {
            let at_init = HbarSnapshot {
                epoch: 0,
                ..snapshot.clone()
            };
            self.dir
                .write_hbar(&at_init)
                .map_err(TrainError::io(first))?;
        }
        Ok(snapshot)
    }

    /// Evaluates, records epoch `epoch` (0: the initialisation), writes its `hbar` snapshot and a checkpoint.
    fn end_epoch(
        &mut self,
        epoch: u32,
        hbar: Option<HbarSnapshot>,
        observer: &mut dyn Observer,
    ) -> Result<Option<OptimizerState>> {
        let params = self.named_params()?;
        let c = self.config;
        let train = evaluate(&self.model, &params, &self.data.train, c.eval_samples)?;
        let validation = match &self.data.validation {
            Some(d) => Some(evaluate(&self.model, &params, d, 0)?),
            None => None,
        };
        let test = match &self.data.test {
            Some(d) => Some(evaluate(&self.model, &params, d, 0)?),
            None => None,
        };
        let eta = (self.progress.eta_count > 0).then(|| {
            let n = self.progress.eta_count as f64;
            self.progress.eta_sum.iter().map(|s| s / n).collect()
        });
        let record = EpochRecord {
            epoch,
            step: self.progress.step,
            train,
            validation,
            test,
            lr: self.opt.lr(),
            eta,
            wall_s: self.progress.wall_s,
            peak_rss_mib: memory::peak_rss_mib(),
        };
        self.progress.eta_sum.clear();
        self.progress.eta_count = 0;
        if let Some(h) = hbar {
            let snapshot = HbarSnapshot { epoch, ..h };
            self.dir
                .write_hbar(&snapshot)
                .map_err(TrainError::io(self.dir.path().join(files::HBAR_DIR)))?;
        }
        self.dir
            .append_epoch(&record)
            .map_err(TrainError::io(self.dir.path().join(files::EPOCHS)))?;
        observer.epoch(&record);
        self.epochs.push(record);
        self.checkpoint().map(Some)
    }

    fn named_params(&self) -> Result<Params<F>> {
        Ok(Params::new(
            self.names
                .iter()
                .cloned()
                .zip(self.params.iter().cloned())
                .collect(),
        )?)
    }

    /// Writes the checkpoint atomically, after making the records it refers to durable; returns the optimiser
    /// state it holds.
    fn checkpoint(&mut self) -> Result<OptimizerState> {
        let path = self.dir.path().join(files::CHECKPOINT);
        let (steps_len, epochs_len) = self.dir.sync().map_err(TrainError::io(self.dir.path()))?;
        self.progress.steps_len = steps_len;
        self.progress.epochs_len = epochs_len;
        let state = self.opt.state();
        let (g, n) = self.oracle.sampler_states();
        let ck = Checkpoint {
            meta: CheckpointMeta {
                format: FORMAT,
                model: self.config.model.clone(),
                dtype: F::NAME.into(),
                optimizer: state.kind.clone(),
                optimizer_scalars: state.scalars.clone(),
                samplers: vec![g.into(), n.into()],
                progress: self.progress.clone(),
                run_id: self.info.run_id.clone(),
                config: Some(config_identity(self.config)),
            },
            params: self
                .names
                .iter()
                .cloned()
                .zip(self.params.iter().cloned())
                .collect(),
            optimizer: state,
        };
        ck.save(&path).map_err(|e| TrainError::Checkpoint {
            path: e.path,
            reason: e.reason,
        })?;
        Ok(ck.optimizer)
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
        save_params(&final_weights, &self.named_params()?)?;
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
