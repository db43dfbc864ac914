//! [`Method1Config`]: the hyper-parameters of algorithm 4, with the paper's defaults (tables 2 and 3).

use super::direction::DirectionRule;
use crate::error::{OptimError, Result};
use crate::optimizer::{check_lr, check_unit};
use crate::plateau::PlateauConfig;
use crate::solver::CubicParams;

/// How `λ_int` evolves during training.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Schedule {
    /// The paper's: `λ_int` stays `solver.lambda_int` and every solved `η` is taken.
    #[default]
    Paper,
    /// Adaptive cubic regularisation (Cartis, Gould & Toint, 2011): after each solve, the step is tried on the
    /// `D_newt` minibatch and `λ_int` adapted from `ρ = actual / predicted decrease` (see [`AdaptiveConfig`]).
    Adaptive(AdaptiveConfig),
}

/// The adaptive schedule's thresholds. After new summaries, the solution `η` of the cubic model (after the
/// positive part, before the momentum) is tried on the `D_newt` minibatch of the summaries (one extra forward
/// pass, [`crate::Oracle::loss_on_last_summary_batch`]):
///
/// ```text
/// s = τ·λ_t·η        ρ = (L(θ) − L(θ − U·s)) / (−T(s))
/// ```
///
/// `T` is the cubic model that was minimised (same summaries, same `λ_int`), and `s` is the displacement of `τ`
/// steps with this `η` (the direction changes slowly under the gradient momentum): the model is judged on the
/// move it is trusted with until the next solve, not on one step of it, which for `λ_t = 0.1` would agree with
/// almost any model. Then
/// - `ρ < eta1`: `λ_int ← min(gamma·λ_int, lambda_max)`, the system is solved again with it, and its solution,
///   scaled by `gamma^−k` at the k-th retry (so the displacement shrinks even in groups whose `d3` is too small
///   for `λ_int` to restrain), is tried; up to `max_trials` trials in all;
/// - `ρ > eta2`: the solution enters the momentum and `λ_int ← max(λ_int/gamma, lambda_min)`;
/// - otherwise it enters the momentum and `λ_int` is kept.
///
/// When the last trial is refused too, the solution enters the momentum as a zero step, so `η̃` shrinks (and
/// while there is no `η̃` the parameters do not move). When the model predicts no decrease for `s` (a zero `η`, or
/// one the positive part made useless) `ρ` is undefined: the solution is taken, as the paper takes it, and
/// `λ_int` kept.
///
/// The step size `λ_t` is adapted once per period, from what the period did. When new summaries are due, the
/// loss on the previous summaries' minibatch is measured again (one forward pass) and compared with the
/// first-order prediction of the displacement the period took along their direction:
///
/// ```text
/// r = (L(θ_start) − L(θ_end)) / ⟨gbar, Σ_t λ_t·η̃⟩        λ_t ← λ_t · lr_gain^clamp(r − lr_target, −1, 1)
/// ```
///
/// `r` is the Armijo ratio of the whole period (1 for a vanishing step; on a quadratic, `1 − α/2` for a step of `α`
/// times the line's minimiser, 0 at the edge where the loss comes back to its start). Unlike the one-step trial it
/// sees the steps actually taken, each along a new minibatch's direction, so it judges the noise the paper's
/// `λ_1` is tuned against: a small positive target keeps the steps below that edge but not at the (too cautious)
/// greedy minimiser of the minibatch. Within `[λ_1·lr_min_factor, λ_1·lr_max_factor]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveConfig {
    /// Below this `ρ` the new step sizes are rejected (0.1).
    pub eta1: f64,
    /// Above this `ρ` the model is trusted more: `λ_int` decreases (0.75).
    pub eta2: f64,
    /// Factor of an increase or a decrease of `λ_int` (2).
    pub gamma: f64,
    /// Floor of `λ_int` (1: the paper's default; [`Method1Config::adaptive`] lowers it to a smaller configured
    /// `λ_int`). `ρ` is measured on the minibatch the summaries came from, so it checks the model's fidelity along
    /// the step, not the noise between minibatches that the paper's `λ_int` also guards against: on the MLP and
    /// LeNet-5, `ρ` (where defined) stays between 0.8 and 1.9, and with a floor of 1e-3 on the MLP `λ_int` sank
    /// to it within 100 steps and trained worse (see `experiments/self-tuning/`).
    pub lambda_min: f64,
    /// Ceiling of `λ_int` (1e6).
    pub lambda_max: f64,
    /// Most solves and trials per summary update (4: `λ_int` may grow by `gamma³` before the previous `η̃` is
    /// kept).
    pub max_trials: u32,
    /// The period ratio `λ_t` is steered to (0.1): above it `λ_t` grows, below it `λ_t` shrinks.
    pub lr_target: f64,
    /// Largest factor of a change of `λ_t` per period (1.2); 1 keeps `λ_t` (only `λ_int` adapts).
    pub lr_gain: f64,
    /// Floor of `λ_t`, as a fraction of `λ_1` (1e-3).
    pub lr_min_factor: f64,
    /// Ceiling of `λ_t`, as a multiple of `λ_1` (10).
    pub lr_max_factor: f64,
}

