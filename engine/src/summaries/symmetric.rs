//! The full symmetric `D^d` of appendix A (Algorithm 3) for any order `d ≤ 4`: `∇^d L[u_{a_1}, …, u_{a_d}]` for
//! every multi-index `a_1 ≤ … ≤ a_d` of groups, from forward jets alone.
//!
//! A symmetric d-linear form is determined by its diagonal `f(v) = ∇^d L[v, …, v]` through the polarisation
//! identity `D[x_1, …, x_d] = (1/d!) Σ_{∅ ≠ T ⊆ {1..d}} (−1)^{d−|T|} f(Σ_{i∈T} x_i)`, and `f(v)/d!` is the
//! order-d coefficient of the loss's forward jet along `v`. Every `v` met is `Σ_s m_s u_s` for a multiplicity
//! vector `m` with `Σ m_s ≤ d`, so each distinct `m` costs one forward jet and is computed once: at most
//! `C(S + d, d) − 1` jets for S groups.

use std::collections::{BTreeMap, HashMap};

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::forward_jets;
use crate::summaries::problem::{Direction, Groups};
use crate::tensor::Tensor;

/// The highest order [`symmetric_derivative`] computes: the number of jets grows as `C(S + d, d)`, and the
/// paper uses orders up to 3.
pub const MAX_SYMMETRIC_ORDER: usize = 4;

/// `∇^d L[u_{a_1}, …, u_{a_d}]` for every non-decreasing multi-index `a` of group indices (symmetric storage: a
/// permutation of `a` has the same value), `1 ≤ d ≤` [`MAX_SYMMETRIC_ORDER`]. `d = 1` is `gbar`, `d = 2` the
/// upper triangle of `hbar`, `d = 3` [`crate::summaries::full_d3`].
pub fn symmetric_derivative<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
    order: usize,
) -> Result<BTreeMap<Vec<usize>, f64>> {
    if !(1..=MAX_SYMMETRIC_ORDER).contains(&order) {
        return Err(EngineError::Invalid {
            op: "symmetric_derivative",
            reason: format!("order {order} outside 1..={MAX_SYMMETRIC_ORDER}"),
        });
    }
    graph.check_scalar(loss, "symmetric_derivative")?;
    dir.check(graph, groups)?;
    let mut diagonal = HashMap::new();
    let mut out = BTreeMap::new();
    for index in multi_indices(groups.len(), order) {
        let mut value = 0.0;
        for subset in 1u32..(1 << order) {
            let mut m = vec![0usize; groups.len()];
            for (i, &a) in index.iter().enumerate() {
                if subset & (1 << i) != 0 {
                    m[a] += 1;
                }
            }
            let sign = if (order - subset.count_ones() as usize) % 2 == 0 {
                1.0
            } else {
                -1.0
            };
            let coefficient = match diagonal.get(&m) {
                Some(&c) => c,
                None => {
                    let c = jet_coefficient(graph, loss, groups, dir, &m, order)?;
                    diagonal.insert(m, c);
                    c
                }
            };
            value += sign * coefficient;
        }
        // Σ_T ± f(v_T) / d! with f(v)/d! the jet coefficient: the d! cancels.
        out.insert(index, value);
    }
    Ok(out)
}

/// The order-`order` coefficient of the loss's forward jet along `v = Σ_s m_s u_s`, i.e. `∇^d L[v, …, v] / d!`.
fn jet_coefficient<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    groups: &Groups,
    dir: &Direction<F>,
    m: &[usize],
    order: usize,
) -> Result<f64> {
    let mut seeds: Vec<(NodeId, Vec<Option<Tensor<F>>>)> = Vec::new();
    for (s, params) in groups.groups().iter().enumerate() {
        if m[s] == 0 {
            continue;
        }
        for &p in params {
            let u = dir.get(p).map(|u| u.scale(F::of(m[s] as f64)));
            seeds.push((p, vec![u]));
        }
    }
    let jets = forward_jets(graph, loss, &seeds, order)?;
    Ok(jets[loss]
        .as_ref()
        .and_then(|j| j.get(order))
        .map_or(0.0, |c| c.sum_f64()))
}

/// Every non-decreasing tuple of `order` values in `0..groups`, in lexicographic order.
pub fn multi_indices(groups: usize, order: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(order);
    fn extend(groups: usize, order: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == order {
            out.push(current.clone());
            return;
        }
        let start = current.last().copied().unwrap_or(0);
        for a in start..groups {
            current.push(a);
            extend(groups, order, current, out);
            current.pop();
        }
    }
    extend(groups, order, &mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_indices_are_the_sorted_tuples() {
        assert_eq!(
            multi_indices(3, 2),
            [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]]
        );
        // C(S + d − 1, d) of them.
        assert_eq!(multi_indices(5, 4).len(), 70);
        assert_eq!(multi_indices(2, 1), [[0], [1]]);
    }
}
