//! Tiny oracles for the unit tests.

use jetnewton_engine::summaries::Summaries;
use jetnewton_engine::Tensor;

use crate::error::{OptimError, Result};
use crate::oracle::Oracle;

/// `L(θ) = Σ_i ½·a·θ_i² − b·θ_i` over every element of every tensor, with exact summaries (`d3 = 0`).
pub struct Quadratic1d {
    /// Curvature.
    pub a: f64,
    /// Linear term.
    pub b: f64,
}

impl Oracle<f64> for Quadratic1d {
    fn loss_and_gradient(&mut self, params: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        let (a, b) = (self.a, self.b);
        let loss = params
            .iter()
            .flat_map(|t| t.data())
            .map(|&x| 0.5 * a * x * x - b * x)
            .sum();
        Ok((loss, params.iter().map(|t| t.map(|x| a * x - b)).collect()))
    }

    fn summaries(
        &mut self,
        params: &[Tensor<f64>],
        direction: &[Tensor<f64>],
        groups: &[Vec<usize>],
    ) -> Result<Summaries> {
        let (loss, grads) = self.loss_and_gradient(params)?;
        let dot = |x: &[usize], f: &dyn Fn(usize) -> f64| x.iter().map(|&p| f(p)).sum::<f64>();
        let s = groups.len();
        let mut hbar = vec![vec![0.0; s]; s];
        for (i, g) in groups.iter().enumerate() {
            hbar[i][i] = self.a * dot(g, &|p| direction[p].norm_f64().powi(2));
        }
        Ok(Summaries {
            loss,
            gbar: groups
                .iter()
                .map(|g| dot(g, &|p| grads[p].dot_f64(&direction[p]).unwrap_or(f64::NAN)))
                .collect(),
            hbar,
            d3: vec![0.0; s],
            d3_slices: None,
        })
    }
}

/// Returns the same gradient (and loss 0) whatever the parameters; has no summaries.
pub struct Recorded {
    grads: Vec<Tensor<f64>>,
}

impl Recorded {
    /// An oracle answering `grads`.
    pub fn new(grads: Vec<Tensor<f64>>) -> Self {
        Self { grads }
    }
}

impl Oracle<f64> for Recorded {
    fn loss_and_gradient(&mut self, _: &[Tensor<f64>]) -> Result<(f64, Vec<Tensor<f64>>)> {
        Ok((0.0, self.grads.clone()))
    }

    fn summaries(
        &mut self,
        _: &[Tensor<f64>],
        _: &[Tensor<f64>],
        _: &[Vec<usize>],
    ) -> Result<Summaries> {
        Err(OptimError::InvalidConfig {
            field: "oracle",
            value: "Recorded".into(),
            reason: "has no summaries".into(),
        })
    }
}
