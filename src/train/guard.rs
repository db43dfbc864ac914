//! [`Guard`]: the numerical guard around an optimiser's step. A step whose loss, gradient, step sizes or new
//! parameters are not finite, whose summaries make the solver fail, or (optionally) whose loss blows up, is
//! rejected: the parameters and the optimiser roll back to the last good snapshot and the step size shrinks.

use jetnewton_engine::{Float, Tensor};
use jetnewton_optim::{EtaUpdate, OptimError, Optimizer, OptimizerState, Oracle, StepReport};

use crate::train::config::GuardConfig;

/// Steps between two snapshots of the last good state: a rollback loses at most this many accepted steps, and a
/// snapshot (a copy of the parameters and the optimiser's buffers) costs about one step's memory traffic.
pub const SNAPSHOT_EVERY: u64 = 10;

/// Weight of the newest loss in the running mean the blow-up test compares against.
const RUNNING_WEIGHT: f64 = 0.1;

/// What the guard made of a step.
#[derive(Debug)]
pub enum Verdict {
    /// The step stands.
    Accepted(StepReport),
    /// The step was undone.
    Rejected {
        /// Why.
        reason: String,
        /// The optimiser's report, when the step itself succeeded.
        report: Option<StepReport>,
        /// Whether this rejection exhausted `max_rejections`: the run must stop.
        give_up: bool,
    },
}

/// The last good state.
struct Snapshot<F: Float> {
    params: Vec<Tensor<F>>,
    state: OptimizerState,
    lr: f64,
}

/// The numerical guard of a training loop.
///
/// Rejections are counted until [`SNAPSHOT_EVERY`] steps in a row are accepted (a step that is accepted but
/// leaves parameters whose next loss is not finite must not reset the count, or a run could alternate forever
/// between a good-looking step and a rejected one).
pub struct Guard<F: Float> {
    config: GuardConfig,
    snapshot: Option<Snapshot<F>>,
    consecutive: usize,
    accepted_run: u64,
    running_loss: Option<f64>,
}

impl<F: Float> Guard<F> {
    /// A guard with no snapshot yet (the first step takes one). `running_loss`, `consecutive` and
    /// `accepted_run` continue a checkpointed run.
    pub fn new(
        config: GuardConfig,
        running_loss: Option<f64>,
        consecutive: usize,
        accepted_run: u64,
    ) -> Self {
        Self {
            config,
            snapshot: None,
            consecutive,
            accepted_run,
            running_loss,
        }
    }

    /// Steps accepted in a row since the last snapshot or rejection, for checkpoints.
    pub fn accepted_run(&self) -> u64 {
        self.accepted_run
    }

    /// Makes `params` and `state` (a checkpoint's) the state to roll back to. Taking a snapshot at every
    /// checkpoint, and at resumption from it, keeps a resumed run's rollbacks identical to an uninterrupted one's.
    pub fn snapshot_at(&mut self, params: &[Tensor<F>], state: OptimizerState, lr: f64) {
        if self.config.enabled {
            self.snapshot = Some(Snapshot {
                params: params.to_vec(),
                state,
                lr,
            });
        }
    }

    /// The running mean of accepted losses, for checkpoints.
    pub fn running_loss(&self) -> Option<f64> {
        self.running_loss
    }

    /// Consecutive rejections so far, for checkpoints.
    pub fn consecutive(&self) -> usize {
        self.consecutive
    }

    /// Runs one step of `opt` under the guard. Errors other than numerical faults stop the run; with
    /// the guard disabled, numerical faults do too.
    pub fn step(
        &mut self,
        opt: &mut dyn Optimizer<F>,
        params: &mut [Tensor<F>],
        oracle: &mut dyn Oracle<F>,
    ) -> Result<Verdict, OptimError> {
        if !self.config.enabled {
            return opt.step(params, oracle).map(Verdict::Accepted);
        }
        if self.snapshot.is_none() || self.accepted_run >= SNAPSHOT_EVERY {
            self.snapshot = Some(Snapshot {
                params: params.to_vec(),
                state: opt.state(),
                lr: opt.lr(),
            });
            self.accepted_run = 0;
        }
        let (reason, report) = match opt.step(params, oracle) {
            Err(OptimError::NonFinite { what, name }) => {
                let on = if name == "-" {
                    String::new()
                } else {
                    format!(" of {name}")
                };
                (format!("non-finite {what}{on}"), None)
            }
            Err(e) => return Err(e),
            Ok(report) => match self.fault(&report, params) {
                Some(reason) => (reason, Some(report)),
                None => {
                    self.accepted_run += 1;
                    if self.accepted_run >= SNAPSHOT_EVERY {
                        self.consecutive = 0;
                    }
                    self.running_loss = Some(match self.running_loss {
                        Some(m) => (1.0 - RUNNING_WEIGHT) * m + RUNNING_WEIGHT * report.loss,
                        None => report.loss,
                    });
                    return Ok(Verdict::Accepted(report));
                }
            },
        };
        self.consecutive += 1;
        self.accepted_run = 0;
        self.roll_back(opt, params)?;
        Ok(Verdict::Rejected {
            reason,
            report,
            give_up: self.consecutive >= self.config.max_rejections,
        })
    }