impl Default for AdaptiveConfig {
    fn default() -> Self {
        Self {
            eta1: 0.1,
            eta2: 0.75,
            gamma: 2.0,
            lambda_min: 1.0,
            lambda_max: 1e6,
            max_trials: 4,
            lr_target: 0.1,
            lr_gain: 1.2,
            lr_min_factor: 1e-3,
            lr_max_factor: 10.0,
        }
    }
}

impl AdaptiveConfig {
    /// `λ_int` after a trial of ratio `rho`, and whether the trial is rejected (a NaN `rho` is).
    pub fn adapt(&self, lambda_int: f64, rho: f64) -> (f64, bool) {
        if rho.is_nan() || rho < self.eta1 {
            ((lambda_int * self.gamma).min(self.lambda_max), true)
        } else if rho > self.eta2 {
            ((lambda_int / self.gamma).max(self.lambda_min), false)
        } else {
            (lambda_int, false)
        }
    }

    fn validate(&self, lambda_int: f64) -> Result<()> {
        if self.max_trials == 0 {
            return Err(OptimError::config(
                "schedule.max_trials",
                0,
                "must be at least 1",
            ));
        }
        for (field, v, ok) in [
            ("schedule.eta1", self.eta1, self.eta1 > 0.0),
            (
                "schedule.eta2",
                self.eta2,
                self.eta2 >= self.eta1 && self.eta2 < 1.0,
            ),
            ("schedule.gamma", self.gamma, self.gamma > 1.0),
            (
                "schedule.lambda_min",
                self.lambda_min,
                self.lambda_min > 0.0,
            ),
            (
                "schedule.lambda_max",
                self.lambda_max,
                self.lambda_max >= self.lambda_min,
            ),
            (
                "solver.lambda_int",
                lambda_int,
                (self.lambda_min..=self.lambda_max).contains(&lambda_int),
            ),
            (
                "schedule.lr_target",
                self.lr_target,
                (-1.0..1.0).contains(&self.lr_target),
            ),
            ("schedule.lr_gain", self.lr_gain, self.lr_gain >= 1.0),
            (
                "schedule.lr_min_factor",
                self.lr_min_factor,
                self.lr_min_factor > 0.0 && self.lr_min_factor <= 1.0,
            ),
            (
                "schedule.lr_max_factor",
                self.lr_max_factor,
                self.lr_max_factor >= 1.0,
            ),
        ] {
            if !(ok && v.is_finite()) {
                return Err(OptimError::config(
                    field,
                    v,
                    "outside the adaptive schedule's domain: 0 < eta1 ≤ eta2 < 1, gamma > 1, \
                     0 < lambda_min ≤ solver.lambda_int ≤ lambda_max, −1 ≤ lr_target < 1, lr_gain ≥ 1, \
                     0 < lr_min_factor ≤ 1 ≤ lr_max_factor",
                ));
            }
        }
        Ok(())
    }
}

