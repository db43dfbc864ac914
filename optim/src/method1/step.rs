//! One step of algorithm 4: direction, summaries, step sizes, update, schedule.

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{Float, Tensor};

use super::average::{Model, SummaryAverage};
use super::direction::next_direction;
use super::report::{EtaUpdate, Method1Report, SummariesReport};
use super::step_size::Period;
use super::{AdaptiveConfig, Method1, Schedule};
use crate::error::{OptimError, Result};
use crate::optimizer::{checked_gradient, StepReport};
use crate::oracle::Oracle;
use crate::solver::{cubic_model, solve, CubicParams};

/// `momentum(μ; x, x̃)` of algorithm 4 on tensors: `x` when `x̃` is undefined, else `μx̃ + (1 − μ)x`.
pub(crate) fn momentum_tensors<F: Float>(
    mu: f64,
    x: Vec<Tensor<F>>,
    prev: Option<&[Tensor<F>]>,
) -> Result<Vec<Tensor<F>>> {
    let Some(prev) = prev else { return Ok(x) };
    let (mu, one_minus) = (F::of(mu), F::of(1.0 - mu));
    x.into_iter()
        .zip(prev)
        .map(|(mut x, p)| {
            // `mu·p + (1 − mu)·x`, on the device when the tensors are resident.
            x.axpby(mu, p, one_minus)?;
            Ok(x)
        })
        .collect()
}

/// `momentum(μ; x, x̃)` of algorithm 4 on step sizes.
pub(crate) fn momentum_eta(mu: f64, x: Vec<f64>, prev: Option<&[f64]>) -> Vec<f64> {
    match prev {
        None => x,
        Some(prev) => x
            .iter()
            .zip(prev)
            .map(|(&x, &p)| mu * p + (1.0 - mu) * x)
            .collect(),
    }
}

impl<F: Float> Method1<F> {
    /// Algorithm 4's step `t = self.step + 1`. State is committed only at the end, so an error changes nothing.
    pub(super) fn train_step(
        &mut self,
        params: &mut [Tensor<F>],
        oracle: &mut dyn Oracle<F>,
    ) -> Result<StepReport> {
        let (loss, grads) = checked_gradient(&self.layout, params, oracle)?;
        let t = self.step + 1;
        let prev = (self.step > 0).then_some(self.direction.as_slice());
        let (direction, moments) = next_direction(
            self.config.direction,
            self.config.grad_momentum,
            t,
            grads,
            prev,
            self.moments.as_ref(),
        )?;
        let recompute = self.eta.is_none() || (t - 1) % self.config.period as u64 == 0;
        let mut average = self.average.clone();
        let (eta, summaries, lr, trial, mut period, period_ratio) = if recompute {
            let r = self.recompute(t, params, &direction, &mut average, oracle)?;
            (
                r.eta,
                Some(r.report),
                r.lr,
                r.trial,
                r.period,
                r.period_ratio,
            )
        } else {
            let untried = Trial::untried(self.lambda_int);
            (
                self.eta.clone(),
                None,
                self.lr,
                untried,
                self.period.clone(),
                None,
            )
        };
        if let Some(eta) = &eta {
            self.apply(params, &direction, lr, eta)?;
            if let Some(p) = period.as_mut() {
                p.record_step(lr, eta);
            }
        }
        let mut schedule = self.schedule.clone();
        let next_lr = schedule.as_mut().and_then(|s| s.observe(loss, lr));
        self.step = t;
        self.direction = direction;
        self.moments = moments;
        self.eta.clone_from(&eta);
        self.schedule = schedule;
        self.average = average;
        self.period = period;
        self.lambda_int = trial.next_lambda_int;
        self.lr = next_lr.unwrap_or(lr);
        Ok(StepReport {
            step: t,
            loss,
            lr,
            method1: Some(Method1Report {
                eta,
                summaries,
                scheduler_called: next_lr.is_some(),
                next_lr: self.lr,
                lambda_int: trial.lambda_int,
                next_lambda_int: self.lambda_int,
                rho: trial.rho,
                period_ratio,
                rejected: trial.rejected,
                trials: trial.trials,
            }),
        })
    }

