//! Initialisation as in the paper's code: weights `N(0, 1)·σ_w/√fan_in`, biases zero, from a seeded ChaCha8
//! stream, so a seed gives the same parameters on every machine and in both precisions.

use jetnewton_engine::{Float, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::models::Model;
use crate::params::{ParamKind, Params};

impl Model {
    /// Parameters drawn with the model's own gain ([`Model::init_gain`]: 1 for tanh/sigmoid nets, √2 for
    /// ELU/ReLU nets).
    ///
    /// ```
    /// let m = jetnewton_nets::Model::from_spec("mlp:4-3-2:tanh").unwrap();
    /// let a = m.init_params::<f64>(7);
    /// assert_eq!(a, m.init_params::<f64>(7));
    /// assert_eq!(a.get("0.bias").unwrap().data(), &[0.0; 3]);
    /// ```
    pub fn init_params<F: Float>(&self, seed: u64) -> Params<F> {
        self.init_params_with_gain(seed, self.init_gain())
    }

    /// Parameters with weights `N(0, 1)·gain/√fan_in` (`fan_in = in·kh·kw` for a convolution) and zero biases.
    ///
    /// One ChaCha8 stream seeded by `seed` draws the weights in [`Model::param_specs`] order, row-major, in `f64`
    /// (then rounded to `F`), so `f32` parameters are the `f64` ones rounded.
    pub fn init_params_with_gain<F: Float>(&self, seed: u64, gain: f64) -> Params<F> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let fan_ins: Vec<usize> = self.layers().iter().filter_map(|l| l.fan_in()).collect();
        let entries = self
            .param_specs()
            .into_iter()
            .map(|spec| {
                let tensor = match spec.kind {
                    ParamKind::Bias => Tensor::zeros(&spec.shape),
                    ParamKind::Weight => {
                        let scale = gain / (fan_ins[spec.layer] as f64).sqrt();
                        let data = (0..spec.numel())
                            .map(|_| F::of(rng.sample::<f64, _>(StandardNormal) * scale))
                            .collect();
                        Tensor::from_vec(spec.shape.clone(), data)
                            .expect("data length matches the shape")
                    }
                };
                (spec.name, tensor)
            })
            .collect();
        Params::new(entries).expect("model parameter names are distinct")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and variance of a tensor's elements.
    fn moments(t: &Tensor<f64>) -> (f64, f64) {
        let n = t.numel() as f64;
        let mean = t.sum_f64() / n;
        let var = t.data().iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn weights_have_the_paper_scale() {
        let m = Model::from_spec("mlp:400-300-10:tanh").unwrap();
        let p = m.init_params::<f64>(1);
        let (mean, var) = moments(p.get("0.weight").unwrap());
        // 120 000 draws: the sample variance of N(0, 1/400) is within a few percent.
        assert!(mean.abs() < 1e-3, "{mean}");
        assert!((var * 400.0 - 1.0).abs() < 0.03, "{var}");
        assert!(p.get("1.bias").unwrap().data().iter().all(|&b| b == 0.0));

        let elu = Model::from_spec("lenet5:3x32x32:elu").unwrap();
        let p = elu.init_params::<f64>(1);
        let (_, var) = moments(p.get("2.weight").unwrap());
        // linear 400→120 with σ_w = √2: variance 2/400.
        assert!((var * 200.0 - 1.0).abs() < 0.05, "{var}");
        let (_, var) = moments(p.get("1.weight").unwrap());
        // conv 6→16, 5×5: fan-in 150.
        assert!((var * 75.0 - 1.0).abs() < 0.1, "{var}");
    }

    /// The first two weights of `mlp:20-10-5:relu` with seed 3.
    const PINNED: [f64; 2] = [0.13874688960251305, -0.35683835693073035];

    #[test]
    fn seeded_reproducible_and_precision_independent() {
        let m = Model::from_spec("mlp:20-10-5:relu").unwrap();
        let a = m.init_params::<f64>(3);
        assert_eq!(a, m.init_params::<f64>(3));
        assert_ne!(a, m.init_params::<f64>(4));
        assert_eq!(m.init_params::<f32>(3), a.cast::<f32>());
        // Pinned: the stream must not change between versions (saved runs are re-created from their seed).
        let w = a.get("0.weight").unwrap().data();
        assert_eq!([w[0], w[1]], PINNED);
    }
}