/// Hyper-parameters of [`crate::Method1`] (algorithm 4 of the paper). The batch sizes `B_g` and `B` belong to
/// the [`crate::Oracle`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Method1Config {
    /// Initial step size `λ_1` (0.1).
    pub lr: f64,
    /// Momentum `μ_g` of the direction `ũ` on the gradients (0.9), with [`DirectionRule::Momentum`].
    pub grad_momentum: f64,
    /// How the direction `ũ` is formed from the gradients (algorithm 4's momentum by default).
    pub direction: DirectionRule,
    /// `τ`: the summaries are recomputed at step 1 and then every `τ` steps (10).
    pub period: usize,
    /// Momentum `μ_η` on the step sizes `(η)₊` (0.5).
    pub eta_momentum: f64,
    /// The cubic solver's parameters; `solver.lambda_int` is the internal damping `λ_int` (1).
    pub solver: CubicParams,
    /// Appendix L's diagonal approximation: the off-diagonal entries of `hbar` are zeroed before solving.
    pub diagonal: bool,
    /// Take the positive part `(η)₊` before the momentum, as algorithm 4 does (true). Without it, Method 1 with
    /// `S = P` and `λ_int = 0` is exactly Newton's method.
    pub positive_part: bool,
    /// `ReduceLROnPlateau` on `λ_t`, called every `period` steps with the mean training loss; `None` keeps `λ`
    /// constant.
    pub scheduler: Option<PlateauConfig>,
    /// How `λ_int` evolves: the paper's constant (the default) or adaptive.
    pub schedule: Schedule,
    /// The summaries `gbar`, `hbar`, `d3` solved for are the uniform mean of the last `summary_average` finite
    /// ones computed (as the reference code's later versions do over a period); 1 (the default) is the paper's.
    pub summary_average: usize,
}

impl Method1Config {
    /// The paper's setting (table 2, and table 3's `λ_1 = 0.1`, `λ_int = 1` default of the solver) with the
    /// scheduler called once per epoch of `steps_per_epoch` steps (`τ_sch = N_e`), patience 5, factor 0.5.
    pub fn paper(steps_per_epoch: usize) -> Self {
        Self {
            lr: 0.1,
            grad_momentum: 0.9,
            direction: DirectionRule::Momentum,
            period: 10,
            eta_momentum: 0.5,
            solver: CubicParams::default(),
            diagonal: false,
            positive_part: true,
            scheduler: Some(PlateauConfig {
                period: steps_per_epoch,
                patience: 5,
                factor: 0.5,
                ..PlateauConfig::default()
            }),
            schedule: Schedule::Paper,
            summary_average: 1,
        }
    }

    /// The same with the adaptive schedule of `λ_int` ([`AdaptiveConfig::default`]'s thresholds, its floor
    /// lowered to `solver.lambda_int` when that is smaller).
    pub fn adaptive(self) -> Self {
        let a = AdaptiveConfig::default();
        Self {
            schedule: Schedule::Adaptive(AdaptiveConfig {
                lambda_min: a.lambda_min.min(self.solver.lambda_int),
                ..a
            }),
            ..self
        }
    }

    /// [`Method1Config::adaptive`] with `λ_t` kept (`lr_gain = 1`): only `λ_int` adapts.
    pub fn adaptive_damping(self) -> Self {
        let mut c = self.adaptive();
        if let Schedule::Adaptive(a) = &mut c.schedule {
            a.lr_gain = 1.0;
        }
        c
    }

    /// The same with appendix L's diagonal approximation of `hbar`.
    pub fn diagonal(self) -> Self {
        Self {
            diagonal: true,
            ..self
        }
    }

    /// The same without the cubic regularisation (`λ_int = 0`: `η = hbar⁻¹ gbar`).
    pub fn no_regularisation(mut self) -> Self {
        self.solver.lambda_int = 0.0;
        self
    }

