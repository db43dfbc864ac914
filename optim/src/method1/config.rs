//! [`Method1Config`]: the hyper-parameters of algorithm 4, with the paper's defaults (tables 2 and 3).

use crate::error::{OptimError, Result};
use crate::optimizer::{check_lr, check_unit};
use crate::plateau::PlateauConfig;
use crate::solver::CubicParams;

/// Hyper-parameters of [`crate::Method1`] (algorithm 4 of the paper). The batch sizes `B_g` and `B` belong to
/// the [`crate::Oracle`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Method1Config {
    /// Initial step size `λ_1` (0.1).
    pub lr: f64,
    /// Momentum `μ_g` of the direction `ũ` on the gradients (0.9).
    pub grad_momentum: f64,
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
}

impl Method1Config {
    /// The paper's setting (table 2, and table 3's `λ_1 = 0.1`, `λ_int = 1` default of the solver) with the
    /// scheduler called once per epoch of `steps_per_epoch` steps (`τ_sch = N_e`), patience 5, factor 0.5.
    pub fn paper(steps_per_epoch: usize) -> Self {
        Self {
            lr: 0.1,
            grad_momentum: 0.9,
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
        }
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
        for (field, v, ok) in [
            ("solver.lambda_int", s.lambda_int, s.lambda_int >= 0.0),
            ("solver.rel_tol", s.rel_tol, s.rel_tol > 0.0),
            ("solver.tiny", s.tiny, s.tiny >= 0.0),
        ] {
            if !(ok && v.is_finite()) {
                return Err(OptimError::config(
                    field,
                    v,
                    "out of its domain (see CubicParams)",
                ));
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
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
