//! The full symmetric `D^d` by polarised jets against independent computations in f64: `gbar` and `hbar` of the
//! summaries (d = 1, 2), the full D³ of polarised reverse jets (d = 3), and Richardson-extrapolated central
//! differences of that D³ along each group's direction (d = 4).

use std::collections::BTreeMap;

use jetnewton_engine::summaries::{
    full_d3, jet_summaries, symmetric_derivative, Direction, Groups, SummaryOptions,
};
use jetnewton_engine::{EngineError, Graph, NodeId, Tensor};

const SHAPES: [&[usize]; 4] = [&[5, 4], &[5], &[3, 5], &[3]];

/// A tanh MLP 4-5-3 with cross-entropy on a fixed batch of 3, at parameters `params`; its groups are {W1},
/// {b1}, {W2, b2}, and the direction is a fixed random one.
fn problem(g: &Graph<f64>, params: &[Tensor<f64>]) -> (NodeId, Groups, Direction<f64>) {
    let x = g.constant(Tensor::randn(&[3, 4], 11));
    let p: Vec<_> = ["w1", "b1", "w2", "b2"]
        .iter()
        .zip(params)
        .map(|(n, t)| g.param(*n, t.clone()))
        .collect();
    let h = x
        .matmul_t(p[0])
        .unwrap()
        .add_bias(p[1])
        .unwrap()
        .tanh()
        .unwrap();
    let out = h.matmul_t(p[2]).unwrap().add_bias(p[3]).unwrap();
    let loss = out.cross_entropy(&[0, 2, 1]).unwrap();
    let ids: Vec<NodeId> = p.iter().map(|v| v.id()).collect();
    let groups = Groups::new(g, vec![vec![ids[0]], vec![ids[1]], vec![ids[2], ids[3]]]).unwrap();
    let mut dir = Direction::new();
    for (i, (&id, shape)) in ids.iter().zip(SHAPES).enumerate() {
        dir.insert(id, direction(i, shape));
    }
    (loss.id(), groups, dir)
}

fn direction(i: usize, shape: &[usize]) -> Tensor<f64> {
    Tensor::randn(shape, 100 + i as u64)
}

fn base_params() -> Vec<Tensor<f64>> {
    SHAPES
        .iter()
        .enumerate()
        .map(|(i, s)| Tensor::randn(s, i as u64).scale(0.7))
        .collect()
}

fn dd(params: &[Tensor<f64>], order: usize) -> BTreeMap<Vec<usize>, f64> {
    let g = Graph::new();
    let (loss, groups, dir) = problem(&g, params);
    symmetric_derivative(&g, loss, &groups, &dir, order).unwrap()
}

fn d3(params: &[Tensor<f64>]) -> BTreeMap<(usize, usize, usize), f64> {
    let g = Graph::new();
    let (loss, groups, dir) = problem(&g, params);
    full_d3(&g, loss, &groups, &dir).unwrap()
}

/// Largest magnitude, the scale of relative tolerances.
fn scale<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    values.fold(0.0f64, |m, v| m.max(v.abs()))
}

#[test]
fn orders_one_to_three_are_gbar_hbar_and_the_full_d3() {
    let params = base_params();
    let g = Graph::new();
    let (loss, groups, dir) = problem(&g, &params);
    let s = jet_summaries(&g, loss, &groups, &dir, SummaryOptions::default()).unwrap();
    // Exact methods in f64 that differ in summation order only: agreement to 1e-12 of the largest entry.
    let d1 = dd(&params, 1);
    for (a, &v) in &d1 {
        assert!(
            (v - s.gbar[a[0]]).abs() <= 1e-12 * scale(s.gbar.iter()),
            "{a:?}"
        );
    }
    let d2 = dd(&params, 2);
    let hmax = scale(s.hbar.iter().flatten());
    for (a, &v) in &d2 {
        let sym = 0.5 * (s.hbar[a[0]][a[1]] + s.hbar[a[1]][a[0]]);
        assert!((v - sym).abs() <= 1e-12 * hmax, "{a:?}: {v} vs {sym}");
    }
    assert_eq!(d2.len(), 6);
    let d3_jets = dd(&params, 3);
    let reference = d3(&params);
    let tmax = scale(reference.values());
    assert_eq!(d3_jets.len(), reference.len());
    for (&(a, b, c), &want) in &reference {
        let got = d3_jets[&vec![a, b, c]];
        assert!(
            (got - want).abs() <= 1e-11 * tmax,
            "{a}{b}{c}: {got} vs {want}"
        );
    }
}

#[test]
fn order_four_is_the_derivative_of_the_full_d3() {
    let params = base_params();
    let d4 = dd(&params, 4);
    assert_eq!(d4.len(), 15); // C(3 + 4 − 1, 4)
    let fmax = scale(d4.values());
    // D⁴[a,b,c,t] = d/dh D³(θ + h·u_t)[a,b,c]; the central difference has error O(h²) and Richardson's
    // (4·D(h/2) − D(h))/3 error O(h⁴) ≈ 1e-12 at h = 1e-3, above which rounding (ε/h ≈ 1e-13 of D³) stays:
    // 1e-7 of the largest entry leaves room for both.
    let h = 1e-3;
    let moved = |t: usize, step: f64| -> BTreeMap<(usize, usize, usize), f64> {
        let mut p = base_params();
        let group: &[usize] = match t {
            0 => &[0],
            1 => &[1],
            _ => &[2, 3],
        };
        for &i in group {
            p[i].axpy(step, &direction(i, SHAPES[i])).unwrap();
        }
        d3(&p)
    };
    for t in 0..3 {
        let central = |h: f64| {
            let (plus, minus) = (moved(t, h), moved(t, -h));
            plus.iter()
                .map(|(k, v)| (*k, (v - minus[k]) / (2.0 * h)))
                .collect::<BTreeMap<_, _>>()
        };
        let (coarse, fine) = (central(h), central(h / 2.0));
        for (&(a, b, c), &f) in &fine {
            let fd = (4.0 * f - coarse[&(a, b, c)]) / 3.0;
            let mut index = vec![a, b, c, t];
            index.sort_unstable();
            let got = d4[&index];
            assert!((got - fd).abs() <= 1e-7 * fmax, "{index:?}: {got} vs {fd}");
        }
    }
}

#[test]
fn orders_outside_one_to_four_are_refused() {
    let params = base_params();
    let g = Graph::new();
    let (loss, groups, dir) = problem(&g, &params);
    for order in [0, 5, 9] {
        let err = symmetric_derivative(&g, loss, &groups, &dir, order).unwrap_err();
        assert!(matches!(err, EngineError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains("outside 1..=4"), "{err}");
    }
}