    /// Checks every field's domain.
    pub fn validate(&self) -> Result<()> {
        check_lr("lr", self.lr)?;
        check_unit("grad_momentum", self.grad_momentum, false)?;
        check_unit("eta_momentum", self.eta_momentum, false)?;
        if self.period == 0 {
            return Err(OptimError::config("period", 0, "must be at least 1"));
        }
        let s = &self.solver;
        for (field, v, ok, reason) in [
            (
                "solver.lambda_int",
                s.lambda_int,
                s.lambda_int >= 0.0,
                "must be finite and non-negative (0: no regularisation)",
            ),
            (
                "solver.rel_tol",
                s.rel_tol,
                s.rel_tol > 0.0,
                "must be finite and positive",
            ),
            (
                "solver.tiny",
                s.tiny,
                s.tiny >= 0.0,
                "must be finite and non-negative",
            ),
        ] {
            if !(ok && v.is_finite()) {
                return Err(OptimError::config(field, v, reason));
            }
        }
        if s.max_iter == 0 {
            return Err(OptimError::config(
                "solver.max_iter",
                0,
                "must be at least 1",
            ));
        }
        if let Some(p) = &self.scheduler {
            p.validate()?;
        }
        if let Schedule::Adaptive(a) = &self.schedule {
            a.validate(s.lambda_int)?;
        }
        if self.summary_average == 0 {
            return Err(OptimError::config(
                "summary_average",
                0,
                "must be at least 1 (1: no averaging)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_defaults_and_variants() {
        let c = Method1Config::paper(600);
        assert_eq!(
            (c.lr, c.grad_momentum, c.period, c.eta_momentum),
            (0.1, 0.9, 10, 0.5)
        );
        assert_eq!(c.solver.lambda_int, 1.0);
        let s = c.scheduler.unwrap();
        assert_eq!(
            (s.period, s.patience, s.factor, s.threshold),
            (600, 5, 0.5, 1e-4)
        );
        assert!(c.validate().is_ok());
        assert!(c.diagonal().diagonal && !c.diagonal);
        assert_eq!(c.no_regularisation().solver.lambda_int, 0.0);
        assert_eq!((c.schedule, c.summary_average), (Schedule::Paper, 1));
        assert!(c.adaptive().validate().is_ok());
        let Schedule::Adaptive(damping) = c.adaptive_damping().schedule else {
            panic!("not adaptive")
        };
        assert_eq!(damping.lr_gain, 1.0);
        assert!(c.adaptive_damping().validate().is_ok());
        for bad in [
            Method1Config { period: 0, ..c },
            Method1Config {
                grad_momentum: 1.0,
                ..c
            },
            Method1Config { lr: -0.1, ..c },
            Method1Config {
                solver: CubicParams {
                    lambda_int: f64::NAN,
                    ..c.solver
                },
                ..c
            },
            Method1Config::paper(0),
            Method1Config {
                summary_average: 0,
                ..c
            },
            c.no_regularisation().adaptive(),
            Method1Config {
                schedule: Schedule::Adaptive(AdaptiveConfig {
                    gamma: 1.0,
                    ..AdaptiveConfig::default()
                }),
                ..c
            },
            Method1Config {
                schedule: Schedule::Adaptive(AdaptiveConfig {
                    max_trials: 0,
                    ..AdaptiveConfig::default()
                }),
                ..c
            },
        ]
        .into_iter()
        .chain(
            [
                AdaptiveConfig {
                    lr_gain: 0.5,
                    ..AdaptiveConfig::default()
                },
                AdaptiveConfig {
                    lr_target: 1.0,
                    ..AdaptiveConfig::default()
                },
                AdaptiveConfig {
                    lr_min_factor: 0.0,
                    ..AdaptiveConfig::default()
                },
                AdaptiveConfig {
                    lr_max_factor: 0.5,
                    ..AdaptiveConfig::default()
                },
            ]
            .map(|a| Method1Config {
                schedule: Schedule::Adaptive(a),
                ..c
            }),
        ) {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn adaptive_thresholds() {
        let a = AdaptiveConfig {
            lambda_min: 1e-3,
            ..AdaptiveConfig::default()
        };
        assert_eq!(a.adapt(1.0, 0.05), (2.0, true));
        assert_eq!(a.adapt(1.0, f64::NAN), (2.0, true));
        assert_eq!(a.adapt(1.0, f64::NEG_INFINITY), (2.0, true));
        assert_eq!(a.adapt(1.0, 0.5), (1.0, false));
        assert_eq!(a.adapt(1.0, 1.0), (0.5, false));
        assert_eq!(a.adapt(1.5e-3, 1.0), (1e-3, false));
        assert_eq!(a.adapt(8e5, 0.0), (1e6, true));
        // The default floor is the paper's λ_int, lowered to a smaller configured one.
        assert_eq!(AdaptiveConfig::default().adapt(1.5, 1.0), (1.0, false));
        let low = Method1Config::paper(1);
        let low = Method1Config {
            solver: CubicParams {
                lambda_int: 0.25,
                ..low.solver
            },
            ..low
        };
        let Schedule::Adaptive(a) = low.adaptive().schedule else {
            panic!("not adaptive")
        };
        assert_eq!(a.lambda_min, 0.25);
    }
}
