//! Adam, with PyTorch's semantics (`torch.optim.Adam`, no AMSGrad, L2 weight decay in the gradient).

use jetnewton_engine::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{OptimError, Result};
use crate::layout::ParamLayout;
use crate::optimizer::{check_lr, check_unit, checked_gradient, Optimizer, StepReport};
use crate::oracle::Oracle;
use crate::state::{OptimizerState, StateReader};

/// Hyper-parameters of [`Adam`], named and defaulted as in PyTorch (but for PyTorch's `betas` pair, two fields
/// here, so that the serialised form, a config file's `[adam]` table, has one key per decay rate). Every field
/// may be left out of the serialised form, and unknown ones are refused.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamConfig {
    /// Learning rate (1e-3).
    pub lr: f64,
    /// `β1`, the decay rate of the first moment (0.9).
    pub beta1: f64,
    /// `β2`, the decay rate of the second moment (0.999).
    pub beta2: f64,
    /// Added to the denominator (1e-8).
    pub eps: f64,
    /// L2 penalty added to the gradient (0).
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

impl AdamConfig {
    /// Checks every field's domain.
    pub fn validate(&self) -> Result<()> {
        check_lr("lr", self.lr)?;
        check_unit("beta1", self.beta1, false)?;
        check_unit("beta2", self.beta2, false)?;
        for (field, v) in [("eps", self.eps), ("weight_decay", self.weight_decay)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(OptimError::config(
                    field,
                    v,
                    "must be finite and non-negative",
                ));
            }
        }
        Ok(())
    }
}

/// Adam, step for step as PyTorch's single-tensor path computes it (`t` counts steps from 1):
///
/// ```text
/// d ← g + weight_decay·θ
/// m ← lerp(m, d, 1 − β1)          = β1·m + (1 − β1)·d
/// v ← β2·v + (1 − β2)·d²
/// θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
/// ```
#[derive(Clone, Debug)]
pub struct Adam<F: Float> {
    config: AdamConfig,
    layout: ParamLayout,
    step: u64,
    exp_avg: Vec<Tensor<F>>,
    exp_avg_sq: Vec<Tensor<F>>,
}

const KIND: &str = "adam";

impl<F: Float> Adam<F> {
    /// An Adam optimiser for parameters of `layout`.
    pub fn new(layout: ParamLayout, config: AdamConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            exp_avg: layout.zeros(),
            exp_avg_sq: layout.zeros(),
            config,
            layout,
            step: 0,
        })
    }

    /// The configuration (with the current learning rate).
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }
}

/// Adam's moment update at step `t` (from 1), element by element, shared by [`Adam`] and Method 1's Adam
/// direction ([`crate::DirectionRule::Adam`]) so that both take the same numbers.
pub(crate) struct MomentRule<F: Float> {
    /// `1 − β₁ᵗ`, the first moment's bias correction.
    pub bc1: f64,
    bc2_sqrt: F,
    eps: F,
    w1: F,
    b2: F,
    w2: F,
}

impl<F: Float> MomentRule<F> {
    /// The rule of step `t` for `config`'s `β₁`, `β₂` and `eps`.
    pub fn new(config: &AdamConfig, t: u64) -> Self {
        let (b1, b2, eps) = (config.beta1, config.beta2, config.eps);
        Self {
            bc1: 1.0 - b1.powf(t as f64),
            bc2_sqrt: F::of((1.0 - b2.powf(t as f64)).sqrt()),
            eps: F::of(eps),
            w1: F::of(1.0 - b1),
            b2: F::of(b2),
            w2: F::of(1.0 - b2),
        }
    }

    /// `m ← lerp(m, d, 1 − β₁)`, `v ← β₂·v + (1 − β₂)·d²`; returns the denominator `√v / √(1 − β₂ᵗ) + ε` of the
    /// update `(lr / (1 − β₁ᵗ))·m / denominator`.
    pub fn advance(&self, m: &mut F, v: &mut F, d: F) -> F {
        *m = lerp(*m, d, self.w1);
        *v = *v * self.b2 + self.w2 * d * d;
        v.sqrt() / self.bc2_sqrt + self.eps
    }
}

/// PyTorch's `lerp(a, b, w)`: `a + w·(b − a)` for `w < ½`, else `b − (b − a)·(1 − w)`.
fn lerp<F: Float>(a: F, b: F, w: F) -> F {
    if w < F::of(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (F::one() - w)
    }
}