    /// New summaries at step `t` and what they decide: the adaptive schedule first judges the period that ends
    /// here (its ratio steers `λ_t`) before the new summaries replace its minibatch, then `η̃` is solved for
    /// (with trials under the adaptive schedule) and a new period starts.
    fn recompute(
        &self,
        t: u64,
        params: &[Tensor<F>],
        direction: &[Tensor<F>],
        average: &mut Option<SummaryAverage>,
        oracle: &mut dyn Oracle<F>,
    ) -> Result<Recomputed> {
        let mut lr = self.lr;
        let mut period_ratio = None;
        if let (Schedule::Adaptive(a), Some(p)) = (&self.config.schedule, &self.period) {
            period_ratio = p.ratio(params, oracle)?;
            if let Some(r) = period_ratio {
                lr = a.adapt_lr(lr, self.config.lr, r);
            }
        }
        let summaries = oracle.summaries(params, direction, &self.groups)?;
        self.check_summaries(&summaries)?;
        if t == 1 {
            self.check_oracle(params, oracle)?;
        }
        let model = self.model(&summaries, average.as_mut());
        let mut trial = Trial::untried(self.lambda_int);
        let (eta, update) = match (&self.config.schedule, &model) {
            (Schedule::Adaptive(a), Some(m)) => {
                let (eta, update, tried) =
                    self.adaptive_eta(a, m, summaries.loss, lr, params, direction, oracle)?;
                trial = tried;
                (eta, update)
            }
            _ => self.new_eta(model.as_ref(), self.lambda_int),
        };
        let period = match (&self.config.schedule, &model) {
            (Schedule::Adaptive(_), Some(_)) => {
                Some(Period::start(summaries.loss, &summaries.gbar))
            }
            _ => None,
        };
        Ok(Recomputed {
            eta,
            report: SummariesReport { summaries, update },
            lr,
            trial,
            period,
            period_ratio,
        })
    }

    /// `θ_p ← θ_p − λ_t · ũ_p · η̃_{group(p)}`.
    fn apply(
        &self,
        params: &mut [Tensor<F>],
        direction: &[Tensor<F>],
        lr: f64,
        eta: &[f64],
    ) -> Result<()> {
        let step: Vec<f64> = eta.iter().map(|&e| lr * e).collect();
        self.displace(params, direction, &step)
    }

    /// `θ_p ← θ_p − ũ_p · step_{group(p)}`.
    /// Every shape is checked before any parameter moves, so a mismatch changes nothing.
    fn displace(
        &self,
        params: &mut [Tensor<F>],
        direction: &[Tensor<F>],
        step: &[f64],
    ) -> Result<()> {
        for (p, u) in params.iter().zip(direction) {
            p.check_same_shape(u, "Method 1 step")?;
        }
        for ((p, u), &s) in params.iter_mut().zip(direction).zip(&self.group_of) {
            // `p + c·u`, on the device when the tensors are resident.
            p.axpy(F::of(-step[s]), u)?;
        }
        Ok(())
    }

