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
}
