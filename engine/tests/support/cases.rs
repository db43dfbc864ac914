//! A catalogue of every op of the engine (and the composite losses built from them) with proptest strategies for
//! random shapes and for input values inside each op's domain.
//!
//! Domain rule shared by all tests: every input may move by up to [`SAFE_STEP`] per element (finite-difference
//! steps, curves `x₀ + t x₁ + t² x₂` with `|x₁|, |x₂| ≤ 1` and `|t| ≤ 0.04`) without leaving the op's domain or
//! crossing a kink: `log` sees `x ≥ 0.3`, ReLU and ELU see `|x| ≥ 0.1`.

use std::sync::Arc;

use jetnewton_engine::ops::add::{Add, Scale, Sub};
use jetnewton_engine::ops::broadcast::{Broadcast, MidView, SumTo};
use jetnewton_engine::ops::elementwise::{Unary, UnaryFn};
use jetnewton_engine::ops::gather::{Gather, IndexMap, ScatterAdd};
use jetnewton_engine::ops::log_softmax::LogSoftmax;
use jetnewton_engine::ops::matmul::MatMul;
use jetnewton_engine::ops::mul::Mul;
use jetnewton_engine::ops::reshape::Reshape;
use jetnewton_engine::{Graph, Op, Result, Tensor, Var};
use proptest::prelude::*;

/// How far any input may move without leaving its domain (see the module docs).
pub const SAFE_STEP: f64 = 0.05;

/// Highest `Unary::deriv` the catalogue draws (the oracles in `ops_jets.rs` have closed forms up to it).
pub const MAX_UNARY_DERIV: usize = 3;

/// One op of the engine, or a composite built from `Var` methods.
#[derive(Clone, Debug)]
pub enum Kind {
    Add,
    Sub,
    Scale(f64),
    Mul,
    MatMul(MatMul),
    Broadcast(MidView),
    SumTo(MidView),
    Reshape(Vec<usize>, Vec<usize>),
    Gather(IndexMap),
    ScatterAdd(IndexMap),
    Unary(Unary),
    LogSoftmax,
    /// `cross_entropy(labels)` on `[B, K]` logits.
    CrossEntropy(Vec<usize>),
    /// `mse(target)`: inputs `[prediction, target]`.
    Mse,
    /// `add_bias(b)`: inputs `[x, b]`.
    AddBias,
    /// `global_avg_pool()` on `[N, C, H, W]`.
    GlobalAvgPool,
}

impl Kind {
    /// The engine op, for the primitive kinds (`None` for composites).
    pub fn op(&self) -> Option<Arc<dyn Op<f64>>> {
        Some(match self {
            Kind::Add => Arc::new(Add),
            Kind::Sub => Arc::new(Sub),
            Kind::Scale(c) => Arc::new(Scale(*c)),
            Kind::Mul => Arc::new(Mul),
            Kind::MatMul(m) => Arc::new(*m),
            Kind::Broadcast(v) => Arc::new(Broadcast(v.clone())),
            Kind::SumTo(v) => Arc::new(SumTo(v.clone())),
            Kind::Reshape(from, to) => Arc::new(Reshape {
                from: from.clone(),
                to: to.clone(),
            }),
            Kind::Gather(m) => Arc::new(Gather(m.clone())),
            Kind::ScatterAdd(m) => Arc::new(ScatterAdd(m.clone())),
            Kind::Unary(u) => Arc::new(u.clone()),
            Kind::LogSoftmax => Arc::new(LogSoftmax),
            Kind::CrossEntropy(_) | Kind::Mse | Kind::AddBias | Kind::GlobalAvgPool => return None,
        })
    }

