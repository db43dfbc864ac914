//! The device-resident MLP summaries ([`MlpJets`]) against the CPU engine's `jet_summaries`, over random MLPs
//! (depth 1–4, widths 1–6, with and without biases, every activation), random batches, random partitions (groups
//! spanning layers, tensors left out) and random directions; a wider f32 case; and the errors of malformed
//! problems.

use jetnewton_engine::summaries::{jet_summaries, Direction, Groups, Summaries, SummaryOptions};
use jetnewton_engine::{Graph, NodeId, Tensor, Var};
use jetnewton_kernels::mlp::{DenseLayer, MlpJets, MlpParam, MlpProblem};
use jetnewton_kernels::ops::elementwise::Activation;
use jetnewton_kernels::{Backend, KernelError};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A random MLP problem in plain vectors: widths, per-layer weight, bias and their directions, batch, labels,
/// the group of every tensor (`None`: in no group).
#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    activation: usize,
    weights: Vec<Vec<f64>>,
    biases: Vec<Option<Vec<f64>>>,
    weight_dirs: Vec<Vec<f64>>,
    bias_dirs: Vec<Vec<f64>>,
    x: Vec<f64>,
    labels: Vec<i64>,
    weight_group: Vec<Option<usize>>,
    bias_group: Vec<Option<usize>>,
}

const ACTIVATIONS: [Activation; 4] = [
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Elu { alpha: 1.0 },
    Activation::Relu,
];

fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.5f64..1.5, n)
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1usize..=6, 2..=5),
        1usize..=5,
        0usize..4,
    )
        .prop_flat_map(|(widths, rows, activation)| {
            let layers = widths.len() - 1;
            let sizes: Vec<usize> = (0..layers).map(|i| widths[i] * widths[i + 1]).collect();
            let outs: Vec<usize> = widths[1..].to_vec();
            let classes = widths[layers] as i64;
            (
                Just(widths.clone()),
                Just(activation),
                sizes.iter().map(|&n| values(n)).collect::<Vec<_>>(),
                outs.iter()
                    .map(|&n| prop::option::weighted(0.7, values(n)))
                    .collect::<Vec<_>>(),
                sizes.iter().map(|&n| values(n)).collect::<Vec<_>>(),
                outs.iter().map(|&n| values(n)).collect::<Vec<_>>(),
                values(rows * widths[0]),
                prop::collection::vec(0..classes, rows),
                prop::collection::vec(prop::option::weighted(0.85, 0usize..4), layers),
                prop::collection::vec(prop::option::weighted(0.85, 0usize..4), layers),
            )
        })
        .prop_map(
            |(widths, activation, weights, biases, weight_dirs, bias_dirs, x, labels, wg, bg)| {
                Case {
                    widths,
                    activation,
                    weights,
                    biases,
                    weight_dirs,
                    bias_dirs,
                    x,
                    labels,
                    weight_group: wg,
                    bias_group: bg,
                }
            },
        )
}

impl Case {
    fn layers(&self) -> usize {
        self.widths.len() - 1
    }

    /// The groups, renumbered densely (the random labels may skip numbers), as lists of tensors.
    fn groups(&self) -> Vec<Vec<MlpParam>> {
        let mut labelled: Vec<(usize, MlpParam)> = Vec::new();
        for i in 0..self.layers() {
            if let Some(g) = self.weight_group[i] {
                labelled.push((g, MlpParam::Weight(i)));
            }
            if let (Some(g), Some(_)) = (self.bias_group[i], &self.biases[i]) {
                labelled.push((g, MlpParam::Bias(i)));
            }
        }
        let mut ids: Vec<usize> = labelled.iter().map(|&(g, _)| g).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter()
            .map(|&id| {
                labelled
                    .iter()
                    .filter(|&&(g, _)| g == id)
                    .map(|&(_, p)| p)
                    .collect()
            })
            .collect()
    }

