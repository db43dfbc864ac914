//! Summaries by reverse-over-reverse differentiation, as the paper's reference code computes them: the baseline the
//! jet engine is measured against, and an oracle built from entirely different code paths.

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::summaries::problem::{contract, Direction, Groups, Summaries, SummaryOptions};

/// `Σ_{p ∈ group} sum(a_p ⊙ u_p)` as a node of the graph (differentiable in `a`).
fn contract_node<F: Float>(
    graph: &Graph<F>,
    group: &[NodeId],
    a: &[(NodeId, NodeId)],
    dir: &Direction<F>,
) -> Result<Option<NodeId>> {
    let mut total: Option<NodeId> = None;
    for &p in group {
        let (Some(&(_, ap)), Some(u)) = (a.iter().find(|(q, _)| *q == p), dir.get(p)) else {
            continue;
        };
        let term = graph.var(ap)?.mul(graph.constant(u.clone()))?.sum()?;
        total = Some(match total {
            None => term.id(),
            Some(t) => graph.var(t)?.add(term)?.id(),
        });
    }
    Ok(total)
}

/// gbar, hbar, diag D³ (and, on request, the slices) by double and triple backward.
pub fn double_backward_summaries<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
    opts: SummaryOptions,
) -> Result<Summaries> {
    graph.check_scalar(loss, "double_backward_summaries")?;
    dir.check(graph, groups)?;
    let params = groups.all_params();
    let s_count = groups.len();
    let g: Vec<(NodeId, NodeId)> = params
        .iter()
        .copied()
        .zip(graph.grad_nodes(loss, &params)?)
        .collect();
    let value_of = |pairs: &[(NodeId, NodeId)]| {
        let pairs = pairs.to_vec();
        move |p: NodeId| {
            pairs
                .iter()
                .find(|(q, _)| *q == p)
                .map(|&(_, n)| graph.value(n))
        }
    };
    let mut gbar = vec![0.0; s_count];
    let mut hbar = vec![vec![0.0; s_count]; s_count];
    let mut d3 = vec![0.0; s_count];
    let mut slices = opts.d3_slices.then(|| vec![vec![0.0; s_count]; s_count]);
    for (s, own) in groups.groups().iter().enumerate() {
        gbar[s] = contract(own, dir, value_of(&g))?;
        let Some(gs) = contract_node(graph, own, &g, dir)? else {
            continue;
        };
        let hu: Vec<(NodeId, NodeId)> = params
            .iter()
            .copied()
            .zip(graph.grad_nodes(gs, &params)?)
            .collect();
        for (t, grp) in groups.groups().iter().enumerate() {
            hbar[s][t] = contract(grp, dir, value_of(&hu))?;
        }
        let Some(hss) = contract_node(graph, own, &hu, dir)? else {
            continue;
        };
        let wrt: Vec<NodeId> = if opts.d3_slices {
            params.clone()
        } else {
            own.clone()
        };
        let third: Vec<(NodeId, NodeId)> = wrt
            .iter()
            .copied()
            .zip(graph.grad_nodes(hss, &wrt)?)
            .collect();
        d3[s] = contract(own, dir, value_of(&third))?;
        if let Some(sl) = slices.as_mut() {
            for (t, grp) in groups.groups().iter().enumerate() {
                sl[s][t] = contract(grp, dir, value_of(&third))?;
            }
        }
    }
    Ok(Summaries {
        loss: graph.value(loss).sum_f64(),
        gbar,
        hbar,
        d3,
        d3_slices: slices,
    })
}
