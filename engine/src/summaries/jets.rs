//! Summaries by jets: one Taylor-mode pass per group, order-0 work shared, symmetry of hbar exploited.

use crate::error::Result;
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use std::collections::BTreeMap;

use crate::jet::{forward_jets_shared, reverse_jets, Contractions, ReverseJets, ReversePlan};
use crate::summaries::problem::{Direction, Groups, Summaries, SummaryOptions};
use crate::tensor::Tensor;

/// The order-0 work every group pass shares: the loss, the cotangent of every node, and where each group first
/// enters the tape.
pub(crate) struct SharedOrderZero<F: Float> {
    pub loss_value: f64,
    pub delta0: Vec<Option<Tensor<F>>>,
    /// Smallest id of a node that consumes a parameter of the group (the group's "layer").
    pub first_use: Vec<NodeId>,
}

impl<F: Float> SharedOrderZero<F> {
    pub fn new(graph: &Graph<F>, loss: NodeId, groups: &Groups) -> Result<Self> {
        let params = groups.all_params();
        let cot = graph.backward_intermediates(loss, &params)?;
        let delta0 = cot.iter().map(|c| c.map(|id| graph.value(id))).collect();
        let mut first_use_of = vec![usize::MAX; loss + 1];
        for n in 0..=loss {
            for i in graph.node(n)?.inputs {
                first_use_of[i] = first_use_of[i].min(n);
            }
        }
        let first_use = groups
            .groups()
            .iter()
            .map(|g| {
                g.iter()
                    .map(|&p| first_use_of.get(p).copied().unwrap_or(usize::MAX))
                    .min()
                    .unwrap_or(usize::MAX)
            })
            .collect();
        Ok(Self {
            loss_value: graph.value(loss).sum_f64(),
            delta0,
            first_use,
        })
    }
}

/// gbar, hbar and diag D³ (and, on request, the slices `∇³L[u_s,u_s,u_t]`) by jets.
///
/// For group `s` the parameters move along `θ + t·u_s`; the forward jet (order 2) and the reverse jet sweep
/// (order 2) give the parameter cotangent jet `∇L(θ + t u_s) = g + t·H u_s + t²·½∇³L[u_s,u_s,·]`, hence the row
/// `hbar[s][·]` and `d3[s]`. Below a group's first layer every forward coefficient is a zero tag and costs
/// nothing; the order-1 sweep stops at the lowest layer of the groups at or above `s` (the other entries of the row
/// come from those groups' passes, by symmetry), and the order-2 sweep at the group's own parameters.
pub fn jet_summaries<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
    opts: SummaryOptions,
) -> Result<Summaries> {
    graph.check_scalar(loss, "jet_summaries")?;
    dir.check(graph, groups)?;
    let s_count = groups.len();
    let shared = SharedOrderZero::new(graph, loss, groups)?;
    let mut gbar = vec![0.0; s_count];
    let mut hbar = vec![vec![None::<f64>; s_count]; s_count];
    let mut d3 = vec![0.0; s_count];
    let mut slices = opts.d3_slices.then(|| vec![vec![0.0; s_count]; s_count]);
    let mut contractions = Contractions::new(directions(groups, dir));
    for s in 0..s_count {
        let needed: Vec<usize> = (0..s_count)
            .filter(|&t| opts.d3_slices || shared.first_use[t] >= shared.first_use[s])
            .collect();
        let needed_params: Vec<NodeId> = needed
            .iter()
            .flat_map(|&t| groups.groups()[t].iter().copied())
            .collect();
        let own = &groups.groups()[s];
        let order1 = graph.depends_on(loss, &needed_params)?;
        let order2 = if opts.d3_slices {
            order1.clone()
        } else {
            graph.depends_on(loss, own)?
        };
        let plan = ReversePlan {
            order_at: order1
                .iter()
                .zip(&order2)
                .map(|(&a, &b)| if b { 2 } else { usize::from(a) })
                .collect(),
        };
        let seeds: Vec<(NodeId, Vec<Option<Tensor<F>>>)> = own
            .iter()
            .map(|&p| (p, vec![dir.get(p).cloned()]))
            .collect();
        let fwd = forward_jets_shared(graph, loss, &seeds, 2, Some(&mut contractions))?;
        // The loss along θ + t·u_s has first coefficient <∇L, u_s>: gbar without any parameter gradient.
        gbar[s] = fwd[loss]
            .as_ref()
            .and_then(|j| j.get(1))
            .map_or(0.0, |c| c.sum_f64());
        let rev = reverse_jets(graph, loss, &fwd, &shared.delta0, &plan, &mut contractions)?;
        for &t in &needed {
            hbar[s][t] = Some(dot_sum(&rev, &groups.groups()[t], 1));
            if let Some(sl) = slices.as_mut() {
                sl[s][t] = 2.0 * dot_sum(&rev, &groups.groups()[t], 2);
            }
        }
        d3[s] = 2.0 * dot_sum(&rev, own, 2);
    }
    Ok(Summaries {
        loss: shared.loss_value,
        gbar,
        hbar: symmetrise(hbar),
        d3,
        d3_slices: slices,
    })
}