    /// Why an executed step must be undone, if it must.
    fn fault(&self, report: &StepReport, params: &[Tensor<F>]) -> Option<String> {
        if let Some(m1) = &report.method1 {
            if let Some(s) = &m1.summaries {
                match &s.update {
                    EtaUpdate::NonFiniteSummaries => {
                        return Some("non-finite summaries (hbar, gbar or d3)".into())
                    }
                    EtaUpdate::SolverFailed(e) => return Some(format!("solver failed: {e}")),
                    EtaUpdate::Solved(_) => {}
                }
            }
            if m1
                .eta
                .as_ref()
                .is_some_and(|eta| eta.iter().any(|v| !v.is_finite()))
            {
                return Some("non-finite step sizes eta".into());
            }
        }
        if let Some((i, _)) = params
            .iter()
            .enumerate()
            .find(|(_, t)| t.data().iter().any(|v| !v.to_f64_lossless().is_finite()))
        {
            return Some(format!("non-finite parameters after the step (tensor {i})"));
        }
        let blowup = self.config.blowup_factor;
        match self.running_loss {
            Some(mean) if blowup > 0.0 && report.loss > blowup * mean => Some(format!(
                "loss {:.4e} above {blowup} × the running mean {mean:.4e}",
                report.loss
            )),
            _ => None,
        }
    }

    /// Restores the snapshot and shrinks the step size by `shrink^consecutive`.
    fn roll_back(
        &mut self,
        opt: &mut dyn Optimizer<F>,
        params: &mut [Tensor<F>],
    ) -> Result<(), OptimError> {
        if let Some(s) = &self.snapshot {
            params.clone_from_slice(&s.params);
            opt.load_state(&s.state)?;
            let factor = self.config.shrink.powi(self.consecutive as i32);
            opt.set_lr(s.lr * factor)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jetnewton_engine::summaries::Summaries;
    use jetnewton_nets::data::{synthetic, Dataset, MinibatchSampler};
    use jetnewton_nets::{Model, PartitionSpec};
    use jetnewton_optim::{Method1, Method1Config, Result as OptimResult};

    use super::*;
    use crate::oracle::ModelOracle;

    /// Where to inject a NaN.
    #[derive(Clone, Copy, PartialEq)]
    enum Fault {
        Loss,
        Hbar,
        D3,
    }

    /// A model oracle that corrupts its answer at chosen calls.
    struct Faulty<'d> {
        inner: ModelOracle<'d>,
        fault: Fault,
        /// Calls (of the faulted kind, from 0) that are corrupted.
        at: Vec<usize>,
        calls: usize,
    }

    impl Oracle<f64> for Faulty<'_> {
        fn loss_and_gradient(&mut self, p: &[Tensor<f64>]) -> OptimResult<(f64, Vec<Tensor<f64>>)> {
            let (mut loss, g) = self.inner.loss_and_gradient(p)?;
            if self.fault == Fault::Loss {
                if self.at.contains(&self.calls) {
                    loss = f64::NAN;
                }
                self.calls += 1;
            }
            Ok((loss, g))
        }

        fn summaries(
            &mut self,
            p: &[Tensor<f64>],
            u: &[Tensor<f64>],
            groups: &[Vec<usize>],
        ) -> OptimResult<Summaries> {
            let mut s = self.inner.summaries(p, u, groups)?;
            if self.fault != Fault::Loss {
                if self.at.contains(&self.calls) {
                    match self.fault {
                        Fault::Hbar => s.hbar[0][1] = f64::NAN,
                        _ => s.d3[1] = f64::INFINITY,
                    }
                }
                self.calls += 1;
            }
            Ok(s)
        }
    }