    fn problem(&self) -> MlpProblem<'_, f64> {
        let groups = self.groups();
        let grouped = |p: MlpParam| groups.iter().any(|g| g.contains(&p));
        let layers = (0..self.layers())
            .map(|i| DenseLayer {
                in_features: self.widths[i],
                out_features: self.widths[i + 1],
                weight: &self.weights[i],
                bias: self.biases[i].as_deref(),
                weight_dir: grouped(MlpParam::Weight(i)).then_some(&self.weight_dirs[i][..]),
                bias_dir: grouped(MlpParam::Bias(i)).then_some(&self.bias_dirs[i][..]),
            })
            .collect();
        MlpProblem {
            layers,
            activation: ACTIVATIONS[self.activation],
            x: &self.x,
            labels: &self.labels,
            groups,
        }
    }

    /// The same network on the CPU engine's tape.
    fn on_engine(&self) -> Summaries {
        let g = Graph::<f64>::new();
        let rows = self.labels.len();
        let tensor = |shape: Vec<usize>, v: &[f64]| Tensor::from_vec(shape, v.to_vec()).unwrap();
        let mut h: Var<'_, f64> = g.constant(tensor(vec![rows, self.widths[0]], &self.x));
        let mut ids: Vec<(MlpParam, NodeId)> = Vec::new();
        let mut dir = Direction::new();
        for i in 0..self.layers() {
            let (inp, out) = (self.widths[i], self.widths[i + 1]);
            let w = g.param(
                format!("{i}.weight"),
                tensor(vec![out, inp], &self.weights[i]),
            );
            ids.push((MlpParam::Weight(i), w.id()));
            dir.insert(w.id(), tensor(vec![out, inp], &self.weight_dirs[i]));
            h = h.matmul_t(w).unwrap();
            if let Some(b) = &self.biases[i] {
                let bv = g.param(format!("{i}.bias"), tensor(vec![out], b));
                ids.push((MlpParam::Bias(i), bv.id()));
                dir.insert(bv.id(), tensor(vec![out], &self.bias_dirs[i]));
                h = h.add_bias(bv).unwrap();
            }
            if i + 1 < self.layers() {
                h = match self.activation {
                    0 => h.tanh(),
                    1 => h.sigmoid(),
                    2 => h.elu(),
                    _ => h.relu(),
                }
                .unwrap();
            }
        }
        let labels: Vec<usize> = self.labels.iter().map(|&c| c as usize).collect();
        let loss = h.cross_entropy(&labels).unwrap();
        let node = |p: MlpParam| ids.iter().find(|(q, _)| *q == p).unwrap().1;
        let groups = self
            .groups()
            .iter()
            .map(|grp| grp.iter().map(|&p| node(p)).collect())
            .collect();
        let groups = Groups::new(&g, groups).unwrap();
        jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap()
    }
}

/// `|a − b| ≤ 1e-10 · (1 + max |b|)` entrywise. Both sides compute the same multilinear forms in f64 in different
/// orders (the GEMM kernel's tiles against the `gemm` crate, the contraction kernel's fixed-order f64 sums
/// against sequential ones): rounding of ~1e-16 relative per term, far below 1e-10 for nets this small, while a
/// wrong plane, flag or offset gives O(1) differences.
fn assert_close(a: &[f64], b: &[f64], what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    let scale = 1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        prop_assert!(
            (x - y).abs() <= 1e-10 * scale,
            "{}[{}]: {} on the kernels vs {} on the engine",
            what,
            i,
            x,
            y
        );
    }
    Ok(())
}

