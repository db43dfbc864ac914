//! [`Guard`]: the numerical guard around an optimiser's step. A step whose loss, gradient, step sizes or new
//! parameters are not finite, whose summaries make the solver fail, or whose loss blows up (far above the run's
//! starting loss and its running mean), is rejected: the parameters and the optimiser roll back to the last good
//! snapshot and the step size shrinks.

use jetnewton_engine::{Float, Tensor};
use jetnewton_optim::{FaultKind, OptimError, Optimizer, OptimizerState, Oracle, StepReport};

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
        /// Whether the last `max_rejections` rejections were all structural faults, which no step size can fix
        /// (Method 1's solver refusing a singular `hbar`; only meaningful with `give_up`).
        stalled: bool,
    },
}

/// What is wrong with a rejected step, which decides what the guard may trust afterwards.
enum Fault {
    /// The state the step started from is bad (its loss or gradient is not finite, or its loss blew up): a
    /// snapshot of it taken at this step must not become the rollback target.
    StartState(String),
    /// The step itself failed from a sound state.
    Step(String),
    /// The optimiser found the step faulty in a way no step size changes ([`FaultKind::Structural`]).
    Structural(String),
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
///
/// A snapshot refreshed at the start of a step becomes the rollback target only once that step's loss, which is
/// the loss of the snapshot's own parameters, was seen to be sound: a step that blew the parameters up is caught
/// one step later, and must roll back past them, not to them.
pub struct Guard<F: Float> {
    config: GuardConfig,
    snapshot: Option<Snapshot<F>>,
    pending: Option<Snapshot<F>>,
    consecutive: usize,
    structural: usize,
    accepted_run: u64,
    running_loss: Option<f64>,
    start_loss: Option<f64>,
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
            pending: None,
            consecutive,
            structural: 0,
            accepted_run,
            running_loss,
            start_loss: None,
        }
    }

    /// The run's starting loss, which the blow-up test compares against (a non-finite one is ignored: the
    /// first accepted step's loss stands in).
    pub fn with_start_loss(mut self, start_loss: Option<f64>) -> Self {
        self.start_loss = start_loss.filter(|l| l.is_finite());
        self
    }

    /// The starting loss the blow-up test uses.
    pub fn start_loss(&self) -> Option<f64> {
        self.start_loss
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
            let taken = Snapshot {
                params: params.to_vec(),
                state: opt.state(),
                lr: opt.lr(),
            };
            if self.snapshot.is_none() {
                self.snapshot = Some(taken);
            } else {
                self.pending = Some(taken);
            }
            self.accepted_run = 0;
        }
        let (fault, report) = match opt.step(params, oracle) {
            Err(OptimError::NonFinite { what, name }) => {
                let on = if name == "-" {
                    String::new()
                } else {
                    format!(" of {name}")
                };
                (Fault::StartState(format!("non-finite {what}{on}")), None)
            }
            Err(e) => return Err(e),
            Ok(report) => match self.fault(&report, params) {
                Some(fault) => (fault, Some(report)),
                None => return Ok(self.accept(report)),
            },
        };
        let (reason, structural) = match fault {
            Fault::StartState(reason) => {
                self.pending = None;
                (reason, false)
            }
            Fault::Step(reason) => (reason, false),
            Fault::Structural(reason) => (reason, true),
        };
        if let Some(p) = self.pending.take() {
            self.snapshot = Some(p);
        }
        self.consecutive += 1;
        self.structural = if structural { self.structural + 1 } else { 0 };
        self.accepted_run = 0;
        self.roll_back(opt, params)?;
        let give_up = self.consecutive >= self.config.max_rejections;
        Ok(Verdict::Rejected {
            reason,
            report,
            give_up,
            stalled: give_up && self.structural >= self.config.max_rejections,
        })
    }

    /// Keeps an accepted step: its loss vouches for the pending snapshot, and feeds the running mean.
    fn accept(&mut self, report: StepReport) -> Verdict {
        if let Some(p) = self.pending.take() {
            self.snapshot = Some(p);
        }
        self.accepted_run += 1;
        self.structural = 0;
        if self.accepted_run >= SNAPSHOT_EVERY {
            self.consecutive = 0;
        }
        self.running_loss = Some(match self.running_loss {
            Some(m) => (1.0 - RUNNING_WEIGHT) * m + RUNNING_WEIGHT * report.loss,
            None => report.loss,
        });
        self.start_loss.get_or_insert(report.loss);
        Verdict::Accepted(report)
    }

    /// Why an executed step must be undone, if it must.
    fn fault(&self, report: &StepReport, params: &[Tensor<F>]) -> Option<Fault> {
        if let Some(reason) = self.blown_up(report.loss) {
            return Some(Fault::StartState(reason));
        }
        if let Some(fault) = report.fault() {
            return Some(match fault.kind {
                FaultKind::Numerical => Fault::Step(fault.reason),
                FaultKind::Structural => Fault::Structural(fault.reason),
            });
        }
        if let Some((i, _)) = params
            .iter()
            .enumerate()
            .find(|(_, t)| t.data().iter().any(|v| !v.to_f64_lossless().is_finite()))
        {
            return Some(Fault::Step(format!(
                "non-finite parameters after the step (tensor {i})"
            )));
        }
        None
    }

    /// A finite blow-up: the minibatch loss above `blowup_factor` times the run's starting loss (the loss of the
    /// initial network on the evaluation set, a many-sample estimate, else the first accepted minibatch's). Not
    /// the running mean: it would follow a slowly climbing loss upwards and never see it, and after the loss fell
    /// by orders of magnitude it would flag one hard minibatch as a blow-up.
    fn blown_up(&self, loss: f64) -> Option<String> {
        let factor = self.config.blowup_factor;
        let start = self.start_loss.filter(|_| factor > 0.0)?;
        (loss > factor * start).then(|| {
            format!(
                "loss {loss:.4e} blew up: above {factor} × the starting loss {start:.4e} \
                 (guard.blowup_factor)"
            )
        })
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
        /// A finite loss far above the start.
        BlowUp,
        /// Group 1 gets a zero row and column in hbar and a zero d3 while its gbar stays: no step size helps.
        Singular,
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
            if matches!(self.fault, Fault::Loss | Fault::BlowUp) {
                if self.at.contains(&self.calls) {
                    loss = if self.fault == Fault::Loss {
                        f64::NAN
                    } else {
                        1e6 * loss
                    };
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
            if !matches!(self.fault, Fault::Loss | Fault::BlowUp) {
                if self.at.contains(&self.calls) {
                    match self.fault {
                        Fault::Hbar => s.hbar[0][1] = f64::NAN,
                        Fault::Singular => {
                            for row in s.hbar.iter_mut() {
                                row[1] = 0.0;
                            }
                            s.hbar[1].iter_mut().for_each(|v| *v = 0.0);
                            s.d3[1] = 0.0;
                            s.gbar[1] = 1.0;
                        }
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

    #[test]
    fn a_finite_blow_up_rolls_back_past_the_blown_up_state() {
        let data = synthetic(200, &[6], 3, 0).unwrap();
        // The 11th loss (step 11) is a million times too large. Step 11 starts with 10 accepted steps behind it,
        // so it refreshes the snapshot with the very parameters whose loss blew up: the guard must not trust it,
        // and rolls back to the snapshot before step 1.
        let (mut oracle, mut opt) = setup(&data, Fault::BlowUp, vec![10]);
        let mut g = guard(3);
        let out = run(&mut oracle, &mut opt, &mut g, 12);
        let flags: Vec<bool> = out.iter().map(|o| o.0).collect();
        assert_eq!(flags.iter().filter(|f| **f).count(), 1);
        assert!(flags[10]);
        assert_eq!(out[10].2, oracle.inner.initial_params::<f64>(0));
        assert!(g.start_loss().is_some_and(|l| l.is_finite() && l < 10.0));
    }

    #[test]
    fn a_singular_hbar_at_every_retry_stalls_instead_of_diverging() {
        let data = synthetic(200, &[6], 3, 0).unwrap();
        let (mut oracle, mut opt) = setup(&data, Fault::Singular, (0..20).collect());
        let mut params = oracle.inner.initial_params::<f64>(0);
        let mut g = Guard::new(
            GuardConfig {
                max_rejections: 3,
                ..GuardConfig::default()
            },
            None,
            0,
            0,
        );
        let mut last = None;
        for _ in 0..3 {
            last = Some(g.step(&mut opt, &mut params, &mut oracle).unwrap());
        }
        match last.unwrap() {
            Verdict::Rejected {
                give_up,
                stalled,
                reason,
                ..
            } => {
                assert!(give_up && stalled, "{reason}");
                assert!(reason.contains("solver failed"), "{reason}");
            }
            Verdict::Accepted(_) => panic!("a singular hbar was accepted"),
        }
        assert_eq!(params, oracle.inner.initial_params::<f64>(0));
    }
}
