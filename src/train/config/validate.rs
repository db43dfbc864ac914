//! Checks of a config's counts and values, each error naming its key.

use super::{DatasetKind, TrainConfig, MAX_SUMMARY_AVERAGE};
use crate::resources::MAX_THREADS;
use crate::train::error::{Result, TrainError};

impl TrainConfig {
    /// Bounds on counts that do not follow from the machine's memory, each explained at its constant.
    pub(super) fn validate_counts(&self) -> Result<()> {
        let bad = |key: &str, reason: String| {
            Err(TrainError::Value {
                key: key.into(),
                reason,
            })
        };
        if let Some(n) = self.threads.filter(|&n| n == 0 || n > MAX_THREADS) {
            return bad("threads", format!("{n} is not between 1 and {MAX_THREADS}"));
        }
        if u32::try_from(self.epochs).is_err() {
            return bad(
                "epochs",
                format!(
                    "{} is more than the {} epochs the records can count",
                    self.epochs,
                    u32::MAX
                ),
            );
        }
        if self.newton.summary_average > MAX_SUMMARY_AVERAGE {
            return bad(
                "newton.summary_average",
                format!(
                    "{} is more than {MAX_SUMMARY_AVERAGE} summaries to average",
                    self.newton.summary_average
                ),
            );
        }
        Ok(())
    }

    /// Every value's domain.
    pub(super) fn validate_values(&self) -> Result<()> {
        let bad = |key: &str, reason: &str| {
            Err(TrainError::Value {
                key: key.into(),
                reason: reason.into(),
            })
        };
        if self.threads == Some(0) {
            return bad("threads", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.epochs == 0 && self.steps.is_none() {
            return bad("epochs", "must be at least 1 (or set steps)");
        }
        if self.steps == Some(0) {
            return bad("steps", "must be at least 1");
        }
        for (key, v) in [
            ("validation_fraction", self.validation_fraction),
            ("test_fraction", self.test_fraction),
        ] {
            if !(0.0..0.9).contains(&v) {
                return bad(key, "must lie in [0, 0.9)");
            }
        }
        if self.optimizer.is_newton() && self.newton.summary_batch_size == 0 {
            return bad("newton.summary_batch_size", "must be at least 1");
        }
        if self.newton.period == 0 {
            return bad("newton.period", "must be at least 1");
        }
        if self.newton.summary_average == 0 {
            return bad(
                "newton.summary_average",
                "must be at least 1 (1: no averaging)",
            );
        }
        if self.dataset == DatasetKind::Synthetic && self.synthetic_samples < 10 {
            return bad("synthetic_samples", "must be at least 10");
        }
        if !(self.guard.shrink > 0.0 && self.guard.shrink <= 1.0) {
            return bad("guard.shrink", "must lie in (0, 1]");
        }
        if self.guard.max_rejections == 0 {
            return bad("guard.max_rejections", "must be at least 1");
        }
        if !(self.guard.blowup_factor == 0.0 || self.guard.blowup_factor > 1.0) {
            return bad("guard.blowup_factor", "must be 0 (off) or above 1");
        }
        Ok(())
    }
}
