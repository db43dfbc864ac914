//! `ReduceLROnPlateau` with PyTorch's semantics (mode `min`), and [`PlateauSchedule`], which calls it every
//! `period` steps with the mean training loss since its last call (algorithm 4's `schedule`).

use crate::error::{OptimError, Result};
use crate::optimizer::check_lr;
use crate::state::{OptimizerState, StateReader};

/// How a new loss must compare with the best one to count as an improvement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// `loss < best·(1 − threshold)` (PyTorch's `rel`, the default).
    Rel,
    /// `loss < best − threshold` (PyTorch's `abs`).
    Abs,
}

/// Hyper-parameters of [`ReduceLrOnPlateau`] and of the period it is called at. Defaults: the paper's table 2
/// (period 1 here — set it to the number of steps per epoch, `N_e` —, patience 5, factor 0.5) and PyTorch's
/// (threshold 1e-4 relative, no cooldown, no floor, eps 1e-8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlateauConfig {
    /// Steps between two calls (`τ_sch`); each call sees the mean loss of the steps since the previous one.
    pub period: usize,
    /// Calls without improvement tolerated before reducing (`p_sch`).
    pub patience: usize,
    /// Multiplies the step size on a reduction (`f_sch`), in `[0, 1)`.
    pub factor: f64,
    /// The improvement that counts, see [`ThresholdMode`].
    pub threshold: f64,
    /// Relative or absolute threshold.
    pub threshold_mode: ThresholdMode,
    /// Calls to wait after a reduction before counting bad calls again.
    pub cooldown: usize,
    /// The step size never goes below this.
    pub min_lr: f64,
    /// Reductions smaller than this are skipped.
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        Self {
            period: 1,
            patience: 5,
            factor: 0.5,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

impl PlateauConfig {
    /// Checks every field's domain.
    pub fn validate(&self) -> Result<()> {
        if self.period == 0 {
            return Err(OptimError::config(
                "scheduler.period",
                0,
                "must be at least 1",
            ));
        }
        if !(0.0..1.0).contains(&self.factor) {
            return Err(OptimError::config(
                "scheduler.factor",
                self.factor,
                "must lie in [0, 1)",
            ));
        }
        for (field, v) in [
            ("scheduler.threshold", self.threshold),
            ("scheduler.eps", self.eps),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(OptimError::config(
                    field,
                    v,
                    "must be finite and non-negative",
                ));
            }
        }
        check_lr("scheduler.min_lr", self.min_lr)
    }
}

/// PyTorch's `ReduceLROnPlateau` in mode `min`: after more than `patience` calls without improvement, the step
/// size is multiplied by `factor` (not below `min_lr`), then `cooldown` calls pass before counting again.
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceLrOnPlateau {
    config: PlateauConfig,
    best: f64,
    num_bad: u64,
    cooldown_counter: u64,
}

impl ReduceLrOnPlateau {
    /// A scheduler that has seen nothing yet.
    pub fn new(config: PlateauConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            best: f64::INFINITY,
            num_bad: 0,
            cooldown_counter: 0,
        })
    }

    /// The best loss seen (`inf` before the first call).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// One call with the monitored `loss` and the current step size; returns the step size to use next.
    pub fn step(&mut self, loss: f64, lr: f64) -> f64 {
        let c = &self.config;
        let better = match c.threshold_mode {
            ThresholdMode::Rel => loss < self.best * (1.0 - c.threshold),
            ThresholdMode::Abs => loss < self.best - c.threshold,
        };
        if better {
            self.best = loss;
            self.num_bad = 0;
        } else {
            self.num_bad += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad = 0;
        }
        if self.num_bad > c.patience as u64 {
            self.cooldown_counter = c.cooldown as u64;
            self.num_bad = 0;
            let new_lr = (lr * c.factor).max(c.min_lr);
            if lr - new_lr > c.eps {
                return new_lr;
            }
        }
        lr
    }
}

/// Calls a [`ReduceLrOnPlateau`] every `period` steps with the mean of the losses observed since the last call.
#[derive(Clone, Debug, PartialEq)]
pub struct PlateauSchedule {
    plateau: ReduceLrOnPlateau,
    period: usize,
    sum: f64,
    count: u64,
}

impl PlateauSchedule {
    /// A schedule that has seen nothing yet.
    pub fn new(config: PlateauConfig) -> Result<Self> {
        Ok(Self {
            plateau: ReduceLrOnPlateau::new(config)?,
            period: config.period,
            sum: 0.0,
            count: 0,
        })
    }

    /// The underlying scheduler.
    pub fn plateau(&self) -> &ReduceLrOnPlateau {
        &self.plateau
    }

