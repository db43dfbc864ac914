//! Stochastic gradient descent with momentum, with PyTorch's semantics (`torch.optim.SGD`).

use jetnewton_engine::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{OptimError, Result};
use crate::layout::ParamLayout;
use crate::optimizer::{check_lr, check_unit, checked_gradient, Optimizer, StepReport};
use crate::oracle::Oracle;
use crate::state::{OptimizerState, StateReader};

/// Hyper-parameters of [`Sgd`], named as in PyTorch. [`Default`] gives PyTorch's defaults (plain SGD at 1e-3);
/// the serialised form (a config file's `[sgd]` table) fills the fields it leaves out from
/// [`SgdConfig::with_momentum`] instead, and refuses unknown ones.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default = "SgdConfig::with_momentum", deny_unknown_fields)]
pub struct SgdConfig {
    /// Learning rate (PyTorch's default 1e-3).
    pub lr: f64,
    /// Momentum `μ` (0 = plain SGD).
    pub momentum: f64,
    /// Dampening of the gradient in the momentum buffer. Not in the serialised form, which has never had it:
    /// a deserialised config has none (0).
    #[serde(skip)]
    pub dampening: f64,
    /// Nesterov momentum (needs `momentum > 0` and `dampening = 0`).
    pub nesterov: bool,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
}

impl Default for SgdConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
}

impl SgdConfig {
    /// SGD with momentum 0.9 at learning rate 0.01, no dampening, no Nesterov, no weight decay: the common
    /// momentum recipe, which PyTorch's defaults (momentum 0) are not. The serialised form's defaults, so that a
    /// config that names the optimiser and nothing else trains with momentum.
    pub fn with_momentum() -> Self {
        Self {
            lr: 0.01,
            momentum: 0.9,
            ..Self::default()
        }
    }

    /// Checks every field's domain.
    pub fn validate(&self) -> Result<()> {
        check_lr("lr", self.lr)?;
        check_unit("momentum", self.momentum, true)?;
        check_unit("dampening", self.dampening, true)?;
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(OptimError::config(
                "weight_decay",
                self.weight_decay,
                "must be finite and non-negative",
            ));
        }
        if self.nesterov && (self.momentum == 0.0 || self.dampening != 0.0) {
            return Err(OptimError::config(
                "nesterov",
                true,
                "needs a positive momentum and zero dampening",
            ));
        }
        Ok(())
    }
}

/// SGD with momentum, step for step as PyTorch computes it:
///
/// ```text
/// d ← g + weight_decay·θ
/// v ← d                               at the first step
/// v ← μ·v + (1 − dampening)·d         afterwards
/// d ← d + μ·v  (Nesterov)   or   d ← v
/// θ ← θ − lr·d
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<F: Float> {
    config: SgdConfig,
    layout: ParamLayout,
    step: u64,
    /// Momentum buffers (zeros before the first step; unused when `momentum = 0`).
    buffers: Vec<Tensor<F>>,
}

const KIND: &str = "sgd";

impl<F: Float> Sgd<F> {
    /// An SGD optimiser for parameters of `layout`.
    pub fn new(layout: ParamLayout, config: SgdConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            buffers: layout.zeros(),
            config,
            layout,
            step: 0,
        })
    }

    /// The configuration (with the current learning rate).
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }
}

impl<F: Float> Optimizer<F> for Sgd<F> {
    fn step(&mut self, params: &mut [Tensor<F>], oracle: &mut dyn Oracle<F>) -> Result<StepReport> {
        let (loss, grads) = checked_gradient(&self.layout, params, oracle)?;
        let c = &self.config;
        let (wd, mu, damp) = (F::of(c.weight_decay), F::of(c.momentum), F::of(c.dampening));
        let (neg_lr, first) = (F::of(-c.lr), self.step == 0);
        // Linear combinations only (`axpy`, `axpby`), so the update runs wherever the tensors are (on a device
        // when the parameters are resident); each is written in the order of PyTorch's loop, so the bits are the
        // ones an elementwise loop gives.
        for ((p, g), buf) in params.iter_mut().zip(grads).zip(&mut self.buffers) {
            let mut d = g;
            if c.weight_decay != 0.0 {
                d.axpy(wd, p)?;
            }
            if c.momentum != 0.0 {
                if first {
                    *buf = d.clone();
                } else {
                    buf.axpby(F::one() - damp, &d, mu)?;
                }
                if c.nesterov {
                    d.axpy(mu, buf)?;
                } else {
                    d = buf.clone();
                }
            }
            p.axpy(neg_lr, &d)?;
        }
        self.step += 1;
        Ok(StepReport {
            step: self.step,
            loss,
            lr: c.lr,
            method1: None,
        })
    }

