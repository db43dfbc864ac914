//! Running the tape on jets: the forward sweep (Taylor mode) and the reverse sweep lifted to jets.
//!
//! Both sweeps take order-0 values from the tape instead of recomputing them: activations are the nodes' values and
//! order-0 cotangents come from one ordinary backward pass, shared by every parameter group.

use std::collections::{BTreeMap, HashMap};

use crate::device::rules;
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::graph::{Graph, NodeId};
use crate::jet::series::add_coeff;
use crate::jet::Jet;
use crate::op::{ContractCache, Op};
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
    forward_jets_shared(graph, upto, seeds, order, None)
}

/// [`forward_jets`] that shares products with the reverse sweep's contractions: where a bilinear op consumes a leaf
/// seeded with exactly its contraction direction `u` (`W(t) = W + t u`), the output is split as
/// `B(a(t), W) + t·B(a(t), u)`, and `B(a₀, u)` comes from (or goes into) the same cache as the contraction's
/// `P = B(a₀, u)`, so the largest product of a group's pass is computed once per summaries call, not twice.
pub fn forward_jets_shared<F: Float>(
    graph: &Graph<F>,
    upto: NodeId,
    seeds: &[(NodeId, Vec<Option<Tensor<F>>>)],
    order: usize,
    mut shared: Option<&mut Contractions<'_, F>>,
) -> Result<Vec<Option<Jet<F>>>> {
    let (mut jets, along_dir) = seed_jets(graph, upto, seeds, order, shared.as_deref())?;
    for n in 0..=upto {
        let node = graph.node(n)?;
        let Some(op) = node.op else { continue };
        if node.inputs.iter().all(|&i| jets[i].is_none()) {
            continue;
        }
        let split = match shared.as_deref_mut() {
            Some(sh) if op.is_bilinear() && node.inputs.len() == 2 => node
                .inputs
                .iter()
                .position(|&i| along_dir[i])
                .map(|slot| (slot, sh)),
            _ => None,
        };
        let mut ins: Vec<Jet<F>> = node
            .inputs
            .iter()
            .map(|&i| match &jets[i] {
                Some(j) => j.clone(),
                None => Jet::constant(graph.value(i), order),
            })
            .collect();
        let j = match split {
            None => {
                let refs: Vec<&Jet<F>> = ins.iter().collect();
                rules::follow_jet(node.value.device(), op.jet(&refs, &node.value)?)?
            }
            Some((slot, sh)) => {
                let p = node.inputs[slot];
                let u = sh.dirs[&p];
                ins[slot] = Jet::constant(graph.value(p), order);
                let refs: Vec<&Jet<F>> = ins.iter().collect();
                let mut j = rules::follow_jet(node.value.device(), op.jet(&refs, &node.value)?)?;
                let other = &ins[1 - slot];
                let cache = sh.caches.entry((n, slot)).or_default();
                for k in 0..order {
                    let Some(ak) = other.get(k) else { continue };
                    let mut args = [ak, ak];
                    args[slot] = u;
                    let term = if k == 0 {
                        if cache.p.is_none() {
                            cache.p = Some(rules::follow(&args, op.forward(&args)?)?);
                        }
                        cache.p.clone()
                    } else {
                        Some(rules::follow(&args, op.forward(&args)?)?)
                    };
                    add_coeff(&mut j.coeffs[k + 1], term.as_ref())?;
                }
                j
            }
        };
        if !j.is_constant() {
            jets[n] = Some(j);
        }
    }
    Ok(jets)
}

/// One jet per node (`None`: constant).
type Jets<F> = Vec<Option<Jet<F>>>;

/// The jets of the seeded leaves (`None` where constant), and which leaves move exactly along their contraction
/// direction (`W(t) = W + t·u`, the case whose products the forward pass shares with the contractions).
fn seed_jets<F: Float>(
    graph: &Graph<F>,
    upto: NodeId,
    seeds: &[(NodeId, Vec<Option<Tensor<F>>>)],
    order: usize,
    shared: Option<&Contractions<'_, F>>,
) -> Result<(Jets<F>, Vec<bool>)> {
    let mut jets: Vec<Option<Jet<F>>> = vec![None; upto + 1];
    let mut along_dir = vec![false; upto + 1];
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
        let dir = shared.and_then(|s| s.dirs.get(leaf).copied());
        along_dir[*leaf] =
            matches!((dir, coeffs.as_slice()), (Some(u), [Some(c)]) if u.same_storage(c));
        if !j.is_constant() {
            jets[*leaf] = Some(j);
        }
    }
    Ok((jets, along_dir))
}

/// Where, and to which order, the reverse jet sweep must go.
#[derive(Clone, Debug)]
pub struct ReversePlan {
    /// `order_at[n]`: highest cotangent coefficient needed at node `n` (0 = the node is not visited).
    pub order_at: Vec<usize>,
}

/// Parameter leaves whose cotangent jets are only needed contracted with a fixed tensor (their direction), with the
/// per-(node, input) caches that [`Op::contract_input`](crate::Op::contract_input) keeps across passes.
pub struct Contractions<'a, F: Float> {
    /// The contracted leaves and their directions.
    pub dirs: BTreeMap<NodeId, &'a Tensor<F>>,
    /// Caches, keyed by (consumer node, input slot).
    pub caches: HashMap<(NodeId, usize), ContractCache<F>>,
}

impl<'a, F: Float> Contractions<'a, F> {
    /// Contract every leaf in `dirs`, starting with empty caches.
    pub fn new(dirs: BTreeMap<NodeId, &'a Tensor<F>>) -> Self {
        Self {
            dirs,
            caches: HashMap::new(),
        }
    }
}