    /// Records one step's loss; every `period`-th call, runs the scheduler on the mean and returns
    /// `Some(next step size)`, otherwise `None`.
    pub fn observe(&mut self, loss: f64, lr: f64) -> Option<f64> {
        self.sum += loss;
        self.count += 1;
        if self.count < self.period as u64 {
            return None;
        }
        let mean = self.sum / self.count as f64;
        (self.sum, self.count) = (0.0, 0);
        Some(self.plateau.step(mean, lr))
    }

    /// Writes the state under `prefix` (`best` is absent while it is still infinite).
    pub fn save(&self, s: &mut OptimizerState, prefix: &str) {
        if self.plateau.best.is_finite() {
            s.set_scalar(&format!("{prefix}best"), self.plateau.best);
        }
        s.set_scalar(&format!("{prefix}num_bad"), self.plateau.num_bad as f64);
        s.set_scalar(
            &format!("{prefix}cooldown_counter"),
            self.plateau.cooldown_counter as f64,
        );
        s.set_scalar(&format!("{prefix}loss_sum"), self.sum);
        s.set_scalar(&format!("{prefix}loss_count"), self.count as f64);
    }

    /// This schedule with the state written by [`PlateauSchedule::save`] under `prefix`.
    pub(crate) fn loaded(&self, r: &mut StateReader<'_>, prefix: &str) -> Result<Self> {
        let mut out = self.clone();
        out.plateau.best = r
            .optional_scalar(&format!("{prefix}best"))?
            .unwrap_or(f64::INFINITY);
        out.plateau.num_bad = r.count(&format!("{prefix}num_bad"))?;
        out.plateau.cooldown_counter = r.count(&format!("{prefix}cooldown_counter"))?;
        out.sum = r.scalar(&format!("{prefix}loss_sum"))?;
        out.count = r.count(&format!("{prefix}loss_count"))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step sizes PyTorch gives for a sequence of losses: `torch.optim.lr_scheduler.ReduceLROnPlateau(opt,
    /// patience=2, factor=0.5, cooldown=1)` on lr 1, losses below, `sched.step(loss)` then read the lr.
    #[test]
    fn reduces_after_patience_and_waits_for_cooldown() {
        let config = PlateauConfig {
            patience: 2,
            cooldown: 1,
            ..PlateauConfig::default()
        };
        let mut p = ReduceLrOnPlateau::new(config).unwrap();
        let losses = [1.0, 0.9, 0.95, 0.9, 0.89995, 0.91, 0.92, 0.93, 0.94, 0.5];
        // 0.89995 is not better than 0.9·(1 − 1e-4) = 0.89991: bad. Three bad calls (0.95, 0.9, 0.89995) > 2:
        // halve at call 5, cooldown eats call 6, then calls 7, 8, 9 are bad: halve again at call 9.
        let want = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25];
        let mut lr = 1.0;
        for (k, (&loss, &w)) in losses.iter().zip(&want).enumerate() {
            lr = p.step(loss, lr);
            assert_eq!(lr, w, "call {}", k + 1);
        }
        assert_eq!(p.best(), 0.5);
    }

    #[test]
    fn floor_abs_mode_and_schedule_period() {
        let config = PlateauConfig {
            patience: 0,
            min_lr: 0.3,
            threshold_mode: ThresholdMode::Abs,
            threshold: 0.1,
            ..PlateauConfig::default()
        };
        let mut p = ReduceLrOnPlateau::new(config).unwrap();
        assert_eq!(p.step(1.0, 1.0), 1.0);
        assert_eq!(p.step(0.95, 1.0), 0.5, "0.95 is not 0.1 below 1");
        assert_eq!(p.step(0.95, 0.5), 0.3, "floored");
        assert_eq!(p.step(0.95, 0.3), 0.3);

        let mut s = PlateauSchedule::new(PlateauConfig {
            period: 3,
            patience: 0,
            ..PlateauConfig::default()
        })
        .unwrap();
        assert_eq!(s.observe(1.0, 1.0), None);
        assert_eq!(s.observe(2.0, 1.0), None);
        assert_eq!(s.observe(3.0, 1.0), Some(1.0));
        assert_eq!(s.plateau().best(), 2.0, "the mean of the period");
        for l in [2.0, 2.0] {
            assert_eq!(s.observe(l, 1.0), None);
        }
        assert_eq!(s.observe(2.0, 1.0), Some(0.5));
    }

    #[test]
    fn bad_configs_are_refused() {
        let d = PlateauConfig::default();
        for bad in [
            PlateauConfig { period: 0, ..d },
            PlateauConfig { factor: 1.0, ..d },
            PlateauConfig {
                threshold: -1.0,
                ..d
            },
            PlateauConfig {
                min_lr: f64::NAN,
                ..d
            },
        ] {
            assert!(ReduceLrOnPlateau::new(bad).is_err(), "{bad:?}");
        }
    }
}