    /// Applies the op (or composite) to `xs` on `g`.
    pub fn apply<'g>(&self, g: &'g Graph<f64>, xs: &[Var<'g, f64>]) -> Result<Var<'g, f64>> {
        if let Some(op) = self.op() {
            let ids: Vec<usize> = xs.iter().map(|v| v.id()).collect();
            return g.var(g.apply(op, &ids)?);
        }
        match self {
            Kind::CrossEntropy(labels) => xs[0].cross_entropy(labels),
            Kind::Mse => xs[0].mse(xs[1]),
            Kind::AddBias => xs[0].add_bias(xs[1]),
            Kind::GlobalAvgPool => xs[0].global_avg_pool(),
            _ => unreachable!("primitive kinds are applied above"),
        }
    }

    /// Order-0 evaluation on a throw-away graph.
    pub fn forward(&self, xs: &[Tensor<f64>]) -> Tensor<f64> {
        let g = Graph::new();
        let vars: Vec<Var<'_, f64>> = xs.iter().map(|x| g.constant(x.clone())).collect();
        self.apply(&g, &vars).unwrap().value()
    }
}

/// An op with its inputs.
#[derive(Clone, Debug)]
pub struct Case {
    pub kind: Kind,
    pub inputs: Vec<Tensor<f64>>,
}

impl Case {
    /// The order-0 output.
    pub fn output(&self) -> Tensor<f64> {
        self.kind.forward(&self.inputs)
    }
}

/// Where an input's values are drawn.
#[derive(Clone, Copy, Debug)]
pub enum Dom {
    /// Uniform in `[lo, hi)`.
    Range(f64, f64),
    /// `±[0.1, 1.5)`: away from the kink of ReLU and ELU by twice [`SAFE_STEP`].
    AwayFromZero,
}

const FREE: Dom = Dom::Range(-1.5, 1.5);

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Shapes of the given ranks with every dimension in `1..=max_dim`.
pub fn shape(ranks: std::ops::RangeInclusive<usize>, max_dim: usize) -> BoxedStrategy<Vec<usize>> {
    prop::collection::vec(1..=max_dim, ranks).boxed()
}

/// A tensor of `shape` with values in `dom`.
pub fn tensor(shape: Vec<usize>, dom: Dom) -> BoxedStrategy<Tensor<f64>> {
    let n = numel(&shape);
    let values = match dom {
        Dom::Range(lo, hi) => prop::collection::vec(lo..hi, n).boxed(),
        Dom::AwayFromZero => prop::collection::vec(
            (0.1f64..1.5, any::<bool>()).prop_map(|(m, neg)| if neg { -m } else { m }),
            n,
        )
        .boxed(),
    };
    values
        .prop_map(move |v| Tensor::from_vec(shape.clone(), v).unwrap())
        .boxed()
}

fn case(kind: Kind, inputs: Vec<Tensor<f64>>) -> Case {
    Case { kind, inputs }
}

fn elementwise_binary() -> BoxedStrategy<Case> {
    (
        prop_oneof![Just(Kind::Add), Just(Kind::Sub), Just(Kind::Mul)],
        shape(0..=3, 4),
    )
        .prop_flat_map(|(kind, s)| (Just(kind), tensor(s.clone(), FREE), tensor(s, FREE)))
        .prop_map(|(kind, a, b)| case(kind, vec![a, b]))
        .boxed()
}

fn scale() -> BoxedStrategy<Case> {
    (
        -2.0f64..2.0,
        shape(0..=3, 4).prop_flat_map(|s| tensor(s, FREE)),
    )
        .prop_map(|(c, x)| case(Kind::Scale(c), vec![x]))
        .boxed()
}

fn matmul() -> BoxedStrategy<Case> {
    (
        any::<bool>(),
        any::<bool>(),
        1..=5usize,
        1..=5usize,
        1..=5usize,
    )
        .prop_flat_map(|(ta, tb, m, k, n)| {
            let a = if ta { vec![k, m] } else { vec![m, k] };
            let b = if tb { vec![n, k] } else { vec![k, n] };
            (Just(MatMul { ta, tb }), tensor(a, FREE), tensor(b, FREE))
        })
        .prop_map(|(op, a, b)| case(Kind::MatMul(op), vec![a, b]))
        .boxed()
}

/// A `[outer, mid, inner]` view of a random shape of rank 0–4.
fn mid_view() -> BoxedStrategy<MidView> {
    shape(0..=4, 3)
        .prop_flat_map(|big| {
            let r = big.len();
            (Just(big), 0..=r, 0..=r)
        })
        .prop_map(|(big, a, b)| MidView::keep_axes(&big, a.min(b), a.max(b)).unwrap())
        .boxed()
}

fn broadcast_and_sum() -> BoxedStrategy<Case> {
    (mid_view(), any::<bool>())
        .prop_flat_map(|(v, is_broadcast)| {
            let (kind, input) = if is_broadcast {
                (Kind::Broadcast(v.clone()), v.small.clone())
            } else {
                (Kind::SumTo(v.clone()), v.big.clone())
            };
            (Just(kind), tensor(input, FREE))
        })
        .prop_map(|(kind, x)| case(kind, vec![x]))
        .boxed()
}

fn reshape() -> BoxedStrategy<Case> {
    (shape(0..=3, 4), 0..4usize)
        .prop_flat_map(|(from, which)| {
            let to = match which {
                0 => vec![numel(&from)],
                1 => from.iter().rev().copied().collect(),
                2 => [from.clone(), vec![1]].concat(),
                _ => [vec![1], from.clone(), vec![1]].concat(),
            };
            (Just(Kind::Reshape(from.clone(), to)), tensor(from, FREE))
        })
        .prop_map(|(kind, x)| case(kind, vec![x]))
        .boxed()
}

/// Gather with random (possibly repeated, possibly missing) indices, or its adjoint scatter-add.
fn gather_and_scatter() -> BoxedStrategy<Case> {
    (shape(1..=3, 3), shape(0..=2, 4), any::<bool>())
        .prop_flat_map(|(in_shape, out_shape, is_gather)| {
            let n_in = numel(&in_shape);
            let n_out = numel(&out_shape);
            (
                Just((in_shape, out_shape.clone(), is_gather)),
                prop::collection::vec(0..n_in, n_out),
            )
        })
        .prop_flat_map(|((in_shape, out_shape, is_gather), idx)| {
            let map = IndexMap::new(idx, in_shape.clone(), out_shape.clone()).unwrap();
            if is_gather {
                (Just(Kind::Gather(map)), tensor(in_shape, FREE))
            } else {
                (Just(Kind::ScatterAdd(map)), tensor(out_shape, FREE))
            }
        })
        .prop_map(|(kind, x)| case(kind, vec![x]))
        .boxed()
}

/// Every scalar function with the domain of its inputs.
pub fn unary_fn() -> BoxedStrategy<(UnaryFn, Dom)> {
    prop_oneof![
        Just((UnaryFn::Tanh, Dom::Range(-2.5, 2.5))),
        Just((UnaryFn::Sigmoid, Dom::Range(-3.0, 3.0))),
        (0.5f64..2.0).prop_map(|a| (UnaryFn::Elu(a), Dom::AwayFromZero)),
        Just((UnaryFn::Relu, Dom::AwayFromZero)),
        Just((UnaryFn::Exp, Dom::Range(-2.0, 2.0))),
        Just((UnaryFn::Log, Dom::Range(0.3, 3.0))),
        prop::collection::vec(-1.0f64..1.0, 1..=6)
            .prop_map(|c| (UnaryFn::Poly(Arc::new(c)), Dom::Range(-1.5, 1.5))),
    ]
    .boxed()
}

fn unary() -> BoxedStrategy<Case> {
    (unary_fn(), 0..=MAX_UNARY_DERIV, shape(0..=3, 4))
        .prop_flat_map(|((f, dom), deriv, s)| (Just(Unary { f, deriv }), tensor(s, dom)))
        .prop_map(|(u, x)| case(Kind::Unary(u), vec![x]))
        .boxed()
}

fn logits() -> BoxedStrategy<(usize, usize, Tensor<f64>)> {
    (1..=4usize, 1..=5usize)
        .prop_flat_map(|(b, k)| (Just(b), Just(k), tensor(vec![b, k], Dom::Range(-3.0, 3.0))))
        .boxed()
}

fn log_softmax() -> BoxedStrategy<Case> {
    logits()
        .prop_map(|(_, _, z)| case(Kind::LogSoftmax, vec![z]))
        .boxed()
}

fn cross_entropy() -> BoxedStrategy<Case> {
    logits()
        .prop_flat_map(|(b, k, z)| (Just(z), prop::collection::vec(0..k, b)))
        .prop_map(|(z, labels)| case(Kind::CrossEntropy(labels), vec![z]))
        .boxed()
}

fn mse() -> BoxedStrategy<Case> {
    shape(1..=3, 4)
        .prop_flat_map(|s| (tensor(s.clone(), FREE), tensor(s, FREE)))
        .prop_map(|(a, b)| case(Kind::Mse, vec![a, b]))
        .boxed()
}

fn add_bias() -> BoxedStrategy<Case> {
    (
        1..=3usize,
        1..=4usize,
        prop::collection::vec(1..=3usize, 0..=2),
    )
        .prop_flat_map(|(n, c, rest)| {
            let x = [vec![n, c], rest].concat();
            (tensor(x, FREE), tensor(vec![c], FREE))
        })
        .prop_map(|(x, b)| case(Kind::AddBias, vec![x, b]))
        .boxed()
}

fn global_avg_pool() -> BoxedStrategy<Case> {
    shape(4..=4, 3)
        .prop_flat_map(|s| tensor(s, FREE))
        .prop_map(|x| case(Kind::GlobalAvgPool, vec![x]))
        .boxed()
}

/// Ops of the engine (each implements `Op` directly).
pub fn primitive_case() -> BoxedStrategy<Case> {
    prop_oneof![
        1 => elementwise_binary(),
        1 => scale(),
        2 => matmul(),
        1 => broadcast_and_sum(),
        1 => reshape(),
        1 => gather_and_scatter(),
        4 => unary(),
        1 => log_softmax(),
    ]
    .boxed()
}

/// Ops and the composites built from them through `Var` methods.
pub fn any_case() -> BoxedStrategy<Case> {
    prop_oneof![
        6 => primitive_case(),
        1 => cross_entropy(),
        1 => mse(),
        1 => add_bias(),
        1 => global_avg_pool(),
    ]
    .boxed()
}