/// What a reverse jet sweep returns.
pub struct ReverseJets<F: Float> {
    /// Cotangent jet of every visited node that is not a contracted leaf (coefficient 0 from `delta0`).
    pub cotangents: Vec<Option<Jet<F>>>,
    /// For each contracted leaf `p`: `[<(δp)_1, u_p>, …, <(δp)_K, u_p>]` up to its planned order.
    pub dots: BTreeMap<NodeId, Vec<f64>>,
}

fn truncated<F: Float>(j: &Jet<F>, k: usize) -> Jet<F> {
    Jet {
        coeffs: j.coeffs.iter().take(k + 1).cloned().collect(),
    }
}

/// The reverse sweep lifted to jets, from `loss` down, visiting the nodes `plan` asks for: coefficient 0 of each
/// cotangent is the shared order-0 cotangent `delta0[n]`; higher ones are computed here, each input only to the
/// order the plan needs at it. `fwd` are the forward jets of the same pass (`None` = constant).
pub fn reverse_jets<F: Float>(
    graph: &Graph<F>,
    loss: NodeId,
    fwd: &[Option<Jet<F>>],
    delta0: &[Option<Tensor<F>>],
    plan: &ReversePlan,
    contract: &mut Contractions<'_, F>,
) -> Result<ReverseJets<F>> {
    let max_order = plan.order_at.iter().copied().max().unwrap_or(0);
    let mut cot: Vec<Option<Jet<F>>> = vec![None; loss + 1];
    let mut dots: BTreeMap<NodeId, Vec<f64>> = BTreeMap::new();
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
        let inputs_const = node.inputs.iter().all(|&i| fwd[i].is_none());
        if inputs_const && gy.is_constant() {
            cot[n] = Some(gy);
            continue;
        }
        let ins: Vec<Jet<F>> = node
            .inputs
            .iter()
            .map(|&i| match &fwd[i] {
                Some(j) => truncated(j, k),
                None => Jet::constant(graph.value(i), k),
            })
            .collect();
        let y = match &fwd[n] {
            Some(j) => truncated(j, k),
            None => Jet::constant(node.value.clone(), k),
        };
        let at = NodeJets {
            node: n,
            ins: &ins,
            y: &y,
            gy: &gy,
            order: k,
        };
        contract_inputs(&*op, &node.inputs, &at, plan, contract, &mut dots)?;
        pull_back(&*op, &node.inputs, &at, plan, contract, &mut cot, max_order)?;
        cot[n] = Some(gy);
    }
    Ok(ReverseJets {
        cotangents: cot,
        dots,
    })
}

/// The jets at one node of the reverse sweep, truncated to the order `order` it is needed at.
struct NodeJets<'a, F: Float> {
    node: NodeId,
    ins: &'a [Jet<F>],
    y: &'a Jet<F>,
    gy: &'a Jet<F>,
    order: usize,
}

/// Contracted parameters among `inputs`: only `<cotangent, u_p>` is formed, by the op's own contraction rule, and
/// added to `dots`.
fn contract_inputs<F: Float>(
    op: &dyn Op<F>,
    inputs: &[NodeId],
    at: &NodeJets<'_, F>,
    plan: &ReversePlan,
    contract: &mut Contractions<'_, F>,
    dots: &mut BTreeMap<NodeId, Vec<f64>>,
) -> Result<()> {
    for (slot, &i) in inputs.iter().enumerate() {
        let ki = plan.order_at[i].min(at.order);
        let (true, Some(v)) = (ki > 0, contract.dirs.get(&i)) else {
            continue;
        };
        let ins_k: Vec<Jet<F>> = at.ins.iter().map(|j| truncated(j, ki)).collect();
        let refs: Vec<&Jet<F>> = ins_k.iter().collect();
        let cache = contract.caches.entry((at.node, slot)).or_default();
        let d = op.contract_input(
            &refs,
            &truncated(at.y, ki),
            &truncated(at.gy, ki),
            slot,
            v,
            cache,
        )?;
        let acc = dots.entry(i).or_insert_with(|| vec![0.0; ki]);
        acc.iter_mut().zip(d).for_each(|(a, d)| *a += d);
    }
    Ok(())
}

/// The other inputs' cotangent jets, accumulated into `cot`, grouped by the order each needs so that no
/// coefficient is computed that nobody reads.
fn pull_back<F: Float>(
    op: &dyn Op<F>,
    inputs: &[NodeId],
    at: &NodeJets<'_, F>,
    plan: &ReversePlan,
    contract: &Contractions<'_, F>,
    cot: &mut [Option<Jet<F>>],
    max_order: usize,
) -> Result<()> {
    for ki in 1..=at.order {
        let wanted: Vec<bool> = inputs
            .iter()
            .map(|&i| plan.order_at[i].min(at.order) == ki && !contract.dirs.contains_key(&i))
            .collect();
        if !wanted.iter().any(|&w| w) {
            continue;
        }
        let ins_k: Vec<Jet<F>> = at.ins.iter().map(|j| truncated(j, ki)).collect();
        let refs: Vec<&Jet<F>> = ins_k.iter().collect();
        let grads = op.jet_vjp(&refs, &truncated(at.y, ki), &truncated(at.gy, ki), &wanted)?;
        for ((&i, g), &w) in inputs.iter().zip(grads).zip(&wanted) {
            let (Some(g), true) = (g, w) else { continue };
            let g = rules::follow_jet(at.y.get(0).and_then(Tensor::device), g)?;
            let acc = cot[i].get_or_insert_with(|| Jet::zero(max_order));
            acc.accumulate(&g, 1)?;
        }
    }
    Ok(())
}
