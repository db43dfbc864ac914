//! The adaptive schedule's step size `λ_t`: a ratio measured over each period, on the period's own summaries.

use jetnewton_engine::{Float, Tensor};

use super::AdaptiveConfig;
use crate::error::Result;
use crate::oracle::Oracle;

/// What a period needs to be judged when it ends: the loss and `gbar` of the summaries it started with (on their
/// `D_newt` minibatch), and its displacement so far, `Σ λ_t·η̃` per group along the direction of that solve.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Period {
    /// The summaries' loss at the start of the period.
    pub loss: f64,
    /// The summaries' `gbar` at the start of the period.
    pub gbar: Vec<f64>,
    /// `Σ λ_t·η̃_s` over the steps taken since, per group.
    pub displacement: Vec<f64>,
}

impl Period {
    /// A period starting at summaries of `loss` and `gbar`, before its first step.
    pub fn start(loss: f64, gbar: &[f64]) -> Self {
        Self {
            loss,
            gbar: gbar.to_vec(),
            displacement: vec![0.0; gbar.len()],
        }
    }

    /// Adds one step `θ ← θ − lr·ũ·η̃` to the displacement.
    pub fn record_step(&mut self, lr: f64, eta: &[f64]) {
        self.displacement
            .iter_mut()
            .zip(eta)
            .for_each(|(d, e)| *d += lr * e);
    }

    /// The first-order prediction of the period's decrease, `⟨gbar, displacement⟩`.
    pub fn predicted(&self) -> f64 {
        self.gbar
            .iter()
            .zip(&self.displacement)
            .map(|(g, d)| g * d)
            .sum()
    }

    /// The period ratio at `params` (its end): `(L(start) − L(params)) / ⟨gbar, displacement⟩` on the minibatch
    /// the period's summaries came from (one forward pass). `None`, without the pass, when the first-order
    /// prediction is not a decrease.
    pub fn ratio<F: Float>(
        &self,
        params: &[Tensor<F>],
        oracle: &mut dyn Oracle<F>,
    ) -> Result<Option<f64>> {
        let predicted = self.predicted();
        if !(predicted.is_finite() && predicted > 0.0) {
            return Ok(None);
        }
        let after = oracle.loss_on_last_summary_batch(params)?;
        Ok(Some((self.loss - after) / predicted))
    }
}

impl AdaptiveConfig {
    /// `λ_t` after a period of ratio `ratio`, for a run that started at `lr_1`: multiplied by
    /// `lr_gain^clamp(ratio − lr_target, −1, 1)` and kept within `[lr_1·lr_min_factor, lr_1·lr_max_factor]`. A NaN
    /// ratio (a non-finite loss) counts as −1.
    pub fn adapt_lr(&self, lr: f64, lr_1: f64, ratio: f64) -> f64 {
        let excess = if ratio.is_nan() {
            -1.0
        } else {
            (ratio - self.lr_target).clamp(-1.0, 1.0)
        };
        (lr * self.lr_gain.powf(excess)).clamp(lr_1 * self.lr_min_factor, lr_1 * self.lr_max_factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_sums_its_steps_and_predicts_to_first_order() {
        let mut p = Period::start(2.0, &[1.0, -2.0]);
        assert_eq!(p.predicted(), 0.0);
        p.record_step(0.1, &[3.0, 0.5]);
        p.record_step(0.2, &[3.0, 0.5]);
        let d = &p.displacement;
        assert!(
            (d[0] - 0.9).abs() < 1e-15 && (d[1] - 0.15).abs() < 1e-15,
            "{d:?}"
        );
        assert!((p.predicted() - (0.9 - 0.3)).abs() < 1e-15);
    }

    #[test]
    fn lambda_t_moves_by_at_most_lr_gain_within_its_bounds() {
        let a = AdaptiveConfig::default();
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12 * y;
        // At the target, λ_t stays; the excess is clamped to ±1.
        assert!(close(a.adapt_lr(0.1, 0.1, 0.1), 0.1));
        assert!(close(a.adapt_lr(0.1, 0.1, 0.6), 0.1 * 1.2f64.powf(0.5)));
        assert!(close(a.adapt_lr(0.1, 0.1, 50.0), 0.12));
        assert!(close(a.adapt_lr(0.1, 0.1, -50.0), 0.1 / 1.2));
        assert!(close(a.adapt_lr(0.1, 0.1, f64::NEG_INFINITY), 0.1 / 1.2));
        assert!(close(a.adapt_lr(0.1, 0.1, f64::NAN), 0.1 / 1.2));
        // Bounds relative to λ_1.
        assert!(close(a.adapt_lr(0.99, 0.1, 1.0), 1.0));
        assert!(close(a.adapt_lr(1.01e-4, 0.1, -1.0), 1e-4));
        // lr_gain = 1 keeps λ_t.
        let kept = AdaptiveConfig { lr_gain: 1.0, ..a };
        assert_eq!(kept.adapt_lr(0.3, 0.3, -1.0), 0.3);
    }
}