    fn state(&self) -> OptimizerState {
        let mut s = OptimizerState::new(KIND);
        s.set_scalar("step", self.step as f64);
        s.set_scalar("lr", self.config.lr);
        if self.config.momentum != 0.0 {
            s.set_buffers("momentum_buffer", self.layout.names(), &self.buffers);
        }
        s
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        let mut r = StateReader::new(KIND, state)?;
        let step = r.count("step")?;
        let lr = r.scalar("lr")?;
        check_lr("lr", lr)?;
        let buffers = if self.config.momentum != 0.0 {
            r.buffers("momentum_buffer", self.layout.names(), self.layout.shapes())?
        } else {
            self.layout.zeros()
        };
        r.finish()?;
        (self.step, self.config.lr, self.buffers) = (step, lr, buffers);
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
    use crate::test_support::{Quadratic1d, Recorded};

    fn run(config: SgdConfig, steps: usize) -> Vec<f64> {
        // L(θ) = ½·a·θ² − b·θ with a = 2, b = 1: g = 2θ − 1.
        let mut oracle = Quadratic1d { a: 2.0, b: 1.0 };
        let mut params = vec![Tensor::scalar(1.0)];
        let layout = ParamLayout::of(vec!["θ".into()], &params).unwrap();
        let mut sgd = Sgd::<f64>::new(layout, config).unwrap();
        (0..steps)
            .map(|_| {
                sgd.step(&mut params, &mut oracle).unwrap();
                params[0].data()[0]
            })
            .collect()
    }

    #[test]
    fn momentum_matches_pytorch_by_hand() {
        let c = SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.5,
            ..SgdConfig::default()
        };
        // θ0 = 1: d = (2·1 − 1) + 0.5·1 = 1.5, v = 1.5, θ1 = 1 − 0.15 = 0.85.
        // d = (1.7 − 1) + 0.425 = 1.125, v = 0.9·1.5 + 1.125 = 2.475, θ2 = 0.85 − 0.2475 = 0.6025.
        let got = run(c, 2);
        assert!(
            (got[0] - 0.85).abs() < 1e-15 && (got[1] - 0.6025).abs() < 1e-15,
            "{got:?}"
        );
    }

    #[test]
    fn nesterov_and_dampening_match_by_hand() {
        let nesterov = SgdConfig {
            lr: 0.1,
            momentum: 0.5,
            nesterov: true,
            ..SgdConfig::default()
        };
        // g = 1, v = 1, d = 1 + 0.5 = 1.5, θ1 = 0.85; g = 0.7, v = 0.5 + 0.7 = 1.2, d = 0.7 + 0.6 = 1.3,
        // θ2 = 0.85 − 0.13 = 0.72.
        let got = run(nesterov, 2);
        assert!(
            (got[0] - 0.85).abs() < 1e-15 && (got[1] - 0.72).abs() < 1e-15,
            "{got:?}"
        );
        let damped = SgdConfig {
            lr: 0.1,
            momentum: 0.5,
            dampening: 0.5,
            ..SgdConfig::default()
        };
        // The first step ignores dampening: v = 1, θ1 = 0.9; g = 0.8, v = 0.5 + 0.4 = 0.9, θ2 = 0.81.
        let got = run(damped, 2);
        assert!(
            (got[0] - 0.9).abs() < 1e-15 && (got[1] - 0.81).abs() < 1e-15,
            "{got:?}"
        );
        // Plain SGD.
        let got = run(
            SgdConfig {
                lr: 0.25,
                ..SgdConfig::default()
            },
            1,
        );
        assert!((got[0] - 0.75).abs() < 1e-15);
    }

    #[test]
    fn the_serialised_form_defaults_to_momentum_and_has_no_dampening() {
        let read = |text: &str| serde_json::from_str::<SgdConfig>(text);
        assert_eq!(read("{}").unwrap(), SgdConfig::with_momentum());
        assert_eq!(read(r#"{"lr": 0.5}"#).unwrap().momentum, 0.9);
        assert!(read(r#"{"dampening": 0.5}"#).is_err());
        let written = serde_json::to_string(&SgdConfig::with_momentum()).unwrap();
        assert_eq!(
            written,
            r#"{"lr":0.01,"momentum":0.9,"nesterov":false,"weight_decay":0.0}"#
        );
    }

    #[test]
    fn bad_configs_and_states_are_refused() {
        let layout = ParamLayout::new(vec!["θ".into()], vec![vec![]]).unwrap();
        for bad in [
            SgdConfig {
                lr: -1.0,
                ..SgdConfig::default()
            },
            SgdConfig {
                momentum: 1.5,
                ..SgdConfig::default()
            },
            SgdConfig {
                nesterov: true,
                ..SgdConfig::default()
            },
            SgdConfig {
                weight_decay: f64::NAN,
                ..SgdConfig::default()
            },
        ] {
            assert!(Sgd::<f64>::new(layout.clone(), bad).is_err(), "{bad:?}");
        }
        let mut sgd = Sgd::<f64>::new(layout, SgdConfig::default()).unwrap();
        assert!(sgd.set_lr(f64::INFINITY).is_err());
        let mut s = sgd.state();
        s.set_scalar("extra", 1.0);
        assert!(sgd.load_state(&s).is_err());
        // A gradient of the wrong shape is an error and leaves the parameters alone.
        let mut params = vec![Tensor::scalar(1.0)];
        let mut bad = Recorded::new(vec![Tensor::zeros(&[2])]);
        assert!(sgd.step(&mut params, &mut bad).is_err());
        assert_eq!(params[0].data(), &[1.0]);
    }
}
