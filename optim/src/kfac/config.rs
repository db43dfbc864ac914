//! [`KfacConfig`]: K-FAC's hyper-parameters, named and defaulted as in KFAC-Pytorch's `KFACOptimizer`.

use serde::{Deserialize, Serialize};

use crate::error::{OptimError, Result};
use crate::optimizer::{check_lr, check_unit};

/// Hyper-parameters of [`crate::Kfac`]. Names follow KFAC-Pytorch (`TCov`, `TInv` become `t_cov`, `t_inv`); so do
/// the defaults, except the learning rate (see [`KfacConfig::lr`]). Every field may be left out of the serialised
/// form (a config file's `[kfac]` table), and unknown ones are refused.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KfacConfig {
    /// Learning rate (0.01).
    ///
    /// KFAC-Pytorch's class default is 0.001, but the learning rates it searched and reports for K-FAC are
    /// 3e-2, 1e-2 and 3e-3, and its README's run uses 1e-2: we take that. (On MNIST with the paper's MLP, 0.001
    /// also works, just slower: see `tests/mnist_training.rs`.)
    pub lr: f64,
    /// Momentum `μ` of the SGD step on the preconditioned gradient (0.9).
    pub momentum: f64,
    /// Decay of the running averages of the factors `A` and `G` (0.95).
    pub stat_decay: f64,
    /// Tikhonov damping `λ` added to every product of factor eigenvalues (1e-3); must be positive.
    pub damping: f64,
    /// Bound on the step's squared length in the Fisher metric, `κ` (1e-3): the preconditioned gradient is
    /// scaled by `ν = min(1, √(κ / (lr²·Σ V·∇)))`. Must be positive.
    pub kl_clip: f64,
    /// L2 penalty added to the update direction (0).
    pub weight_decay: f64,
    /// `T_cov`: the running factors are updated at steps 0, `T_cov`, `2·T_cov`, … (10).
    pub t_cov: usize,
    /// `T_inv`: the factors are eigendecomposed at steps 0, `T_inv`, `2·T_inv`, … (100).
    pub t_inv: usize,
    /// Seed of the labels sampled from the model's predictive distribution for the Fisher factor `G`; step `t`
    /// samples with a seed derived from `(seed, t)` alone, so a restored run samples the same labels (0). Not in
    /// the serialised form: a training run's own seed is the one seed of everything random in it, so a config
    /// file has no second one here (a deserialised config has 0 until its user sets it).
    #[serde(skip)]
    pub seed: u64,
}

impl Default for KfacConfig {
    fn default() -> Self {
        Self {
            lr: 0.01,
            momentum: 0.9,
            stat_decay: 0.95,
            damping: 1e-3,
            kl_clip: 1e-3,
            weight_decay: 0.0,
            t_cov: 10,
            t_inv: 100,
            seed: 0,
        }
    }
}

impl KfacConfig {
    /// Checks every field's domain.
    pub fn validate(&self) -> Result<()> {
        check_lr("lr", self.lr)?;
        check_unit("momentum", self.momentum, false)?;
        check_unit("stat_decay", self.stat_decay, false)?;
        for (field, v) in [("damping", self.damping), ("kl_clip", self.kl_clip)] {
            // Zero damping divides by a zero eigenvalue product; a zero KL bound forbids every step.
            if !(v.is_finite() && v > 0.0) {
                return Err(OptimError::config(field, v, "must be finite and positive"));
            }
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(OptimError::config(
                "weight_decay",
                self.weight_decay,
                "must be finite and non-negative",
            ));
        }
        for (field, v) in [("t_cov", self.t_cov), ("t_inv", self.t_inv)] {
            if v == 0 {
                return Err(OptimError::config(field, v, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// The seed of the labels sampled at step `step` (from 0): SplitMix64 of the configured seed, mixed with the
    /// step, so consecutive steps and neighbouring seeds get unrelated streams.
    pub fn sample_seed(&self, step: u64) -> u64 {
        splitmix64(splitmix64(self.seed) ^ step)
    }
}

/// SplitMix64's output function: a bijective mix of 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_kfac_pytorchs_and_bad_values_are_typed_errors() {
        let d = KfacConfig::default();
        assert_eq!(
            (
                d.momentum,
                d.stat_decay,
                d.damping,
                d.kl_clip,
                d.weight_decay
            ),
            (0.9, 0.95, 1e-3, 1e-3, 0.0)
        );
        assert_eq!((d.t_cov, d.t_inv), (10, 100));
        d.validate().unwrap();
        let cases: [(KfacConfig, &str); 10] = [
            (KfacConfig { lr: -0.1, ..d }, "lr"),
            (KfacConfig { lr: f64::NAN, ..d }, "lr"),
            (KfacConfig { momentum: 1.0, ..d }, "momentum"),
            (
                KfacConfig {
                    stat_decay: -0.5,
                    ..d
                },
                "stat_decay",
            ),
            (KfacConfig { damping: 0.0, ..d }, "damping"),
            (
                KfacConfig {
                    kl_clip: f64::INFINITY,
                    ..d
                },
                "kl_clip",
            ),
            (KfacConfig { kl_clip: -1.0, ..d }, "kl_clip"),
            (
                KfacConfig {
                    weight_decay: -1e-4,
                    ..d
                },
                "weight_decay",
            ),
            (KfacConfig { t_cov: 0, ..d }, "t_cov"),
            (KfacConfig { t_inv: 0, ..d }, "t_inv"),
        ];
        for (bad, field) in cases {
            match bad.validate() {
                Err(OptimError::InvalidConfig { field: f, .. }) => assert_eq!(f, field, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_serialised_form_has_no_seed() {
        let c = KfacConfig {
            seed: 9,
            ..KfacConfig::default()
        };
        let written = serde_json::to_string(&c).unwrap();
        assert!(!written.contains("seed"), "{written}");
        let read: KfacConfig = serde_json::from_str(&written).unwrap();
        assert_eq!(read, KfacConfig::default());
        assert!(serde_json::from_str::<KfacConfig>(r#"{"seed": 1}"#).is_err());
    }

    #[test]
    fn sample_seeds_differ_between_steps_and_seeds() {
        let a = KfacConfig::default();
        let b = KfacConfig { seed: 1, ..a };
        assert_ne!(a.sample_seed(0), a.sample_seed(1));
        assert_ne!(a.sample_seed(1), b.sample_seed(0));
        assert_eq!(a.sample_seed(7), KfacConfig::default().sample_seed(7));
    }
}
