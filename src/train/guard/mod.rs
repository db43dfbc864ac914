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
mod tests;
