//! From groups of names to the engine's [`Groups`] of node ids, and from named tensors to a [`Direction`].

use jetnewton_engine::summaries::{Direction, Groups};
use jetnewton_engine::{Float, Graph, NodeId};

use crate::error::{NetsError, Result};
use crate::params::Params;
use crate::partition::PartitionSpec;

impl PartitionSpec {
    /// The engine's groups for the parameter leaves `ids` (`(name, node id)` in forward order, as
    /// [`crate::Model::loss`] and [`crate::Forward::param_ids`] return them).
    pub fn engine_groups<F: Float>(
        &self,
        graph: &Graph<F>,
        ids: &[(String, NodeId)],
    ) -> Result<Groups> {
        let names: Vec<&str> = ids.iter().map(|(n, _)| n.as_str()).collect();
        to_engine_groups(graph, &self.groups(&names)?, ids)
    }
}

/// The engine's groups for groups of tensor names, given the parameter leaves `ids` (`(name, node id)`).
///
/// Every leaf of `ids` must be in exactly one group and every name of a group must be a leaf of `ids`; errors
/// name the offending tensor.
pub fn to_engine_groups<F: Float>(
    graph: &Graph<F>,
    groups: &[Vec<String>],
    ids: &[(String, NodeId)],
) -> Result<Groups> {
    let partition = || format!("of {} groups", groups.len());
    let mut node_groups = Vec::with_capacity(groups.len());
    let mut seen: Vec<&str> = Vec::new();
    for group in groups {
        let mut nodes = Vec::with_capacity(group.len());
        for name in group {
            let &(_, id) =
                ids.iter()
                    .find(|(n, _)| n == name)
                    .ok_or_else(|| NetsError::Partition {
                        partition: partition(),
                        tensor: name.clone(),
                        reason: "is not a parameter of the graph".into(),
                    })?;
            if seen.contains(&name.as_str()) {
                return Err(NetsError::Partition {
                    partition: partition(),
                    tensor: name.clone(),
                    reason: "is in two groups".into(),
                });
            }
            seen.push(name);
            nodes.push(id);
        }
        node_groups.push(nodes);
    }
    if let Some((name, _)) = ids.iter().find(|(n, _)| !seen.contains(&n.as_str())) {
        return Err(NetsError::Partition {
            partition: partition(),
            tensor: name.clone(),
            reason: "is in no group".into(),
        });
    }
    Ok(Groups::new(graph, node_groups)?)
}

/// The engine's direction for the parameter leaves `ids` from named tensors (a direction file, a momentum).
///
/// Errors name a leaf without a tensor, or whose tensor's shape differs from the leaf's.
pub fn direction_from_params<F: Float>(
    graph: &Graph<F>,
    dir: &Params<F>,
    ids: &[(String, NodeId)],
) -> Result<Direction<F>> {
    let mut out = Direction::new();
    for (name, id) in ids {
        let u = dir.get(name).ok_or_else(|| NetsError::Param {
            name: name.clone(),
            reason: "the direction has no tensor of that name".into(),
        })?;
        let shape = graph.var(*id)?.shape();
        if u.shape() != shape.as_slice() {
            return Err(NetsError::Param {
                name: name.clone(),
                reason: format!(
                    "direction of shape {:?}, the parameter has {shape:?}",
                    u.shape()
                ),
            });
        }
        out.insert(*id, u.clone());
    }
    Ok(out)
}
