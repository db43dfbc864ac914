//! The [`Op`] trait: what every operation of the engine knows about itself.
//!
//! Each op states four rules side by side — order-0 `forward`, Taylor-mode `jet`, the reverse rule `vjp` recorded
//! as ops on the graph (so it can be differentiated again: double backward), and `jet_vjp`, the reverse rule lifted
//! to jets. Most ops get the last two almost for free from their *kind* (linear, bilinear, elementwise), through
//! the helpers in [`crate::jet`].

use std::fmt::Debug;

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::Jet;
use crate::tensor::Tensor;

/// An operation of the engine: forward, jet, vjp and jet-vjp rules.
pub trait Op<F: Float>: Debug + Send + Sync {
    /// A short name for errors and debugging.
    fn name(&self) -> &'static str;

    /// True for ops bilinear in their two inputs (matmul, convolution, elementwise product): the jet interpreter then
    /// splits off `B(a(t), t·u)` for a parameter moving along `u`, reusing the cached product `B(a₀, u)`.
    fn is_bilinear(&self) -> bool {
        false
    }

    /// Order-0 evaluation; checks shapes and returns a clear error when they do not fit.
    fn forward(&self, inputs: &[&Tensor<F>]) -> Result<Tensor<F>>;

    /// Taylor-mode forward: the output jet given input jets of the same order and the known output value `y0`
    /// (coefficient 0 of the result is `y0`). Shapes were checked by `forward`.
    fn jet(&self, inputs: &[&Jet<F>], y0: &Tensor<F>) -> Result<Jet<F>>;

    /// Reverse rule as ops appended to `graph`: given the cotangent node `gy` of the output node `y`, returns one
    /// cotangent node per input (`None` where the input is not `wanted` or the cotangent is zero).
    fn vjp(
        &self,
        graph: &Graph<F>,
        inputs: &[NodeId],
        y: NodeId,
        gy: NodeId,
        wanted: &[bool],
    ) -> Result<Vec<Option<NodeId>>>;

    /// Reverse rule lifted to jets: coefficients `1..=K` of each wanted input's cotangent jet, given the input and
    /// output jets and the output's cotangent jet (whose coefficient 0 is the order-0 cotangent). Coefficient 0 of
    /// the results is left as the zero tag: the caller has it from the order-0 sweep.
    fn jet_vjp(
        &self,
        inputs: &[&Jet<F>],
        y: &Jet<F>,
        gy: &Jet<F>,
        wanted: &[bool],
    ) -> Result<Vec<Option<Jet<F>>>>;

    /// `[<(δx_i)_1, v>, …, <(δx_i)_K, v>]`: coefficients `1..=K` of input `i`'s cotangent jet contracted with a
    /// fixed tensor `v` (a parameter's direction `u_p`), which is all the summaries need of a parameter's cotangent.
    ///
    /// The default forms the cotangent jet with [`Op::jet_vjp`]. Bilinear ops override it to never form weight
    /// gradients: `<B_bᵀ(gy, a), v> = <gy, B(a, v)>`, with the products that do not depend on the group kept in
    /// `cache` across passes (see [`crate::jet::bilinear_contract`]).
    fn contract_input(
        &self,
        inputs: &[&Jet<F>],
        y: &Jet<F>,
        gy: &Jet<F>,
        input: usize,
        v: &Tensor<F>,
        cache: &mut ContractCache<F>,
    ) -> Result<Vec<f64>> {
        let _ = cache;
        let mut wanted = vec![false; inputs.len()];
        wanted[input] = true;
        let g = self.jet_vjp(inputs, y, gy, &wanted)?.swap_remove(input);
        (1..=gy.order())
            .map(|k| match g.as_ref().and_then(|g| g.get(k)) {
                Some(c) => c.dot_f64(v),
                None => Ok(0.0),
            })
            .collect()
    }
}

/// Tensors a bilinear op `y = B(a, b)` keeps between the group passes of one summaries computation (for one node
/// and its contracted input `b`, whose direction is `v`): the two products of order-0 values with `v`, which every
/// group would otherwise recompute.
#[derive(Clone, Debug)]
pub struct ContractCache<F: Float> {
    /// `P = B(a₀, v)`: the forward product of the other input's value with the direction (shared with the
    /// forward jet's split, see [`crate::jet::forward_jets_shared`]).
    pub p: Option<Tensor<F>>,
    /// `Q = B_aᵀ(gy₀, v)`: the adjoint product of the order-0 cotangent with the direction.
    pub q: Option<Tensor<F>>,
}

impl<F: Float> Default for ContractCache<F> {
    fn default() -> Self {
        Self { p: None, q: None }
    }
}