    /// The adaptive schedule (see [`super::AdaptiveConfig`]): solve, try the solution on the `D_newt` minibatch,
    /// and while it is refused solve again with the larger `λ_int`, at most `max_trials` times. Returns the `η̃`
    /// to use, the last solve's outcome and the trials' record.
    #[allow(clippy::too_many_arguments)]
    fn adaptive_eta(
        &self,
        a: &AdaptiveConfig,
        m: &Model,
        loss: f64,
        lr: f64,
        params: &[Tensor<F>],
        direction: &[Tensor<F>],
        oracle: &mut dyn Oracle<F>,
    ) -> Result<(Option<Vec<f64>>, EtaUpdate, Trial)> {
        let mut lambda_int = self.lambda_int;
        let mut trials = 0;
        loop {
            let (raw, update) = self.solved_eta(Some(m), lambda_int);
            let Some(raw) = raw else {
                // The solver refused: nothing to try, the previous η̃ stays (as with the paper's schedule).
                let trial = Trial {
                    trials,
                    ..Trial::untried(lambda_int)
                };
                return Ok((self.eta.clone(), update, trial));
            };
            trials += 1;
            // Backtracking: the k-th retry also scales the solution by gamma^-k, so the trial displacement shrinks
            // even in groups whose d3 is too small for λ_int to restrain.
            let scale = a.gamma.powi(1 - trials as i32);
            let raw: Vec<f64> = raw.iter().map(|e| e * scale).collect();
            let rho = self.trial_ratio(m, loss, lr, params, direction, &raw, lambda_int, oracle)?;
            // No predicted decrease (the positive part can do that) says nothing about λ_int: the solution is
            // taken as the paper takes it, and λ_int kept.
            let (next, rejected) = match rho {
                Some(r) => a.adapt(lambda_int, r),
                None => (lambda_int, false),
            };
            if !rejected || trials >= a.max_trials || next == lambda_int {
                let trial = Trial {
                    lambda_int,
                    next_lambda_int: next,
                    rho,
                    rejected,
                    trials,
                };
                // A refused solve enters the momentum as a zero step, so η̃ shrinks until a model is trusted.
                let eta = match (rejected, &self.eta) {
                    (false, _) => Some(self.with_momentum(raw)),
                    (true, Some(_)) => Some(self.with_momentum(vec![0.0; raw.len()])),
                    (true, None) => None,
                };
                return Ok((eta, update, trial));
            }
            lambda_int = next;
        }
    }

    /// `ρ` of a trial of the solved `η`: the actual decrease of the loss on the `D_newt` minibatch over the
    /// displacement `τ·λ_t·η` of `τ` steps with it, against the decrease the cubic model `m` (with this `λ_int`)
    /// predicts for it. `None`, without a forward pass, when the model predicts no decrease (a zero `η`, or one
    /// the positive part made useless).
    #[allow(clippy::too_many_arguments)]
    fn trial_ratio(
        &self,
        m: &Model,
        loss: f64,
        lr: f64,
        params: &[Tensor<F>],
        direction: &[Tensor<F>],
        eta: &[f64],
        lambda_int: f64,
        oracle: &mut dyn Oracle<F>,
    ) -> Result<Option<f64>> {
        let horizon = self.config.period as f64;
        let step: Vec<f64> = eta.iter().map(|&e| horizon * lr * e).collect();
        let predicted = -cubic_model(&m.gbar, &m.hbar, &m.d3, lambda_int, &step);
        if predicted.is_nan() || predicted <= 0.0 {
            return Ok(None);
        }
        let mut moved = params.to_vec();
        self.displace(&mut moved, direction, &step)?;
        let after = oracle.loss_on_last_summary_batch(&moved)?;
        Ok(Some((loss - after) / predicted))
    }

    /// The summaries to solve for: `None` when not finite; else averaged (when `summary_average > 1`, adding them
    /// to `average`) and with `hbar`'s off-diagonal zeroed in the diagonal variant.
    fn model(&self, s: &Summaries, average: Option<&mut SummaryAverage>) -> Option<Model> {
        let finite = s
            .gbar
            .iter()
            .chain(s.hbar.iter().flatten())
            .chain(&s.d3)
            .all(|v| v.is_finite());
        if !finite {
            return None;
        }
        let mut m = match average {
            Some(a) => a.push_and_mean(Model::of(s)),
            None => Model::of(s),
        };
        if self.config.diagonal {
            for (i, row) in m.hbar.iter_mut().enumerate() {
                for (j, h) in row.iter_mut().enumerate() {
                    if i != j {
                        *h = 0.0;
                    }
                }
            }
        }
        Some(m)
    }

    /// At the first step, right after the first summaries: errors with [`OptimError::OracleCannot`] when the
    /// schedule will later ask the oracle for something it does not answer, instead of failing periods later.
    /// The adaptive schedule needs the loss on the last summaries' minibatch; asking for it here (at the
    /// unchanged parameters, drawing no minibatch) proves the oracle answers and changes nothing.
    fn check_oracle(&self, params: &[Tensor<F>], oracle: &mut dyn Oracle<F>) -> Result<()> {
        if !matches!(self.config.schedule, Schedule::Adaptive(_)) {
            return Ok(());
        }
        match oracle.loss_on_last_summary_batch(params) {
            Err(OptimError::Unsupported { request }) => Err(OptimError::OracleCannot {
                request,
                needed_by: "Method 1's adaptive schedule (Schedule::Adaptive)",
            }),
            other => other.map(|_| ()),
        }
    }

