//! The general orders of appendix A: the Taylor terms `∇^d L[u, …, u]` and the full symmetric D³.

use std::collections::BTreeMap;

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::forward_jets;
use crate::summaries::jets::{cubic_row, SharedOrderZero};
use crate::summaries::problem::{Direction, Groups};
use crate::tensor::Tensor;

/// `[∇¹L[u], ∇²L[u,u], …, ∇^{max_order}L[u,…,u]]` along the whole direction `u` (all groups), from one forward jet
/// of the loss: its coefficient `k` is `∇^k L[u,…,u] / k!`.
pub fn taylor_terms<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
    max_order: usize,
) -> Result<Vec<f64>> {
    if max_order == 0 || max_order > 8 {
        return Err(EngineError::Invalid {
            op: "taylor_terms",
            reason: format!("order {max_order} outside 1..=8"),
        });
    }
    graph.check_scalar(loss, "taylor_terms")?;
    dir.check(graph, groups)?;
    let seeds: Vec<(NodeId, Vec<Option<Tensor<F>>>)> = groups
        .all_params()
        .into_iter()
        .map(|p| (p, vec![dir.get(p).cloned()]))
        .collect();
    let jets = forward_jets(graph, loss, &seeds, max_order)?;
    let mut fact = 1.0;
    (1..=max_order)
        .map(|k| {
            fact *= k as f64;
            let c = jets[loss]
                .as_ref()
                .and_then(|j| j.get(k))
                .map_or(0.0, |t| t.sum_f64());
            Ok(c * fact)
        })
        .collect()
}

/// The full symmetric D³, `∇³L[u_a, u_b, u_c]`, stored for `a ≤ b ≤ c` only (appendix A).
///
/// Rows `∇³L[u_a, u_a, ·]` come from one jet pass along `u_a`; mixed rows by polarisation,
/// `∇³L[u_a, u_b, ·] = (∇³L[v,v,·] − ∇³L[u_a,u_a,·] − ∇³L[u_b,u_b,·]) / 2` with `v = u_a + u_b`: S(S+1)/2 passes.
pub fn full_d3<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
) -> Result<BTreeMap<(usize, usize, usize), f64>> {
    graph.check_scalar(loss, "full_d3")?;
    dir.check(graph, groups)?;
    let shared = SharedOrderZero::new(graph, loss, groups)?;
    let s_count = groups.len();
    let diag_rows: Vec<Vec<f64>> = (0..s_count)
        .map(|a| cubic_row(graph, loss, groups, dir, &shared, &[a]))
        .collect::<Result<_>>()?;
    let mut out = BTreeMap::new();
    for a in 0..s_count {
        for b in a..s_count {
            let row: Vec<f64> = if a == b {
                diag_rows[a].clone()
            } else {
                let vv = cubic_row(graph, loss, groups, dir, &shared, &[a, b])?;
                (0..s_count)
                    .map(|c| 0.5 * (vv[c] - diag_rows[a][c] - diag_rows[b][c]))
                    .collect()
            };
            for (c, &v) in row.iter().enumerate().skip(b) {
                out.insert((a, b, c), v);
            }
        }
    }
    Ok(out)
}