/// One random case on `b` against the engine.
fn matches_the_engine<B: Backend>(b: &B, c: &Case) -> Result<(), TestCaseError> {
    if c.groups().is_empty() {
        return Ok(());
    }
    let mut jets = MlpJets::new(b, &c.problem()).unwrap();
    let got = jets.summaries().unwrap();
    let want = c.on_engine();
    assert_close(&[got.loss], &[want.loss], "loss")?;
    assert_close(&got.gbar, &want.gbar, "gbar")?;
    assert_close(&got.hbar.concat(), &want.hbar.concat(), "hbar")?;
    assert_close(&got.d3, &want.d3, "d3")?;
    // A second call reuses the buffers: the same numbers, bit for bit.
    prop_assert_eq!(jets.summaries().unwrap(), got);
    Ok(())
}

/// Every check of this family on `b`: random f64 cases against the engine, a wider f32 case, malformed problems.
pub fn check<B: Backend>(b: &B) {
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    if let Err(e) = runner.run(&case(), |c| matches_the_engine(b, &c)) {
        panic!("resident MLP summaries: {e}");
    }
    multi_tile_matches_the_engine(b);
    f32_matches_the_engine_in_f64(b);
    malformed_problems_name_the_fault(b);
}

/// Shapes past one 64×64 tile of the GEMM and past one block of the contraction (W₀ has 4 620 values, so its
/// dots split over three blocks): rows 67, widths 70 → 66 → 3, every tensor its own group, f64 (1e-10, as above).
fn multi_tile_matches_the_engine<B: Backend>(b: &B) {
    let widths = vec![70usize, 66, 3];
    let rows = 67;
    let value = |i: usize, salt: usize| ((i * 7919 + salt * 104_729) % 1000) as f64 / 1000.0 - 0.5;
    let vals = |n: usize, salt: usize| (0..n).map(|i| value(i, salt)).collect::<Vec<f64>>();
    let c = Case {
        weights: vec![vals(70 * 66, 1), vals(66 * 3, 2)],
        biases: vec![Some(vals(66, 3)), Some(vals(3, 4))],
        weight_dirs: vec![vals(70 * 66, 5), vals(66 * 3, 6)],
        bias_dirs: vec![vals(66, 7), vals(3, 8)],
        x: vals(rows * 70, 9),
        labels: (0..rows).map(|r| (r % 3) as i64).collect(),
        weight_group: vec![Some(0), Some(2)],
        bias_group: vec![Some(1), Some(3)],
        widths,
        activation: 0,
    };
    matches_the_engine(b, &c).unwrap_or_else(|e| panic!("multi-tile case: {e}"));
}

/// f32, the training precision, on a wider net than the property's: agreement within 1e-4 of the largest entry
/// (single-precision sums over a few hundred terms per product, through a second-order jet).
fn f32_matches_the_engine_in_f64<B: Backend>(b: &B) {
    let widths = [20usize, 16, 12, 5];
    let rows = 24;
    let value =
        |i: usize, salt: usize| (((i * 7919 + salt * 104_729) % 1000) as f64 / 500.0 - 1.0) * 0.8;
    let c = Case {
        widths: widths.to_vec(),
        activation: 0,
        weights: (0..3)
            .map(|l| {
                (0..widths[l] * widths[l + 1])
                    .map(|i| value(i, l))
                    .collect()
            })
            .collect(),
        biases: (0..3)
            .map(|l| Some((0..widths[l + 1]).map(|i| value(i, 10 + l)).collect()))
            .collect(),
        weight_dirs: (0..3)
            .map(|l| {
                (0..widths[l] * widths[l + 1])
                    .map(|i| value(i, 20 + l))
                    .collect()
            })
            .collect(),
        bias_dirs: (0..3)
            .map(|l| (0..widths[l + 1]).map(|i| value(i, 30 + l)).collect())
            .collect(),
        x: (0..rows * widths[0]).map(|i| value(i, 40)).collect(),
        labels: (0..rows).map(|r| (r % 5) as i64).collect(),
        weight_group: vec![Some(0), Some(1), Some(2)],
        bias_group: vec![Some(3), Some(4), Some(5)],
    };
    let want = c.on_engine();
    let p = c.problem();
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let (w, bias, wd, bd): (Vec<_>, Vec<_>, Vec<_>, Vec<_>) = (
        p.layers.iter().map(|l| f32s(l.weight)).collect(),
        p.layers.iter().map(|l| f32s(l.bias.unwrap())).collect(),
        p.layers
            .iter()
            .map(|l| f32s(l.weight_dir.unwrap()))
            .collect(),
        p.layers.iter().map(|l| f32s(l.bias_dir.unwrap())).collect(),
    );
    let x = f32s(p.x);
    let problem = MlpProblem {
        layers: (0..3)
            .map(|i| DenseLayer {
                in_features: widths[i],
                out_features: widths[i + 1],
                weight: &w[i][..],
                bias: Some(&bias[i][..]),
                weight_dir: Some(&wd[i][..]),
                bias_dir: Some(&bd[i][..]),
            })
            .collect(),
        activation: Activation::Tanh,
        x: &x,
        labels: p.labels,
        groups: p.groups.clone(),
    };
    let got = MlpJets::new(b, &problem).unwrap().summaries().unwrap();
    let close = |a: &[f64], b: &[f64], what: &str| {
        let scale = 1.0 + b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-4 * scale,
                "{what}[{i}]: {x} (f32 kernels) vs {y} (f64 engine)"
            );
        }
    };
    close(&[got.loss], &[want.loss], "loss");
    close(&got.gbar, &want.gbar, "gbar");
    close(&got.hbar.concat(), &want.hbar.concat(), "hbar");
    close(&got.d3, &want.d3, "d3");
}

