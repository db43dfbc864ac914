//! The summaries of a multilayer perceptron computed entirely on a [`Backend`](crate::Backend): weights, activations, jets and
//! contractions stay in device memory, and one group's pass reads back three numbers per parameter tensor.
//!
//! The network is `z_i = a_{i-1} W_iᵀ + b_i`, `a_i = f(z_i)` for the hidden layers, and the mean cross-entropy
//! of `log_softmax(z_L)`: the paper's MLP and BigMLP. The algorithm is the CPU engine's
//! (`jetnewton_engine::summaries::jet_summaries`): one order-0 pass shared by every group, then per group `s` a
//! forward jet of order 2 along `θ + t·u_s` from the group's lowest layer up, the reverse rule lifted to jets
//! back down to that layer, and the contractions `<(∇L)_k, u_p>` of the parameter cotangent jet with the
//! direction, which give the row `hbar[s][·]` (k = 1), `d3[s]` (k = 2) and, from the loss jet, `gbar[s]`.
//! The entries of `hbar` a pass does not reach come from the other group's pass, by symmetry.
//!
//! `mod.rs` holds the problem and its checks; `pass.rs` the device buffers and the passes.

mod pass;

pub use pass::MlpJets;

use crate::error::KernelError;
use crate::ops::elementwise::Activation;
use crate::ops::invalid;

/// One parameter tensor of the MLP: layer `i`'s weight or bias (layers counted from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MlpParam {
    /// `W_i`, stored `[out, in]` as PyTorch's `Linear` does.
    Weight(usize),
    /// `b_i`, `[out]`.
    Bias(usize),
}

/// A dense layer: its weight `[out, in]` row-major, an optional bias `[out]`, and the directions of both.
#[derive(Debug, Clone, Copy)]
pub struct DenseLayer<'a, T> {
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// `W`, `out·in` values.
    pub weight: &'a [T],
    /// `b`, `out` values, if the layer has one.
    pub bias: Option<&'a [T]>,
    /// The direction `u` of `W` (`out·in` values); `None` when `W` is in no group.
    pub weight_dir: Option<&'a [T]>,
    /// The direction of `b`; `None` when there is no bias or it is in no group.
    pub bias_dir: Option<&'a [T]>,
}

/// An MLP, a batch and a partition: everything [`MlpJets::new`] uploads.
#[derive(Debug, Clone)]
pub struct MlpProblem<'a, T> {
    /// The layers, input first; the last one gives the logits.
    pub layers: Vec<DenseLayer<'a, T>>,
    /// The activation after every layer but the last.
    pub activation: Activation,
    /// The batch, `rows × layers[0].in_features` row-major.
    pub x: &'a [T],
    /// The class of each row, in `0..layers.last().out_features`.
    pub labels: &'a [i64],
    /// The groups `1..S` of the partition, each a set of parameter tensors.
    pub groups: Vec<Vec<MlpParam>>,
}

impl<T> MlpProblem<'_, T> {
    /// Rows of the batch.
    pub fn rows(&self) -> usize {
        self.layers
            .first()
            .map_or(0, |l| self.x.len() / l.in_features.max(1))
    }

    /// Checks every shape and the partition, with an error naming the layer or group at fault.
    pub(crate) fn check(&self) -> Result<(), KernelError> {
        const OP: &str = "mlp summaries";
        let Some(first) = self.layers.first() else {
            return Err(invalid(OP, "the MLP has no layer".into()));
        };
        let rows = self.rows();
        if rows == 0 || self.x.len() != rows * first.in_features {
            return Err(invalid(
                OP,
                format!(
                    "the batch holds {} values, not a positive multiple of the {} input features",
                    self.x.len(),
                    first.in_features
                ),
            ));
        }
        if self.labels.len() != rows {
            return Err(invalid(
                OP,
                format!("{} labels for {rows} rows", self.labels.len()),
            ));
        }
        for (i, l) in self.layers.iter().enumerate() {
            if i > 0 && l.in_features != self.layers[i - 1].out_features {
                return Err(invalid(
                    OP,
                    format!(
                        "layer {i} takes {} features but layer {} gives {}",
                        l.in_features,
                        i - 1,
                        self.layers[i - 1].out_features
                    ),
                ));
            }
            let len = l.in_features * l.out_features;
            let sized = |what: &str, got: Option<usize>, want: usize| match got {
                Some(n) if n != want => Err(invalid(
                    OP,
                    format!("layer {i}: {what} holds {n} values, expected {want}"),
                )),
                _ => Ok(()),
            };
            sized("the weight", Some(l.weight.len()), len)?;
            sized("the weight's direction", l.weight_dir.map(<[T]>::len), len)?;
            sized("the bias", l.bias.map(<[T]>::len), l.out_features)?;
            sized(
                "the bias's direction",
                l.bias_dir.map(<[T]>::len),
                l.out_features,
            )?;
            if l.bias.is_none() && l.bias_dir.is_some() {
                return Err(invalid(
                    OP,
                    format!("layer {i}: a direction for a bias it does not have"),
                ));
            }
        }
        let classes = self.layers[self.layers.len() - 1].out_features as i64;
        if let Some((r, &c)) = self
            .labels
            .iter()
            .enumerate()
            .find(|(_, &c)| !(0..classes).contains(&c))
        {
            return Err(invalid(
                OP,
                format!("label {c} of row {r} is outside 0..{classes}"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (s, group) in self.groups.iter().enumerate() {
            if group.is_empty() {
                return Err(invalid(OP, format!("group {s} is empty")));
            }
            for &p in group {
                if !seen.insert(p) {
                    return Err(invalid(OP, format!("{p:?} is in two groups")));
                }
                let layer = self.layers.get(p.layer());
                let has_dir = match (p, layer) {
                    (MlpParam::Weight(_), Some(l)) => l.weight_dir.is_some(),
                    (MlpParam::Bias(_), Some(l)) => l.bias_dir.is_some(),
                    (_, None) => {
                        return Err(invalid(
                            OP,
                            format!("group {s}: {p:?} is past the last layer"),
                        ))
                    }
                };
                if !has_dir {
                    return Err(invalid(OP, format!("group {s}: {p:?} has no direction")));
                }
            }
        }
        Ok(())
    }
}

impl MlpParam {
    /// The layer the tensor belongs to.
    pub fn layer(self) -> usize {
        match self {
            MlpParam::Weight(i) | MlpParam::Bias(i) => i,
        }
    }
}
