//! Recording a session: each step's record, the epochs' evaluations and `hbar` snapshots, and checkpoints.

use jetnewton_engine::Float;
use jetnewton_nets::Params;
use jetnewton_optim::{OptimizerState, StepReport};

use crate::run::checkpoint::{Checkpoint, CheckpointMeta, FORMAT};
use crate::run::dir::files;
use crate::run::records::{EpochRecord, HbarSnapshot, StepRecord};
use crate::train::error::{Result, TrainError};
use crate::train::eval::evaluate;
use crate::train::guard::Verdict;
use crate::train::identity::config_identity;
use crate::train::inverse::invert;
use crate::train::memory;
use crate::train::observer::Observer;
use crate::train::session::Session;

impl<F: Float> Session<'_, F> {
    /// The record of step `step`; keeps the `η` sums and the latest `hbar`, and writes the epoch-0 snapshot
    /// from the first summaries (computed at the initial parameters).
    pub(super) fn step_record(
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
    pub(super) fn add_eta(&mut self, eta: &[f64]) {
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
    pub(super) fn hbar_snapshot(
        &self,
        epoch: u32,
        step: u64,
        hbar: Vec<Vec<f64>>,
    ) -> Result<HbarSnapshot> {
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
    pub(super) fn end_epoch(
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

    pub(super) fn named_params(&self) -> Result<Params<F>> {
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
    pub(super) fn checkpoint(&mut self) -> Result<OptimizerState> {
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
}
