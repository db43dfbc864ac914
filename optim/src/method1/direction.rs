//! Algorithm 1's direction `u_t`, which the paper leaves free: the momentum of the gradients (algorithm 4's
//! choice, the default), the gradient itself, or Adam's update at unit learning rate (the reference code's
//! "updater").

use jetnewton_engine::{Float, Tensor};
use serde::{Deserialize, Serialize};

use super::step::momentum_tensors;
use crate::adam::MomentRule;
use crate::error::Result;
use crate::AdamConfig;

/// How [`crate::Method1`] forms its direction `ũ` from the gradients. Serialised in lower case (`"momentum"`,
/// `"gradient"`, `"adam"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectionRule {
    /// `ũ_t = μ_g ũ_{t−1} + (1 − μ_g) g_t` (algorithm 4; the default).
    #[default]
    Momentum,
    /// `ũ_t = g_t`.
    Gradient,
    /// Adam's update at unit learning rate with PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8), computed by the
    /// same moment rule as [`crate::Adam`]: `ũ_t = m̂_t / (√v̂_t + ε)`.
    Adam,
}

impl DirectionRule {
    /// True for the default, [`DirectionRule::Momentum`] (for leaving it out of a serialised form).
    pub fn is_momentum(&self) -> bool {
        *self == Self::Momentum
    }
}

/// Adam's first and second moments, one tensor per parameter (the [`DirectionRule::Adam`] state).
#[derive(Clone, Debug)]
pub struct AdamMoments<F: Float> {
    /// `m`, the running mean of the gradients.
    pub m: Vec<Tensor<F>>,
    /// `v`, the running mean of their squares.
    pub v: Vec<Tensor<F>>,
}

/// The next direction, and Adam's moments when the rule keeps them.
type NextDirection<F> = (Vec<Tensor<F>>, Option<AdamMoments<F>>);

/// The direction of step `t` (from 1) and the moments after it, from the gradients `g`, the previous direction
/// and, for Adam, the previous moments (`None` at `t = 1`).
pub(crate) fn next_direction<F: Float>(
    rule: DirectionRule,
    grad_momentum: f64,
    t: u64,
    g: Vec<Tensor<F>>,
    prev: Option<&[Tensor<F>]>,
    moments: Option<&AdamMoments<F>>,
) -> Result<NextDirection<F>> {
    Ok(match rule {
        DirectionRule::Momentum => (momentum_tensors(grad_momentum, g, prev)?, None),
        DirectionRule::Gradient => (g, None),
        DirectionRule::Adam => adam(t, g, moments),
    })
}

/// Adam's update at unit learning rate, `m / ((1 − β₁ᵗ)·(√v / √(1 − β₂ᵗ) + ε))`, by [`Adam`](crate::Adam)'s own
/// moment rule with PyTorch's default β and ε.
fn adam<F: Float>(
    t: u64,
    g: Vec<Tensor<F>>,
    moments: Option<&AdamMoments<F>>,
) -> (Vec<Tensor<F>>, Option<AdamMoments<F>>) {
    let zeros = || {
        g.iter()
            .map(|x| Tensor::zeros(x.shape()))
            .collect::<Vec<_>>()
    };
    let (mut m, mut v) = match moments {
        Some(s) => (s.m.clone(), s.v.clone()),
        None => (zeros(), zeros()),
    };
    let defaults = AdamConfig::default();
    let rule = MomentRule::new(&defaults, t);
    let step = F::of(1.0 / rule.bc1);
    let mut u = Vec::with_capacity(g.len());
    for ((g, m), v) in g.iter().zip(&mut m).zip(&mut v) {
        let mut out = g.clone();
        let (ms, vs) = (m.data_mut(), v.data_mut());
        for ((o, mi), vi) in out.data_mut().iter_mut().zip(ms).zip(vs) {
            let denom = rule.advance(mi, vi, *o);
            *o = step * *mi / denom;
        }
        u.push(out);
    }
    (u, Some(AdamMoments { m, v }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PyTorch's default ε.
    const EPS: f64 = 1e-8;

    #[test]
    fn adam_direction_is_pytorchs_update_at_unit_rate() {
        let g = |x: f64| vec![Tensor::<f64>::from_vec(vec![1], vec![x]).unwrap()];
        let (u1, s1) = next_direction(DirectionRule::Adam, 0.9, 1, g(2.0), None, None).unwrap();
        // Step 1: m̂ = g, v̂ = g², so u = g / (|g| + ε) ≈ sign(g).
        assert!((u1[0].data()[0] - 2.0 / (2.0 + EPS)).abs() < 1e-15);
        let (u2, _) =
            next_direction(DirectionRule::Adam, 0.9, 2, g(-1.0), Some(&u1), s1.as_ref()).unwrap();
        let (g1, g2) = (2.0, -1.0);
        let m = 0.9 * 0.1 * g1 + 0.1 * g2;
        let v = 0.999 * 0.001 * 4.0 + 0.001 * 1.0;
        let want = (m / (1.0 - 0.81)) / ((v / (1.0 - 0.999f64.powi(2))).sqrt() + EPS);
        assert!(
            (u2[0].data()[0] - want).abs() < 1e-14,
            "{} vs {want}",
            u2[0].data()[0]
        );
        let (u, s) =
            next_direction(DirectionRule::Gradient, 0.9, 2, g(3.0), Some(&u1), None).unwrap();
        assert_eq!((u[0].data()[0], s.is_none()), (3.0, true));
    }
}