    fn setup(data: &Dataset, fault: Fault, at: Vec<usize>) -> (Faulty<'_>, Method1<f64>) {
        let model = Model::from_spec("mlp:6-8-3:tanh").unwrap();
        let d_g = MinibatchSampler::new(data.len(), 20, 1).unwrap();
        let d_newt = MinibatchSampler::new(data.len(), 100, 2).unwrap();
        let inner = ModelOracle::new(model, data, d_g, d_newt).unwrap();
        let groups = inner.groups(&PartitionSpec::Canonical).unwrap();
        let mut config = Method1Config::paper(inner.steps_per_epoch());
        config.period = 2;
        let opt = Method1::new(inner.layout(), groups, config).unwrap();
        let oracle = Faulty {
            inner,
            fault,
            at,
            calls: 0,
        };
        (oracle, opt)
    }

    fn guard(max_rejections: usize) -> Guard<f64> {
        Guard::new(
            GuardConfig {
                max_rejections,
                ..GuardConfig::default()
            },
            None,
            0,
            0,
        )
    }

    /// Runs `steps` guarded steps; returns the verdicts' rejection flags and the parameters after each step.
    fn run(
        oracle: &mut Faulty<'_>,
        opt: &mut Method1<f64>,
        g: &mut Guard<f64>,
        steps: u64,
    ) -> Vec<(bool, bool, Vec<Tensor<f64>>, f64)> {
        let mut params = oracle.inner.initial_params::<f64>(0);
        (1..=steps)
            .map(|_| {
                let v = g.step(opt, &mut params, oracle).unwrap();
                let (rejected, give_up) = match v {
                    Verdict::Accepted(_) => (false, false),
                    Verdict::Rejected { give_up, .. } => (true, give_up),
                };
                (rejected, give_up, params.clone(), opt.lr())
            })
            .collect()
    }

    #[test]
    fn a_nan_batch_is_rejected_without_moving_and_shrinks_the_step() {
        let data = synthetic(200, &[6], 3, 0).unwrap();
        let (mut oracle, mut opt) = setup(&data, Fault::Loss, vec![4]);
        let mut g = guard(3);
        let out = run(&mut oracle, &mut opt, &mut g, 8);
        let flags: Vec<bool> = out.iter().map(|o| o.0).collect();
        assert_eq!(
            flags,
            [false, false, false, false, true, false, false, false]
        );
        // The rejected step is rolled back to the snapshot taken before step 1 (SNAPSHOT_EVERY = 10): the
        // parameters are the initial ones again, and λ is halved.
        let initial = oracle.inner.initial_params::<f64>(0);
        assert_eq!(out[4].2, initial);
        assert_eq!(out[4].3, 0.1 * 0.5);
        assert!(out
            .iter()
            .all(|o| o.2.iter().all(|t| t.data().iter().all(|v| v.is_finite()))));
    }

    #[test]
    fn nan_in_hbar_or_d3_is_rejected_and_rolled_back() {
        for fault in [Fault::Hbar, Fault::D3] {
            let data = synthetic(200, &[6], 3, 0).unwrap();
            // The summaries are computed at steps 1, 3, 5, …: the third computation (step 5) is corrupted.
            let (mut oracle, mut opt) = setup(&data, fault, vec![2]);
            let mut g = guard(3);
            let out = run(&mut oracle, &mut opt, &mut g, 6);
            let flags: Vec<bool> = out.iter().map(|o| o.0).collect();
            assert_eq!(flags, [false, false, false, false, true, false]);
            assert_eq!(out[4].2, oracle.inner.initial_params::<f64>(0));
            assert_eq!(out[4].3, 0.05);
        }
    }

    #[test]
    fn consecutive_rejections_give_up_after_the_limit() {
        let data = synthetic(200, &[6], 3, 0).unwrap();
        let (mut oracle, mut opt) = setup(&data, Fault::Loss, vec![2, 3, 4]);
        let mut g = guard(3);
        let out = run(&mut oracle, &mut opt, &mut g, 5);
        let flags: Vec<(bool, bool)> = out.iter().map(|o| (o.0, o.1)).collect();
        assert_eq!(
            flags,
            [
                (false, false),
                (false, false),
                (true, false),
                (true, false),
                (true, true)
            ]
        );
        // λ shrinks by the factor for each consecutive rejection: 0.1 · 0.5³.
        assert_eq!(out[4].3, 0.1 * 0.125);
    }
}