/// hbar from rows computed pass by pass (`None` where a pass did not reach): fills each missing entry from its
/// mirror and averages entries computed twice, so the result is exactly symmetric. Shared with the GPU-resident
/// MLP summaries of `jetnewton-kernels`, which fill their rows the same way.
pub fn symmetrise(h: Vec<Vec<Option<f64>>>) -> Vec<Vec<f64>> {
    let n = h.len();
    let mut out = vec![vec![0.0; n]; n];
    for s in 0..n {
        for t in 0..n {
            out[s][t] = match (h[s][t], h[t][s]) {
                (Some(a), Some(b)) => 0.5 * (a + b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => f64::NAN,
            };
        }
    }
    out
}

/// `∇³L[v, v, u_t]` for every group `t`, where `v = Σ_{s ∈ along} u_s`: one full-depth order-2 jet pass.
pub(crate) fn cubic_row<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
    shared: &SharedOrderZero<F>,
    along: &[usize],
) -> Result<Vec<f64>> {
    let all = groups.all_params();
    let reach = graph.depends_on(loss, &all)?;
    let plan = ReversePlan {
        order_at: reach.iter().map(|&r| if r { 2 } else { 0 }).collect(),
    };
    let seeds: Vec<(NodeId, Vec<Option<Tensor<F>>>)> = along
        .iter()
        .flat_map(|&s| {
            groups.groups()[s]
                .iter()
                .map(|&p| (p, vec![dir.get(p).cloned()]))
        })
        .collect();
    let mut contractions = Contractions::new(directions(groups, dir));
    let fwd = forward_jets_shared(graph, loss, &seeds, 2, Some(&mut contractions))?;
    let rev = reverse_jets(graph, loss, &fwd, &shared.delta0, &plan, &mut contractions)?;
    Ok(groups
        .groups()
        .iter()
        .map(|g| 2.0 * dot_sum(&rev, g, 2))
        .collect())
}

/// The direction of every parameter of the partition, for contraction.
fn directions<'a, F: Float>(
    groups: &Groups,
    dir: &'a Direction<F>,
) -> BTreeMap<NodeId, &'a Tensor<F>> {
    groups
        .all_params()
        .into_iter()
        .filter_map(|p| dir.get(p).map(|u| (p, u)))
        .collect()
}

/// `Σ_{p ∈ group} <(δp)_k, u_p>` from a sweep's contractions (zero where the sweep did not reach).
fn dot_sum<F: Float>(rev: &ReverseJets<F>, group: &[NodeId], k: usize) -> f64 {
    group
        .iter()
        .filter_map(|p| rev.dots.get(p).and_then(|d| d.get(k - 1)))
        .sum()
}
