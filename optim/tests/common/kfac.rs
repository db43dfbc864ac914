//! A tiny K-FAC oracle: one linear layer `0.weight [2, 3]`, `0.bias [2]` and a parameter no layer holds
//! (`scale`, a scalar), with seeded gradients and factors that depend on the call, the parameters and the
//! sampling seed, so that a trajectory is stochastic yet reproducible from a clone.

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::{Float, Tensor};
use jetnewton_optim::{
    KfacGradient, KfacLayerStats, OptimError, OptimResult as Result, Oracle, ParamLayout,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Rows of the tiny layer's minibatch.
const BATCH: usize = 5;

/// See the module documentation. `singular` makes the input factor `A` rank-deficient (the first input feature
/// is always zero), so its zero eigenvalue must be clipped and bridged by the damping.
#[derive(Clone, Debug, Default)]
pub struct LinearKfac {
    pub calls: u64,
    pub singular: bool,
    /// `(sample_seed, with_factors)` of every K-FAC call.
    pub log: Vec<(u64, bool)>,
}

impl LinearKfac {
    pub fn names() -> Vec<String> {
        ["0.weight", "0.bias", "scale"].map(String::from).to_vec()
    }

    pub fn init<F: Float>() -> (ParamLayout, Vec<Tensor<F>>) {
        let t = |shape: Vec<usize>, v: &[f64]| {
            Tensor::from_vec(shape, v.iter().map(|&x| F::of(x)).collect()).unwrap()
        };
        let p = vec![
            t(vec![2, 3], &[0.5, -1.0, 0.25, 1.5, 0.75, -0.5]),
            t(vec![2], &[0.1, -0.2]),
            t(vec![], &[2.0]),
        ];
        (ParamLayout::of(Self::names(), &p).unwrap(), p)
    }

    /// `MᵀM / rows` of a row-major `rows × n` matrix.
    fn gram(m: &[f64], rows: usize, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for r in 0..rows {
            for i in 0..n {
                for j in 0..n {
                    out[i * n + j] += m[r * n + i] * m[r * n + j] / rows as f64;
                }
            }
        }
        out
    }

    fn answer<F: Float>(
        &mut self,
        params: &[Tensor<F>],
        seed: u64,
        factors: bool,
    ) -> KfacGradient<F> {
        self.calls += 1;
        let c = self.calls as f64;
        let mut rng = ChaCha8Rng::seed_from_u64(self.calls);
        // ã = [x, 1], with the first feature zeroed in the singular variant.
        let mut x = Vec::with_capacity(BATCH * 4);
        for _ in 0..BATCH {
            let first: f64 = rng.random_range(-1.0..1.0);
            x.push(if self.singular { 0.0 } else { first });
            x.push(rng.random_range(-1.0..1.0));
            x.push(rng.random_range(-1.0..1.0));
            x.push(1.0);
        }
        let scale = params[2].data()[0].to_f64_lossless();
        let loss = params.iter().map(|t| 0.5 * t.norm_f64().powi(2)).sum();
        let gradient = params
            .iter()
            .map(|t| t.map(|v| v * F::of(1.5) + F::of(0.1 * (c * 1.7).sin())))
            .collect();
        let layers = factors.then(|| {
            // G depends on the sampled labels (the seed) and on the parameters, as a real model's does.
            let mut srng = ChaCha8Rng::seed_from_u64(seed);
            let y: Vec<f64> = (0..BATCH * 2)
                .map(|_| srng.random_range(-1.0..1.0) * (1.0 + 0.1 * scale.abs()))
                .collect();
            vec![KfacLayerStats {
                weight: 0,
                bias: Some(1),
                a: Tensor::from_vec(vec![4, 4], Self::gram(&x, BATCH, 4)).unwrap(),
                g: Tensor::from_vec(vec![2, 2], Self::gram(&y, BATCH, 2)).unwrap(),
            }]
        });
        KfacGradient {
            loss,
            gradient,
            layers,
        }
    }
}

impl<F: Float> Oracle<F> for LinearKfac {
    fn loss_and_gradient(&mut self, params: &[Tensor<F>]) -> Result<(f64, Vec<Tensor<F>>)> {
        let a = self.answer(params, 0, false);
        Ok((a.loss, a.gradient))
    }

    fn summaries(
        &mut self,
        _: &[Tensor<F>],
        _: &[Tensor<F>],
        _: &[Vec<usize>],
    ) -> Result<Summaries> {
        Err(OptimError::Unsupported {
            request: "summaries",
        })
    }

    fn loss_gradient_and_kfac(
        &mut self,
        params: &[Tensor<F>],
        sample_seed: u64,
        with_factors: bool,
    ) -> Result<KfacGradient<F>> {
        self.log.push((sample_seed, with_factors));
        Ok(self.answer(params, sample_seed, with_factors))
    }
}
