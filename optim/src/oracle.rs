//! [`Oracle`]: what an optimiser asks of the model and the data, and helpers that answer it from an engine graph.

use jetnewton_engine::summaries::{jet_summaries, Direction, Groups, Summaries, SummaryOptions};
use jetnewton_engine::{Float, Graph, NodeId, Tensor};

use crate::error::{OptimError, Result};
use crate::kfac::KfacGradient;

/// The training loop's side of an optimiser: the loss, its gradient and the summaries at given parameters, each
/// on the next minibatch of its own sampler (algorithm 4's `D_g` and `D_newt`).
///
/// Parameters, gradients and directions are tensors in the optimiser's fixed order (its
/// [`crate::ParamLayout`]); groups are indices into that order.
pub trait Oracle<F: Float> {
    /// The mean loss and its gradient (one tensor per parameter, same shapes) at `params`, on the next `D_g`
    /// minibatch.
    fn loss_and_gradient(&mut self, params: &[Tensor<F>]) -> Result<(f64, Vec<Tensor<F>>)>;

    /// The summaries `gbar`, `hbar` and `d3` of the loss at `params` along `direction` for `groups`, on the next
    /// `D_newt` minibatch. An engine-based implementation builds the graph, registers the parameters and calls
    /// [`engine_summaries`].
    fn summaries(
        &mut self,
        params: &[Tensor<F>],
        direction: &[Tensor<F>],
        groups: &[Vec<usize>],
    ) -> Result<Summaries>;

    /// For K-FAC: the mean loss and its gradient at `params` on the next `D_g` minibatch, as
    /// [`Oracle::loss_and_gradient`] gives them, and, when `with_factors`, every K-FAC layer's Kronecker factors
    /// on that same minibatch ([`crate::KfacLayerStats`] fixes their scaling), with the output-gradient factor
    /// taken on labels sampled from the model's predictive distribution by a generator seeded with
    /// `sample_seed` (so that a run, and a restored one, samples the same labels).
    ///
    /// The default answers [`OptimError::Unsupported`]: only oracles that know their layers can.
    fn loss_gradient_and_kfac(
        &mut self,
        params: &[Tensor<F>],
        sample_seed: u64,
        with_factors: bool,
    ) -> Result<KfacGradient<F>> {
        let _ = (params, sample_seed, with_factors);
        Err(OptimError::Unsupported {
            request: "K-FAC layer statistics",
        })
    }

    /// The mean loss at `params` on the `D_newt` minibatch of the last [`Oracle::summaries`] call, drawing no new
    /// minibatch: the adaptive schedule of Method 1 ([`crate::method1::Schedule::Adaptive`]) compares it with the
    /// summaries' loss to measure the decrease a step actually brings.
    ///
    /// The default answers [`OptimError::Unsupported`]: only oracles that keep their last minibatch can.
    fn loss_on_last_summary_batch(&mut self, params: &[Tensor<F>]) -> Result<f64> {
        let _ = params;
        Err(OptimError::Unsupported {
            request: "the loss on the last summaries' minibatch",
        })
    }
}

/// The value of the scalar node `loss`, widened to `f64`.
pub fn engine_loss<F: Float>(graph: &Graph<F>, loss: NodeId) -> Result<f64> {
    graph.check_scalar(loss, "engine_loss")?;
    Ok(graph.node(loss)?.value.item()?.to_f64_lossless())
}

/// The loss and its gradient with respect to the parameter leaves `ids` (in the optimiser's order).
pub fn engine_gradient<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    ids: &[NodeId],
) -> Result<(f64, Vec<Tensor<F>>)> {
    let value = engine_loss(graph, loss)?;
    Ok((value, graph.grad(loss, ids)?))
}

/// The summaries of `loss` along `direction` (one tensor per leaf of `ids`) for `groups` (indices into `ids`), by
/// [`jet_summaries`].
pub fn engine_summaries<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    ids: &[NodeId],
    direction: &[Tensor<F>],
    groups: &[Vec<usize>],
) -> Result<Summaries> {
    if direction.len() != ids.len() {
        return Err(OptimError::TensorCount {
            what: "direction",
            expected: ids.len(),
            found: direction.len(),
        });
    }
    let mut node_groups = Vec::with_capacity(groups.len());
    for (s, group) in groups.iter().enumerate() {
        let nodes = group
            .iter()
            .map(|&p| {
                ids.get(p)
                    .copied()
                    .ok_or_else(|| OptimError::InvalidGroups {
                        reason: format!(
                            "group {s} holds index {p}, but there are {} parameters",
                            ids.len()
                        ),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        node_groups.push(nodes);
    }
    let groups = Groups::new(graph, node_groups)?;
    let mut dir = Direction::new();
    for (&id, u) in ids.iter().zip(direction) {
        dir.insert(id, u.clone());
    }
    Ok(jet_summaries(
        graph,
        loss,
        &groups,
        &dir,
        SummaryOptions::default(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `L = Σ (w ⊙ x)² · c` on a tiny graph: gradient and summaries by hand.
    #[test]
    fn engine_helpers_match_a_hand_computation() {
        let g = Graph::<f64>::new();
        let x = g.constant(Tensor::from_vec(vec![2], vec![1.0, 2.0]).unwrap());
        let a = g.param("a", Tensor::from_vec(vec![2], vec![0.5, -1.0]).unwrap());
        let b = g.param("b", Tensor::scalar(3.0));
        let bb = b.broadcast_to(&[2], 0, 0).unwrap();
        // L = Σ_i (a_i x_i b)² = b² Σ a_i² x_i²
        let y = a.mul(x).unwrap().mul(bb).unwrap();
        let loss = y.mul(y).unwrap().sum().unwrap();
        let ids = [a.id(), b.id()];
        let (l, grads) = engine_gradient(&g, loss.id(), &ids).unwrap();
        // Σ a² x² = 0.25 + 4 = 4.25, times b² = 9.
        assert!((l - 38.25).abs() < 1e-12);
        assert_eq!(grads[0].data(), &[2.0 * 9.0 * 0.5, 2.0 * 9.0 * -4.0]);
        assert!((grads[1].data()[0] - 2.0 * 3.0 * 4.25).abs() < 1e-12);
        let dir = vec![
            Tensor::from_vec(vec![2], vec![1.0, 0.0]).unwrap(),
            Tensor::scalar(1.0),
        ];
        let s = engine_summaries(&g, loss.id(), &ids, &dir, &[vec![0], vec![1]]).unwrap();
        // Along u_a = e_0: L = 9 (a_0)² + …, so gbar_0 = 9, hbar_00 = 18, d3_0 = 0.
        assert!((s.gbar[0] - 9.0).abs() < 1e-12 && (s.hbar[0][0] - 18.0).abs() < 1e-12);
        // ∂²L/∂a_0∂b = 4 b a_0 x_0² = 6; ∂²L/∂b² = 2 Σ a² x² = 8.5; ∂³L/∂b³ = 0.
        assert!((s.hbar[0][1] - 6.0).abs() < 1e-12 && (s.hbar[1][1] - 8.5).abs() < 1e-12);
        assert!(s.d3[1].abs() < 1e-12);
        let err = engine_summaries(&g, loss.id(), &ids, &dir, &[vec![0, 2]]).unwrap_err();
        assert!(matches!(err, OptimError::InvalidGroups { .. }), "{err}");
        assert!(engine_summaries(&g, loss.id(), &ids, &dir[..1], &[vec![0]]).is_err());
    }
}
