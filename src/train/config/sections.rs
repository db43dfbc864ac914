//! The config's sections of its own: `[newton]` and `[guard]`, each with its defaults. (`[adam]`, `[sgd]` and
//! `[kfac]` are the optimisers' own configs, `jetnewton_optim::AdamConfig`, `SgdConfig` and `KfacConfig`.)

use jetnewton_optim::DirectionRule;
use serde::{Deserialize, Serialize};

use super::kinds::ScheduleKind;

/// Method 1's hyper-parameters (table 2 of the paper, `λ_1` and `λ_int` of table 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewtonConfig {
    /// `λ_1`, the initial step size.
    pub lr: f64,
    /// `λ_int`, the internal damping of the cubic term (0: no regularisation).
    pub lambda_int: f64,
    /// `B`, the minibatch size of the summaries (`D_newt`).
    pub summary_batch_size: usize,
    /// `τ`: steps between two computations of the summaries.
    pub period: usize,
    /// `μ_g`, momentum of the direction on the gradient.
    pub grad_momentum: f64,
    /// `μ_η`, momentum on `(η)₊`.
    pub eta_momentum: f64,
    /// Take the positive part of `η` before the momentum.
    pub positive_part: bool,
    /// ReduceLROnPlateau on `λ_t`, called once per epoch: calls without improvement before a reduction (0: off).
    pub patience: usize,
    /// Factor of a reduction.
    pub factor: f64,
    /// Relative improvement that counts for the plateau scheduler.
    pub threshold: f64,
    /// How `λ_int` and `λ_t` evolve: `"paper"` (both constant but for the plateau scheduler), `"adaptive"`
    /// (adaptive cubic regularisation of `λ_int` on the ratio of actual to predicted decrease, rejecting bad
    /// steps, and `λ_t` steered by each period's realised decrease; see `jetnewton_optim::AdaptiveConfig`) or
    /// `"adaptive-damping"` (only `λ_int` adapts).
    pub schedule: ScheduleKind,
    /// Solve with the mean of the last `summary_average` summaries (1: no averaging).
    pub summary_average: usize,
    /// Algorithm 1's direction `u_t`: `"momentum"` of the gradients (algorithm 4's, the default), `"gradient"`, or
    /// `"adam"` (Adam's update at unit learning rate, as the reference code's updater). Left out of the file when
    /// the default, so that runs made before the setting existed keep their identity.
    #[serde(skip_serializing_if = "DirectionRule::is_momentum")]
    pub direction: DirectionRule,
}

impl Default for NewtonConfig {
    /// `Method1Config::paper`'s values (table 2), so that the two cannot drift apart; `B` = 1000 is the oracle's.
    fn default() -> Self {
        // The scheduler's period is set per run from the steps per epoch; any value gives the other fields.
        let m = jetnewton_optim::Method1Config::paper(1);
        let plateau = m.scheduler.unwrap_or_default();
        Self {
            lr: m.lr,
            lambda_int: m.solver.lambda_int,
            summary_batch_size: 1000,
            period: m.period,
            grad_momentum: m.grad_momentum,
            eta_momentum: m.eta_momentum,
            positive_part: m.positive_part,
            patience: plateau.patience,
            factor: plateau.factor,
            threshold: plateau.threshold,
            schedule: ScheduleKind::Paper,
            summary_average: 1,
            direction: m.direction,
        }
    }
}

/// The numerical guard of every optimiser: rejected steps roll back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// Reject a step whose loss, parameters or step sizes are not finite, and roll back.
    pub enabled: bool,
    /// Multiplies the step size after a rejected step.
    pub shrink: f64,
    /// Consecutive rejections after which the run stops.
    pub max_rejections: usize,
    /// Reject a step whose minibatch loss is a finite blow-up: above this multiple of the run's starting loss
    /// (the initial network's loss on the evaluation set; 0: off). The default, 20, is far above minibatch
    /// noise: for cross-entropy over 10 classes it means a mean loss of ~46 over a minibatch, every sample's
    /// logits ~46 the wrong way on average, which a healthy run does not reach even on one sample; a tanh MLP
    /// trained by SGD at lr 1e4 ends near 70× its starting loss, which a factor of 100 would let pass.
    pub blowup_factor: f64,
}

/// [`GuardConfig::blowup_factor`]'s default.
pub const DEFAULT_BLOWUP_FACTOR: f64 = 20.0;

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            shrink: 0.5,
            max_rejections: 10,
            blowup_factor: DEFAULT_BLOWUP_FACTOR,
        }
    }
}
