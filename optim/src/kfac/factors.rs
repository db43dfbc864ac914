//! The running Kronecker factors of one layer and their eigendecompositions, all in `f64`.

use faer::{Mat, Side};

use super::stats::{KfacLayerStats, LayerShape};
use crate::error::{OptimError, Result};

/// Eigenvalues at or below this are set to zero before preconditioning, as KFAC-Pytorch does: they are rounding
/// noise of a positive semi-definite factor, and a tiny or negative value would otherwise be trusted.
pub(super) const EIGEN_EPS: f64 = 1e-10;

/// `M = Q diag(values) Qᵀ` of a symmetric `n × n` matrix, with eigenvalues at or below [`EIGEN_EPS`] zeroed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Eigen {
    /// The eigenvalues (ascending, as faer returns them).
    pub values: Vec<f64>,
    /// `Q` row-major: `vectors[i·n + j]` is component `i` of eigenvector `j`.
    pub vectors: Vec<f64>,
}

impl Eigen {
    /// The decomposition of the row-major symmetric `m` (its lower triangle is read); `None` when faer does not
    /// converge or returns a non-finite value.
    pub fn of(m: &[f64], n: usize) -> Option<Self> {
        let mat = Mat::<f64>::from_fn(n, n, |i, j| m[i * n + j]);
        let evd = mat.self_adjoint_eigen(Side::Lower).ok()?;
        let (s, u) = (evd.S().column_vector(), evd.U());
        let values: Vec<f64> = (0..n)
            .map(|i| if s[i] > EIGEN_EPS { s[i] } else { 0.0 })
            .collect();
        let vectors: Vec<f64> = (0..n)
            .flat_map(|i| (0..n).map(move |j| u[(i, j)]))
            .collect();
        let finite = values.iter().chain(&vectors).all(|v| v.is_finite());
        finite.then_some(Self { values, vectors })
    }
}

/// One layer's running factors `A` and `G` (row-major) and the decompositions the preconditioner uses, which
/// date from the last step that was a multiple of `T_inv`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LayerFactors {
    /// Where the layer's parameters are and its sizes.
    pub shape: LayerShape,
    /// The running average of `A`, `d_a × d_a`.
    pub a: Vec<f64>,
    /// The running average of `G`, `out × out`.
    pub g: Vec<f64>,
    /// The decompositions of `A` and `G`; `None` until the first one.
    pub eigen: Option<(Eigen, Eigen)>,
}

/// `decay·old + (1 − decay)·new`, elementwise.
fn running(decay: f64, old: &mut [f64], new: &[f64]) {
    for (o, &n) in old.iter_mut().zip(new) {
        *o = decay * *o + (1.0 - decay) * n;
    }
}

/// The `n × n` identity, row-major.
fn identity(n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    m.iter_mut().step_by(n + 1).for_each(|v| *v = 1.0);
    m
}

impl LayerFactors {
    /// A layer's first factors: KFAC-Pytorch starts each running average at the identity and folds the first
    /// minibatch in, `decay·I + (1 − decay)·A`.
    pub fn first(shape: LayerShape, stats: &KfacLayerStats, decay: f64) -> Self {
        let (mut a, mut g) = (identity(shape.d_a()), identity(shape.out));
        running(decay, &mut a, stats.a.data());
        running(decay, &mut g, stats.g.data());
        Self {
            shape,
            a,
            g,
            eigen: None,
        }
    }

    /// Folds one minibatch's factors into the running averages (the decompositions stay as they were).
    pub fn update(&mut self, stats: &KfacLayerStats, decay: f64) {
        running(decay, &mut self.a, stats.a.data());
        running(decay, &mut self.g, stats.g.data());
    }

    /// Eigendecomposes the current running factors; `name` (the weight's) labels the error.
    pub fn decompose(&mut self, name: &str) -> Result<()> {
        let fail = |factor: &'static str| OptimError::Eigen {
            layer: name.to_string(),
            factor,
        };
        let ea = Eigen::of(&self.a, self.shape.d_a()).ok_or_else(|| fail("A"))?;
        let eg = Eigen::of(&self.g, self.shape.out).ok_or_else(|| fail("G"))?;
        self.eigen = Some((ea, eg));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jetnewton_engine::Tensor;

    #[test]
    fn eigen_reconstructs_and_clips_tiny_eigenvalues() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3; [[1, 1], [1, 1]] has 0 and 2 (0 may come out as ±1e-16).
        let e = Eigen::of(&[2.0, 1.0, 1.0, 2.0], 2).unwrap();
        let back = |e: &Eigen, i: usize, j: usize| -> f64 {
            (0..2)
                .map(|k| e.vectors[i * 2 + k] * e.values[k] * e.vectors[j * 2 + k])
                .sum()
        };
        // Tolerance: a 2×2 decomposition and its product, a few ulp of values of order 1.
        assert!((e.values[0] - 1.0).abs() < 1e-14 && (e.values[1] - 3.0).abs() < 1e-14);
        assert!((back(&e, 0, 1) - 1.0).abs() < 1e-14 && (back(&e, 1, 1) - 2.0).abs() < 1e-14);
        let s = Eigen::of(&[1.0, 1.0, 1.0, 1.0], 2).unwrap();
        assert_eq!(s.values[0], 0.0);
        assert!((s.values[1] - 2.0).abs() < 1e-14);
        assert!(Eigen::of(&[f64::NAN, 0.0, 0.0, 1.0], 2).is_none());
    }

    #[test]
    fn running_averages_start_at_the_identity() {
        let shape = LayerShape {
            weight: 0,
            bias: None,
            out: 1,
            input: 2,
        };
        let stats = KfacLayerStats {
            weight: 0,
            bias: None,
            a: Tensor::from_vec(vec![2, 2], vec![4.0, 2.0, 2.0, 6.0]).unwrap(),
            g: Tensor::from_vec(vec![1, 1], vec![8.0]).unwrap(),
        };
        let mut f = LayerFactors::first(shape, &stats, 0.75);
        assert_eq!(f.a, [0.75 + 1.0, 0.5, 0.5, 0.75 + 1.5]);
        assert_eq!(f.g, [0.75 + 2.0]);
        f.update(&stats, 0.5);
        assert_eq!(
            f.a,
            [0.5 * 1.75 + 2.0, 0.25 + 1.0, 0.25 + 1.0, 0.5 * 2.25 + 3.0]
        );
        f.decompose("w").unwrap();
        assert!(f.eigen.is_some());
    }
}