fn malformed_problems_name_the_fault<B: Backend>(b: &B) {
    let (w, short, u, x) = (vec![0.5; 6], vec![0.5; 5], vec![0.1; 6], vec![1.0; 4]);
    let base = || MlpProblem {
        layers: vec![DenseLayer {
            in_features: 2,
            out_features: 3,
            weight: &w[..],
            bias: None,
            weight_dir: Some(&u[..]),
            bias_dir: None,
        }],
        activation: Activation::Tanh,
        x: &x[..],
        labels: &[0, 2],
        groups: vec![vec![MlpParam::Weight(0)]],
    };
    let message = |p: MlpProblem<'_, f64>| match MlpJets::new(b, &p) {
        Err(KernelError::InvalidArgument { reason, .. }) => reason,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("accepted a malformed problem"),
    };
    assert!(MlpJets::new(b, &base()).is_ok());
    let cases: Vec<(MlpProblem<'_, f64>, &str)> = vec![
        (
            MlpProblem {
                labels: &[0, 3],
                ..base()
            },
            "label 3 of row 1 is outside 0..3",
        ),
        (
            MlpProblem {
                labels: &[0],
                ..base()
            },
            "1 labels for 2 rows",
        ),
        (
            MlpProblem {
                groups: vec![vec![MlpParam::Bias(0)]],
                ..base()
            },
            "group 0: Bias(0) has no direction",
        ),
        (
            MlpProblem {
                groups: vec![vec![MlpParam::Weight(1)]],
                ..base()
            },
            "group 0: Weight(1) is past the last layer",
        ),
        (
            MlpProblem {
                groups: vec![vec![MlpParam::Weight(0)], vec![MlpParam::Weight(0)]],
                ..base()
            },
            "Weight(0) is in two groups",
        ),
        (
            MlpProblem {
                groups: vec![vec![]],
                ..base()
            },
            "group 0 is empty",
        ),
        (
            MlpProblem {
                x: &x[..3],
                ..base()
            },
            "the batch holds 3 values, not a positive multiple of the 2 input features",
        ),
        (
            MlpProblem {
                layers: vec![],
                ..base()
            },
            "the MLP has no layer",
        ),
    ];
    for (p, want) in cases {
        assert_eq!(message(p), want);
    }
    let mut p = base();
    p.layers[0].weight = &short;
    assert_eq!(message(p), "layer 0: the weight holds 5 values, expected 6");
}
