//! Random small nets for `summaries_props.rs`: MLPs of depth 1–4 and widths 1–6, tanh / ELU / sigmoid
//! activations, optional biases, batch 1–5, cross-entropy or MSE loss, with random data, parameters, direction and
//! partition of the parameter tensors into groups.

use jetnewton_engine::summaries::{Direction, Groups};
use jetnewton_engine::{Graph, NodeId, Tensor, Var};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;

use super::{axpy, rng, uniform};

#[derive(Clone, Copy, Debug)]
pub enum Act {
    Tanh,
    Elu,
    Sigmoid,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    CrossEntropy,
    Mse,
}

/// The architecture; values are drawn from `seed`.
#[derive(Clone, Debug)]
pub struct NetSpec {
    /// `widths[0]` inputs, `widths[l + 1]` outputs of layer `l`.
    pub widths: Vec<usize>,
    /// Activation after every layer but the last.
    pub acts: Vec<Act>,
    pub biases: Vec<bool>,
    pub batch: usize,
    pub loss: Loss,
    pub seed: u64,
}

pub fn any_act() -> BoxedStrategy<Act> {
    prop_oneof![Just(Act::Tanh), Just(Act::Elu), Just(Act::Sigmoid)].boxed()
}

pub fn smooth_act() -> BoxedStrategy<Act> {
    prop_oneof![Just(Act::Tanh), Just(Act::Sigmoid)].boxed()
}

pub fn net(act: BoxedStrategy<Act>) -> impl Strategy<Value = NetSpec> {
    (
        1..=4usize,
        prop_oneof![Just(Loss::CrossEntropy), Just(Loss::Mse)],
    )
        .prop_flat_map(move |(depth, loss)| {
            // Cross-entropy over a single class is identically 0: ask for two classes at least.
            let out_min = if loss == Loss::CrossEntropy { 2 } else { 1 };
            (
                prop::collection::vec(1..=6usize, depth),
                out_min..=6usize,
                prop::collection::vec(act.clone(), depth - 1),
                prop::collection::vec(any::<bool>(), depth),
                1..=5usize,
                Just(loss),
                any::<u64>(),
            )
        })
        .prop_map(|(mut widths, out, acts, biases, batch, loss, seed)| {
            widths.push(out);
            NetSpec {
                widths,
                acts,
                biases,
                batch,
                loss,
                seed,
            }
        })
}

/// A net with its data, parameter values, direction and partition (groups of parameter indices).
#[derive(Clone, Debug)]
pub struct Problem {
    pub spec: NetSpec,
    pub x: Tensor<f64>,
    pub labels: Vec<usize>,
    pub target: Tensor<f64>,
    pub params: Vec<Tensor<f64>>,
    pub dir: Vec<Tensor<f64>>,
    pub groups: Vec<Vec<usize>>,
}

impl Problem {
    /// Draws the values; the partition has between 1 and `max_groups` non-empty groups, in random order, each a
    /// random set of parameter tensors (not necessarily of one layer).
    pub fn new(spec: NetSpec, max_groups: usize) -> Self {
        let mut rng = rng(spec.seed);
        let (b, w) = (spec.batch, &spec.widths);
        let x = uniform(&mut rng, &[b, w[0]], -1.0, 1.0);
        let out = *w.last().unwrap();
        let labels = (0..b).map(|_| rng.random_range(0..out)).collect();
        let target = uniform(&mut rng, &[b, out], -1.0, 1.0);
        let mut params = Vec::new();
        for l in 0..w.len() - 1 {
            // Weights ~ U(−1.5, 1.5)/√fan_in keep pre-activations O(1): every activation works in its curved part.
            let s = 1.5 / (w[l] as f64).sqrt();
            params.push(uniform(&mut rng, &[w[l + 1], w[l]], -s, s));
            if spec.biases[l] {
                params.push(uniform(&mut rng, &[w[l + 1]], -0.5, 0.5));
            }
        }
        let dir = params
            .iter()
            .map(|p| uniform(&mut rng, p.shape(), -1.0, 1.0))
            .collect();
        let n = params.len();
        let s_count = rng.random_range(1..=n.min(max_groups));
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let mut groups = vec![Vec::new(); s_count];
        for (i, &p) in order.iter().enumerate() {
            let s = if i < s_count {
                i
            } else {
                rng.random_range(0..s_count)
            };
            groups[s].push(p);
        }
        Self {
            spec,
            x,
            labels,
            target,
            params,
            dir,
            groups,
        }
    }

    /// Records the net with parameter values `params` on `g`: the loss and the parameter node ids.
    pub fn build<'g>(
        &self,
        g: &'g Graph<f64>,
        params: &[Tensor<f64>],
    ) -> (Var<'g, f64>, Vec<NodeId>) {
        let spec = &self.spec;
        let mut h = g.constant(self.x.clone());
        let mut ids = Vec::new();
        let mut values = params.iter();
        let depth = spec.widths.len() - 1;
        for l in 0..depth {
            let w = g.param(format!("{l}.weight"), values.next().unwrap().clone());
            ids.push(w.id());
            h = h.matmul_t(w).unwrap();
            if spec.biases[l] {
                let b = g.param(format!("{l}.bias"), values.next().unwrap().clone());
                ids.push(b.id());
                h = h.add_bias(b).unwrap();
            }
            if l + 1 < depth {
                h = match spec.acts[l] {
                    Act::Tanh => h.tanh(),
                    Act::Elu => h.elu(),
                    Act::Sigmoid => h.sigmoid(),
                }
                .unwrap();
            }
        }
        let loss = match spec.loss {
            Loss::CrossEntropy => h.cross_entropy(&self.labels),
            Loss::Mse => h.mse(g.constant(self.target.clone())),
        };
        (loss.unwrap(), ids)
    }

    /// The partition and the direction in terms of the node ids of one recording.
    pub fn groups_and_dir(&self, g: &Graph<f64>, ids: &[NodeId]) -> (Groups, Direction<f64>) {
        let groups = Groups::new(
            g,
            self.groups
                .iter()
                .map(|grp| grp.iter().map(|&p| ids[p]).collect())
                .collect(),
        );
        let mut dir = Direction::new();
        for (&id, u) in ids.iter().zip(&self.dir) {
            dir.insert(id, u.clone());
        }
        (groups.unwrap(), dir)
    }

    /// `L(θ + t u)`.
    pub fn loss_along(&self, t: f64) -> f64 {
        let g = Graph::new();
        let moved: Vec<Tensor<f64>> = self
            .params
            .iter()
            .zip(&self.dir)
            .map(|(p, u)| axpy(p, t, u))
            .collect();
        self.build(&g, &moved).0.value().item().unwrap()
    }

    /// `<∇L(θ + t u), u>`.
    pub fn slope_along(&self, t: f64) -> f64 {
        let g = Graph::new();
        let moved: Vec<Tensor<f64>> = self
            .params
            .iter()
            .zip(&self.dir)
            .map(|(p, u)| axpy(p, t, u))
            .collect();
        let (loss, ids) = self.build(&g, &moved);
        let grads = g.grad(loss.id(), &ids).unwrap();
        grads
            .iter()
            .zip(&self.dir)
            .map(|(gr, u)| gr.dot_f64(u).unwrap())
            .sum()
    }
}
