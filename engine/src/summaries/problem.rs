//! The inputs and outputs of a summaries computation, validated once.

use std::collections::BTreeMap;

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, Leaf, NodeId};
use crate::tensor::Tensor;

/// A partition of parameter leaves into groups (each non-empty, no leaf twice, every entry a parameter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Groups {
    groups: Vec<Vec<NodeId>>,
}

impl Groups {
    /// Validates a partition of parameter nodes of `graph`.
    pub fn new<F: Float>(graph: &Graph<F>, groups: Vec<Vec<NodeId>>) -> Result<Self> {
        let mut seen = BTreeMap::new();
        for (s, g) in groups.iter().enumerate() {
            if g.is_empty() {
                return Err(EngineError::InvalidPartition {
                    reason: format!("group {s} is empty"),
                });
            }
            for &p in g {
                let node = graph.node(p)?;
                if !matches!(node.leaf, Some(Leaf::Param(_))) {
                    return Err(EngineError::InvalidPartition {
                        reason: format!("node {p} in group {s} is not a parameter"),
                    });
                }
                if let Some(prev) = seen.insert(p, s) {
                    return Err(EngineError::InvalidPartition {
                        reason: format!("node {p} is in groups {prev} and {s}"),
                    });
                }
            }
        }
        Ok(Self { groups })
    }

    /// Every parameter of the graph in its own group (the canonical partition of a tape).
    pub fn canonical<F: Float>(graph: &Graph<F>) -> Self {
        Self {
            groups: graph.params().into_iter().map(|(id, _)| vec![id]).collect(),
        }
    }

    /// Number of groups `S`.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True when there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups.
    pub fn groups(&self) -> &[Vec<NodeId>] {
        &self.groups
    }

    /// Every parameter in group order.
    pub fn all_params(&self) -> Vec<NodeId> {
        self.groups.iter().flatten().copied().collect()
    }
}

/// A direction `u`: one tensor per parameter node, same shapes as the parameters.
#[derive(Clone, Debug, Default)]
pub struct Direction<F: Float> {
    by_node: BTreeMap<NodeId, Tensor<F>>,
}

impl<F: Float> Direction<F> {
    /// An empty direction; add tensors with [`Direction::insert`].
    pub fn new() -> Self {
        Self {
            by_node: BTreeMap::new(),
        }
    }

    /// Sets the direction of parameter `node`.
    pub fn insert(&mut self, node: NodeId, u: Tensor<F>) {
        self.by_node.insert(node, u);
    }

    /// The direction of parameter `node`.
    pub fn get(&self, node: NodeId) -> Option<&Tensor<F>> {
        self.by_node.get(&node)
    }

    /// Checks that every parameter of `groups` has a direction of its shape.
    pub fn check(&self, graph: &Graph<F>, groups: &Groups) -> Result<()> {
        for p in groups.all_params() {
            let node = graph.node(p)?;
            let name = match &node.leaf {
                Some(Leaf::Param(n)) => n.clone(),
                _ => format!("node {p}"),
            };
            let u = self.get(p).ok_or_else(|| EngineError::InvalidDirection {
                name: name.clone(),
                reason: "missing".into(),
            })?;
            if u.shape() != node.value.shape() {
                return Err(EngineError::InvalidDirection {
                    name,
                    reason: format!(
                        "shape {:?}, parameter has {:?}",
                        u.shape(),
                        node.value.shape()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The gradient of `loss` on the graph's batch as a direction (the default direction of the CLI).
pub fn gradient_direction<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
) -> Result<Direction<F>> {
    graph.check_scalar(loss, "gradient_direction")?;
    let params = groups.all_params();
    let grads = graph.grad(loss, &params)?;
    let mut d = Direction::new();
    for (p, g) in params.into_iter().zip(grads) {
        d.insert(p, g);
    }
    Ok(d)
}

/// What to compute beyond gbar, hbar and d3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SummaryOptions {
    /// Also compute the slices `∇³L[u_s, u_s, u_t]` for every `s, t` (full-depth order-2 reverse sweeps).
    pub d3_slices: bool,
}

/// The summaries, in `f64` whatever the compute precision.
#[derive(Clone, Debug, PartialEq)]
pub struct Summaries {
    /// The loss on the batch.
    pub loss: f64,
    /// `gbar[s] = <∇L, u_s>`.
    pub gbar: Vec<f64>,
    /// `hbar[s][t] = u_sᵀ ∇²L u_t`.
    pub hbar: Vec<Vec<f64>>,
    /// `d3[s] = ∇³L[u_s, u_s, u_s]`.
    pub d3: Vec<f64>,
    /// `d3_slices[s][t] = ∇³L[u_s, u_s, u_t]`, when requested.
    pub d3_slices: Option<Vec<Vec<f64>>>,
}

/// `Σ_{p ∈ group} <a_p, u_p>` where `a` gives a tensor per parameter (`None` = zero).
pub(crate) fn contract<F: Float>(
    group: &[NodeId],
    dir: &Direction<F>,
    a: impl Fn(NodeId) -> Option<Tensor<F>>,
) -> Result<f64> {
    let mut s = 0.0;
    for &p in group {
        if let (Some(a), Some(u)) = (a(p), dir.get(p)) {
            s += a.dot_f64(u)?;
        }
    }
    Ok(s)
}
