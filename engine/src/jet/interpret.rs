//! Running the tape on jets: the forward sweep (Taylor mode) and the reverse sweep lifted to jets.
//!
//! Both sweeps take order-0 values from the tape instead of recomputing them: activations are the nodes' values and
//! order-0 cotangents come from one ordinary backward pass, shared by every parameter group.

use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::series::add_coeff;
use crate::jet::Jet;
use crate::tensor::Tensor;

/// Forward jets of every node up to `upto`, seeded by the leaves' higher coefficients: `seeds[i] = (leaf,
/// [c₁, c₂, …])`. Entry `n` is `None` where the node's jet is constant (all coefficients ≥ 1 are zero) — no tensor
/// of zeros is ever formed, and ops whose inputs are all constant are skipped.
pub fn forward_jets<F: Float>(
    graph: &Graph<F>,
    upto: NodeId,
    seeds: &[(NodeId, Vec<Option<Tensor<F>>>)],
    order: usize,
) -> Result<Vec<Option<Jet<F>>>> {
    let mut jets: Vec<Option<Jet<F>>> = vec![None; upto + 1];
    for (leaf, coeffs) in seeds {
        let node = graph.node(*leaf)?;
        if node.op.is_some() || *leaf > upto {
            return Err(EngineError::InvalidNode {
                node: *leaf,
                reason: "jet seeds must be leaves at or below the output".into(),
            });
        }
        let mut j = Jet::constant(node.value.clone(), order);
        for (k, c) in coeffs.iter().enumerate().take(order) {
            if let Some(c) = c {
                node.value.check_same_shape(c, "jet seed")?;
                add_coeff(&mut j.coeffs[k + 1], Some(c))?;
            }
        }
        if !j.is_constant() {
            jets[*leaf] = Some(j);
        }
    }
    for n in 0..=upto {
        let node = graph.node(n)?;
        let Some(op) = node.op else { continue };
        if node.inputs.iter().all(|&i| jets[i].is_none()) {
            continue;
        }
        let consts: Vec<Jet<F>> = node
            .inputs
            .iter()
            .map(|&i| match &jets[i] {
                Some(j) => j.clone(),
                None => Jet::constant(graph.value(i), order),
            })
            .collect();
        let refs: Vec<&Jet<F>> = consts.iter().collect();
        let j = op.jet(&refs, &node.value)?;
        if !j.is_constant() {
            jets[n] = Some(j);
        }
    }
    Ok(jets)
}

/// Where, and to which order, the reverse jet sweep must go.
#[derive(Clone, Debug)]
pub struct ReversePlan {
    /// `order_at[n]`: highest cotangent coefficient needed at node `n` (0 = the node is not visited).
    pub order_at: Vec<usize>,
}

/// The reverse sweep lifted to jets, from `loss` down: returns the cotangent jet of every visited node (coefficient
/// 0 is the shared order-0 cotangent `delta0[n]`; higher ones are computed here). `fwd` are the forward jets of the
/// same pass (`None` = constant).
pub fn reverse_jets<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    fwd: &[Option<Jet<F>>],
    delta0: &[Option<Tensor<F>>],
    plan: &ReversePlan,
) -> Result<Vec<Option<Jet<F>>>> {
    let max_order = plan.order_at.iter().copied().max().unwrap_or(0);
    let mut cot: Vec<Option<Jet<F>>> = vec![None; loss + 1];
    for n in (0..=loss).rev() {
        let k = plan.order_at[n];
        if k == 0 {
            continue;
        }
        let node = graph.node(n)?;
        let mut gy = cot[n].take().unwrap_or_else(|| Jet::zero(max_order));
        gy.coeffs.truncate(k + 1);
        gy.coeffs[0] = delta0[n].clone();
        let Some(op) = node.op.clone() else {
            cot[n] = Some(gy);
            continue;
        };
        let wanted: Vec<bool> = node.inputs.iter().map(|&i| plan.order_at[i] > 0).collect();
        let inputs_const = node.inputs.iter().all(|&i| fwd[i].is_none());
        if !wanted.iter().any(|&w| w) || (inputs_const && gy.is_constant()) {
            cot[n] = Some(gy);
            continue;
        }
        let truncate = |j: Jet<F>| Jet {
            coeffs: j.coeffs.into_iter().take(k + 1).collect(),
        };
        let ins: Vec<Jet<F>> = node
            .inputs
            .iter()
            .map(|&i| match &fwd[i] {
                Some(j) => truncate(j.clone()),
                None => Jet::constant(graph.value(i), k),
            })
            .collect();
        let y = match &fwd[n] {
            Some(j) => truncate(j.clone()),
            None => Jet::constant(node.value.clone(), k),
        };
        let refs: Vec<&Jet<F>> = ins.iter().collect();
        let grads = op.jet_vjp(&refs, &y, &gy, &wanted)?;
        for ((&i, g), &w) in node.inputs.iter().zip(grads).zip(&wanted) {
            let (Some(g), true) = (g, w) else { continue };
            let acc = cot[i].get_or_insert_with(|| Jet::zero(max_order));
            acc.accumulate(&g, 1)?;
        }
        cot[n] = Some(gy);
    }
    Ok(cot)
}
