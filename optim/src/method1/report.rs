//! [`Method1Report`]: what a Method 1 step did, for logging.

use jetnewton_engine::summaries::Summaries;

use crate::solver::{Solution, SolveError};
use crate::step_values::{FaultKind, StepFault, StepValues};

/// Method 1's part of a [`crate::StepReport`].
#[derive(Clone, Debug, PartialEq)]
pub struct Method1Report {
    /// `η̃_t`, the per-group step sizes the update used (after the positive part and the momentum); `None` while
    /// no summaries have succeeded yet, in which case the parameters did not move.
    pub eta: Option<Vec<f64>>,
    /// Present when the summaries were recomputed at this step.
    pub summaries: Option<SummariesReport>,
    /// Whether the plateau scheduler was called at this step.
    pub scheduler_called: bool,
    /// `λ_{t+1}`, the step size of the next step.
    pub next_lr: f64,
    /// `λ_int` of this step's (last) solve (the current one when there was none).
    pub lambda_int: f64,
    /// `λ_int` of the next solve (differs from `lambda_int` only with the adaptive schedule).
    pub next_lambda_int: f64,
    /// The adaptive schedule's `ρ` of the last trial (see [`crate::AdaptiveConfig`]); `−∞` when the model
    /// predicted no decrease, `None` without a trial or for a zero step.
    pub rho: Option<f64>,
    /// The adaptive schedule's period ratio, measured at this step for the period that ended (see
    /// [`crate::AdaptiveConfig`]): the decrease of the loss on the last summaries' minibatch over the period,
    /// against its first-order prediction; `None` when not measured.
    pub period_ratio: Option<f64>,
    /// Whether the adaptive schedule rejected the solved `η` (`ρ < eta1`): the previous `η̃` was kept.
    pub rejected: bool,
    /// How many `η̃` the adaptive schedule tried at this step (0 without a trial).
    pub trials: u32,
}

impl Method1Report {
    /// Whether the summaries were recomputed at this step.
    pub fn recomputed(&self) -> bool {
        self.summaries.is_some()
    }

    /// Whether summaries were computed but gave no usable `η`, or the adaptive schedule rejected it (so the
    /// previous `η̃` was kept).
    pub fn eta_kept(&self) -> bool {
        self.rejected
            || self
                .summaries
                .as_ref()
                .is_some_and(|s| !matches!(s.update, EtaUpdate::Solved(_)))
    }
}

/// The summaries of a recomputation and what came of them.
#[derive(Clone, Debug, PartialEq)]
pub struct SummariesReport {
    /// `gbar`, `hbar`, `d3` and the loss on the `D_newt` minibatch, as the oracle returned them (before the
    /// diagonal approximation, if any).
    pub summaries: Summaries,
    /// The new `η`, or why there is none.
    pub update: EtaUpdate,
}

/// The outcome of solving for `η`.
#[derive(Clone, Debug, PartialEq)]
pub enum EtaUpdate {
    /// The solver's `η` (before the positive part and the momentum), its outcome and its model decrease.
    Solved(Solution),
    /// A NaN or infinite value in the summaries: the previous `η̃` was kept.
    NonFiniteSummaries,
    /// The solver refused: the previous `η̃` was kept.
    SolverFailed(SolveError),
}

impl Method1Report {
    /// Method 1's verdict on its step: non-finite summaries or step sizes, or a solver failure, make it faulty;
    /// a singular `hbar` where the cubic term cannot help is structural (no step size changes it).
    pub fn fault(&self) -> Option<StepFault> {
        if let Some(s) = &self.summaries {
            match &s.update {
                EtaUpdate::NonFiniteSummaries => {
                    return Some(StepFault::numerical(
                        "non-finite summaries (hbar, gbar or d3)",
                    ))
                }
                EtaUpdate::SolverFailed(e) => {
                    let kind = if is_structural(e) {
                        FaultKind::Structural
                    } else {
                        FaultKind::Numerical
                    };
                    return Some(StepFault {
                        kind,
                        reason: format!("solver failed: {e}"),
                    });
                }
                EtaUpdate::Solved(_) => {}
            }
        }
        self.eta
            .as_ref()
            .is_some_and(|eta| eta.iter().any(|v| !v.is_finite()))
            .then(|| StepFault::numerical("non-finite step sizes eta"))
    }

    /// The step's values under the records' names: `eta`, `hbar` and `solver` (when the summaries were
    /// recomputed), `lambda_int`, `rho`, `period_ratio`, `eta_refused`.
    pub fn values(&self) -> StepValues {
        let mut v = StepValues::default();
        if let Some(eta) = &self.eta {
            v.vectors.insert("eta", eta.clone());
        }
        if let Some(s) = &self.summaries {
            v.matrices.insert("hbar", s.summaries.hbar.clone());
            let solver = match &s.update {
                EtaUpdate::Solved(sol) => format!("{:?}", sol.outcome),
                EtaUpdate::NonFiniteSummaries => "non-finite summaries".into(),
                EtaUpdate::SolverFailed(e) => format!("failed: {e}"),
            };
            v.labels.insert("solver", solver);
        }
        v.scalars.insert("lambda_int", self.lambda_int);
        for (name, value) in [("rho", self.rho), ("period_ratio", self.period_ratio)] {
            if let Some(x) = value {
                v.scalars.insert(name, x);
            }
        }
        v.flags.insert("eta_refused", self.rejected);
        v
    }
}

/// Solver refusals that come from the shape of `hbar` itself (singular, or not positive definite where the
/// cubic term cannot help), which a smaller step size does not change.
fn is_structural(e: &SolveError) -> bool {
    matches!(
        e,
        SolveError::Singular { .. }
            | SolveError::NotPositiveDefinite { .. }
            | SolveError::NegligibleD3NotPositiveDefinite { .. }
    )
}