impl<F: Float> Optimizer<F> for Adam<F> {
    fn step(&mut self, params: &mut [Tensor<F>], oracle: &mut dyn Oracle<F>) -> Result<StepReport> {
        let (loss, grads) = checked_gradient(&self.layout, params, oracle)?;
        let c = &self.config;
        let t = self.step + 1;
        let rule = MomentRule::new(c, t);
        let neg_step = F::of(-c.lr / rule.bc1);
        let wd = F::of(c.weight_decay);
        let moments = self.exp_avg.iter_mut().zip(&mut self.exp_avg_sq);
        for ((p, g), (m, v)) in params.iter_mut().zip(grads).zip(moments) {
            let (m, v, p) = (m.data_mut(), v.data_mut(), p.data_mut());
            for (((p, &g), m), v) in p.iter_mut().zip(g.data()).zip(m).zip(v) {
                let d = if c.weight_decay != 0.0 {
                    g + wd * *p
                } else {
                    g
                };
                let denom = rule.advance(m, v, d);
                *p += neg_step * *m / denom;
            }
        }
        self.step = t;
        Ok(StepReport {
            step: t,
            loss,
            lr: c.lr,
            method1: None,
        })
    }

    fn state(&self) -> OptimizerState {
        let mut s = OptimizerState::new(KIND);
        s.set_scalar("step", self.step as f64);
        s.set_scalar("lr", self.config.lr);
        s.set_buffers("exp_avg", self.layout.names(), &self.exp_avg);
        s.set_buffers("exp_avg_sq", self.layout.names(), &self.exp_avg_sq);
        s
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        let mut r = StateReader::new(KIND, state)?;
        let step = r.count("step")?;
        let lr = r.scalar("lr")?;
        check_lr("lr", lr)?;
        let (names, shapes) = (self.layout.names(), self.layout.shapes());
        let exp_avg = r.buffers("exp_avg", names, shapes)?;
        let exp_avg_sq = r.buffers("exp_avg_sq", names, shapes)?;
        r.finish()?;
        self.step = step;
        self.config.lr = lr;
        self.exp_avg = exp_avg;
        self.exp_avg_sq = exp_avg_sq;
        Ok(())
    }

    fn lr(&self) -> f64 {
        self.config.lr
    }

    fn set_lr(&mut self, lr: f64) -> Result<()> {
        check_lr("lr", lr)?;
        self.config.lr = lr;
        Ok(())
    }

    fn layout(&self) -> &ParamLayout {
        &self.layout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Quadratic1d;

    /// Two steps on `L(θ) = Σ ½·θ_i² − 0.5·θ_i` from θ = (1, −2), expected values written out from the formulas.
    #[test]
    fn two_steps_match_the_formulas() {
        let cfg = AdamConfig {
            lr: 0.1,
            weight_decay: 0.1,
            ..AdamConfig::default()
        };
        let (b1, b2, eps, lr, wd): (f64, f64, f64, f64, f64) = (0.9, 0.999, 1e-8, 0.1, 0.1);
        let mut params = vec![Tensor::from_vec(vec![2], vec![1.0, -2.0]).unwrap()];
        let layout = ParamLayout::of(vec!["θ".into()], &params).unwrap();
        let mut adam = Adam::<f64>::new(layout, cfg).unwrap();
        let mut oracle = Quadratic1d { a: 1.0, b: 0.5 };
        let mut theta = [1.0f64, -2.0];
        let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
        for t in 1..=2 {
            for i in 0..2 {
                let d = (theta[i] - 0.5) + wd * theta[i];
                m[i] = b1 * m[i] + (1.0 - b1) * d;
                v[i] = b2 * v[i] + (1.0 - b2) * d * d;
                let m_hat = m[i] / (1.0 - b1.powi(t));
                let v_hat = v[i] / (1.0 - b2.powi(t));
                theta[i] -= lr * m_hat / (v_hat.sqrt() + eps);
            }
            adam.step(&mut params, &mut oracle).unwrap();
            if t == 1 {
                // The first step moves every coordinate by lr against the sign of its gradient.
                assert!((theta[0] - 0.9).abs() < 1e-8 && (theta[1] + 1.9).abs() < 1e-8);
            }
            for i in 0..2 {
                // Rounding differs (lerp, where the bias corrections apply): a few ulp of values of order 1.
                assert!(
                    (params[0].data()[i] - theta[i]).abs() < 1e-14,
                    "step {t}: {:?} vs {theta:?}",
                    params[0].data()
                );
            }
        }
    }

    #[test]
    fn defaults_are_pytorchs_and_bad_configs_are_refused() {
        let d = AdamConfig::default();
        assert_eq!(
            (d.lr, d.beta1, d.beta2, d.eps, d.weight_decay),
            (1e-3, 0.9, 0.999, 1e-8, 0.0)
        );
        let layout = ParamLayout::new(vec!["θ".into()], vec![vec![]]).unwrap();
        for bad in [
            AdamConfig { beta1: 1.0, ..d },
            AdamConfig { beta2: -0.1, ..d },
            AdamConfig { eps: -1.0, ..d },
            AdamConfig { lr: f64::NAN, ..d },
        ] {
            assert!(Adam::<f32>::new(layout.clone(), bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lerp_is_pytorchs() {
        assert_eq!(lerp(1.0f64, 3.0, 0.25), 1.5);
        assert_eq!(lerp(1.0f64, 3.0, 0.75), 2.5);
    }
}