    /// Errors when the oracle's summaries do not have one entry per group (a bug of the oracle, not of the data).
    fn check_summaries(&self, s: &Summaries) -> Result<()> {
        let n = self.groups.len();
        let bad = [
            ("gbar", s.gbar.len()),
            ("hbar", s.hbar.len()),
            ("d3", s.d3.len()),
        ]
        .into_iter()
        .chain(s.hbar.iter().map(|row| ("hbar row", row.len())))
        .find(|&(_, len)| len != n);
        match bad {
            Some((what, found)) => Err(OptimError::SummariesShape {
                what,
                expected: n,
                found,
            }),
            None => Ok(()),
        }
    }

    /// `η̃` after new summaries (`None`: not finite), and what happened: the previous `η̃` when they are
    /// unusable.
    fn new_eta(&self, m: Option<&Model>, lambda_int: f64) -> (Option<Vec<f64>>, EtaUpdate) {
        match self.solved_eta(m, lambda_int) {
            (Some(raw), update) => (Some(self.with_momentum(raw)), update),
            (None, update) => (self.eta.clone(), update),
        }
    }

    /// The solve's step sizes after the positive part and before the momentum (`None`: no solution), and what
    /// happened.
    fn solved_eta(&self, m: Option<&Model>, lambda_int: f64) -> (Option<Vec<f64>>, EtaUpdate) {
        let Some(m) = m else {
            return (None, EtaUpdate::NonFiniteSummaries);
        };
        let params = CubicParams {
            lambda_int,
            ..self.config.solver
        };
        match solve(&m.gbar, &m.hbar, &m.d3, &params) {
            Ok(sol) => {
                let raw: Vec<f64> = if self.config.positive_part {
                    sol.eta.iter().map(|&e| e.max(0.0)).collect()
                } else {
                    sol.eta.clone()
                };
                (Some(raw), EtaUpdate::Solved(sol))
            }
            Err(e) => (None, EtaUpdate::SolverFailed(e)),
        }
    }

    /// `momentum(μ_η; η, η̃)` with the previous `η̃`.
    fn with_momentum(&self, eta: Vec<f64>) -> Vec<f64> {
        momentum_eta(self.config.eta_momentum, eta, self.eta.as_deref())
    }
}

/// What recomputing the summaries decided ([`Method1::recompute`]).
struct Recomputed {
    eta: Option<Vec<f64>>,
    report: SummariesReport,
    /// `λ_t` for this step (steered by the ended period's ratio under the adaptive schedule).
    lr: f64,
    trial: Trial,
    period: Option<Period>,
    period_ratio: Option<f64>,
}

/// What the adaptive schedule's trials gave.
struct Trial {
    /// `λ_int` of the solve whose `η̃` was kept or refused last.
    lambda_int: f64,
    next_lambda_int: f64,
    rho: Option<f64>,
    rejected: bool,
    trials: u32,
}

impl Trial {
    /// No trial: `λ_int` unchanged.
    fn untried(lambda_int: f64) -> Self {
        Self {
            lambda_int,
            next_lambda_int: lambda_int,
            rho: None,
            rejected: false,
            trials: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn momentum_is_the_papers() {
        assert_eq!(momentum_eta(0.5, vec![2.0, 4.0], None), vec![2.0, 4.0]);
        assert_eq!(
            momentum_eta(0.25, vec![2.0, 4.0], Some(&[6.0, 0.0])),
            vec![3.0, 3.0]
        );
        let x = vec![Tensor::from_vec(vec![2], vec![1.0f64, 2.0]).unwrap()];
        let prev = vec![Tensor::from_vec(vec![2], vec![3.0f64, -2.0]).unwrap()];
        let m = momentum_tensors(0.5, x.clone(), Some(&prev)).unwrap();
        assert_eq!(m[0].data(), &[2.0, 0.0]);
        assert_eq!(momentum_tensors(0.5, x.clone(), None).unwrap(), x);
    }
}
