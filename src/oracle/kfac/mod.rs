//! K-FAC's statistics of a [`ModelOracle`] minibatch: labels sampled from the model's predictive distribution,
//! and each linear or convolutional layer's Kronecker factors, scaled as KFAC-Pytorch scales them
//! ([`KfacLayerStats`] states the formulas). All factor arithmetic is in `f64`.

mod factors;
mod sample;
#[cfg(test)]
mod tests;

use jetnewton_engine::{Float, Graph, Tensor};
use jetnewton_nets::data::Batch;
use jetnewton_optim::{engine_gradient, KfacGradient, KfacLayerStats, OptimError};

use super::ModelOracle;
use factors::{input_factor, output_factor};
use sample::sample_labels;

impl ModelOracle<'_> {
    /// The loss and gradient of `batch` with its true labels, and, when `with_factors`, every layer's factors
    /// with `G` taken on labels sampled with `seed` — all from one forward pass on `graph`.
    pub(super) fn kfac_answer<F: Float>(
        &self,
        graph: &Graph<F>,
        params: &[Tensor<F>],
        batch: &Batch,
        seed: u64,
        with_factors: bool,
    ) -> Result<KfacGradient<F>, OptimError> {
        let fwd = self.forward(graph, params, batch)?;
        let leaves = self.leaves(&fwd)?;
        let loss = fwd.logits.cross_entropy(batch.labels())?;
        let (loss, gradient) = engine_gradient(graph, loss.id(), &leaves)?;
        if !with_factors {
            return Ok(KfacGradient {
                loss,
                gradient,
                layers: None,
            });
        }
        let sampled = sample_labels(&fwd.logits.value(), seed);
        let sampled_loss = fwd.logits.cross_entropy(&sampled)?;
        // The cotangents of every node on the way from the parameters to the sampled loss, the layers' outputs
        // among them; the parameter gradients of this loss are never formed.
        let cot = graph.backward_intermediates(sampled_loss.id(), &leaves)?;
        let layers = fwd
            .layers
            .iter()
            .map(|l| {
                let index = |name: &str| self.names().iter().position(|n| n == name);
                let (Some(weight), Some(bias)) = (index(&l.weight), index(&l.bias)) else {
                    return Err(OptimError::InvalidLayout {
                        reason: format!("layer `{}` is not in the layout", l.weight),
                    });
                };
                let gy = match cot.get(l.output.id()).copied().flatten() {
                    Some(id) => graph.value(id),
                    None => Tensor::zeros(&l.output.shape()),
                };
                Ok(KfacLayerStats {
                    weight,
                    bias: Some(bias),
                    a: input_factor(l)?,
                    g: output_factor(&gy)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KfacGradient {
            loss,
            gradient,
            layers: Some(layers),
        })
    }
}
