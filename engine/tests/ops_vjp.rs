//! Reverse rules of every op against finite differences: the vjp recorded on the tape (through `Graph::grad` of
//! the scalar `sum(y ⊙ r)`, `r` random), and the vjps of those vjps — the rules are recorded as ops, so the
//! gradient is itself differentiable, which double backward and the summaries oracle depend on.
//!
//! Oracle: Richardson-extrapolated central differences of the op's own forward (see `support::taylor_fd`), with
//! inputs kept inside each op's domain and away from kinks (`support::cases`).

mod support;

use jetnewton_engine::{Graph, Tensor, Var};
use proptest::prelude::*;
use support::cases::{any_case, Case};
use support::{assert_close, axpy, flat, rng, taylor_fd, uniform};

/// Derivatives of order `m` of `L(x) = sum(op(x) ⊙ r)` by the tape: with `dirs = [v₁, …, v_{m−1}]`, the gradient
/// of `<…<<∇L, v₁>, v₂>…, v_{m−1}>` — i.e. `∇^m L[v₁, …, v_{m−1}, ·]` — one tensor per input. `dirs = []` is the
/// plain gradient (`Graph::grad`); every further level differentiates the previous level's gradient nodes.
/// With `tied`, every input is the same parameter (fan-out: cotangents must accumulate).
fn tape_derivative(
    case: &Case,
    xs: &[Tensor<f64>],
    r: &Tensor<f64>,
    dirs: &[Vec<Tensor<f64>>],
    tied: bool,
) -> Vec<Tensor<f64>> {
    let g = Graph::new();
    let params: Vec<Var<'_, f64>> = if tied {
        vec![g.param("x", xs[0].clone())]
    } else {
        xs.iter()
            .enumerate()
            .map(|(i, x)| g.param(format!("x{i}"), x.clone()))
            .collect()
    };
    let args: Vec<Var<'_, f64>> = (0..xs.len())
        .map(|i| params[if tied { 0 } else { i }])
        .collect();
    let ids: Vec<usize> = params.iter().map(|p| p.id()).collect();
    let y = case.kind.apply(&g, &args).unwrap();
    let mut scalar = y.mul(g.constant(r.clone())).unwrap().sum().unwrap();
    if dirs.is_empty() {
        return g.grad(scalar.id(), &ids).unwrap();
    }
    for d in dirs {
        let grads = g.grad_nodes(scalar.id(), &ids).unwrap();
        let mut next: Option<Var<'_, f64>> = None;
        for (gi, di) in grads.iter().zip(d) {
            let term = g
                .var(*gi)
                .unwrap()
                .mul(g.constant(di.clone()))
                .unwrap()
                .sum()
                .unwrap();
            next = Some(match next {
                None => term,
                Some(acc) => acc.add(term).unwrap(),
            });
        }
        scalar = next.unwrap();
    }
    g.grad(scalar.id(), &ids).unwrap()
}

/// `<op(xs), r>`, by the op's forward only.
fn pairing(case: &Case, xs: &[Tensor<f64>], r: &Tensor<f64>) -> f64 {
    case.kind.forward(xs).dot_f64(r).unwrap()
}

/// Random tensors shaped like `xs`, entries in `[-1, 1)` (so a step `t·v` with `|t| ≤ 0.04` stays in the domain).
fn like(rng: &mut rand_chacha::ChaCha8Rng, xs: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    xs.iter()
        .map(|x| uniform(rng, x.shape(), -1.0, 1.0))
        .collect()
}

fn shifted(xs: &[Tensor<f64>], t: f64, v: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    xs.iter().zip(v).map(|(x, v)| axpy(x, t, v)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `Graph::grad` of `sum(op(x) ⊙ r)` equals central differences in every element of every input.
    #[test]
    fn vjp_matches_central_differences(case in any_case(), seed in any::<u64>()) {
        let mut rng = rng(seed);
        let r = uniform(&mut rng, case.output().shape(), -1.0, 1.0);
        let grads = tape_derivative(&case, &case.inputs, &r, &[], false);
        for (i, x) in case.inputs.iter().enumerate() {
            let fd: Vec<f64> = (0..x.numel())
                .map(|e| {
                    let phi = |t: f64| {
                        let mut xs = case.inputs.clone();
                        xs[i].data_mut()[e] += t;
                        vec![pairing(&case, &xs, &r)]
                    };
                    taylor_fd(&phi, 1)[0]
                })
                .collect();
            // Richardson-extrapolated differences are accurate to ~1e-10 for these O(1) smooth functions
            // (truncation h⁴·|L⁽⁵⁾| with h = 1e-3; rounding ε·|L|/h); 1e-7 leaves room for log near its 0.3 bound.
            assert_close(grads[i].data(), &fd, 1e-7, &format!("{case:?}: d/dx{i}"));
        }
    }

    /// Double backward (`∇<∇L, v>`, the Hessian-vector product) equals differences of the gradient along `v`, and
    /// triple backward (`∇<∇<∇L, v>, w>`) equals differences of that product along `w`: the vjp rules, recorded as
    /// ops, are themselves differentiated correctly (Unary { deriv ≥ 1 }, Poly, products of cotangents, …).
    #[test]
    fn vjp_of_vjp_matches_differences_of_lower_order(case in any_case(), seed in any::<u64>()) {
        let mut rng = rng(seed);
        let r = uniform(&mut rng, case.output().shape(), -1.0, 1.0);
        let v = like(&mut rng, &case.inputs);
        let w = like(&mut rng, &case.inputs);
        let hv = tape_derivative(&case, &case.inputs, &r, std::slice::from_ref(&v), false);
        let fd_hv = taylor_fd(&|t| flat(&tape_derivative(&case, &shifted(&case.inputs, t, &v), &r, &[], false)), 1);
        // Same error budget as the gradient check, one derivative higher: ≤ ~1e-9 relative.
        assert_close(&flat(&hv), &fd_hv, 1e-7, &format!("{case:?}: H v"));
        let third = tape_derivative(&case, &case.inputs, &r, &[v.clone(), w.clone()], false);
        let fd_third = taylor_fd(
            &|t| flat(&tape_derivative(&case, &shifted(&case.inputs, t, &w), &r, std::slice::from_ref(&v), false)),
            1,
        );
        assert_close(&flat(&third), &fd_third, 1e-7, &format!("{case:?}: D³[v, w, ·]"));
    }

    /// Fan-out: with every input tied to one parameter (`x ⊙ x`, `x − x`, `mse(x, x)`, `x·x` for square `x`, …),
    /// the cotangents of the uses are summed, at first and second order.
    #[test]
    fn tied_inputs_accumulate_cotangents(case in any_case(), seed in any::<u64>()) {
        let same_shape = case.inputs.len() >= 2 && case.inputs.iter().all(|x| x.shape() == case.inputs[0].shape());
        if same_shape {
            let mut rng = rng(seed);
            let x0 = case.inputs[0].clone();
            let tied_inputs = vec![x0.clone(); case.inputs.len()];
            let r = uniform(&mut rng, case.kind.forward(&tied_inputs).shape(), -1.0, 1.0);
            let v = uniform(&mut rng, x0.shape(), -1.0, 1.0);
            let phi = |t: f64| vec![pairing(&case, &vec![axpy(&x0, t, &v); case.inputs.len()], &r)];
            let g = tape_derivative(&case, &tied_inputs, &r, &[], true);
            let gv = g[0].dot_f64(&v).unwrap();
            // Directional derivative: same budget as above.
            assert_close(&[gv], &taylor_fd(&phi, 1), 1e-7, &format!("{case:?}: tied <g, v>"));
            let hv = tape_derivative(&case, &tied_inputs, &r, &[vec![v.clone()]], true);
            let vhv = hv[0].dot_f64(&v).unwrap();
            // Second directional derivative: taylor_fd gives φ''/2.
            assert_close(&[vhv / 2.0], &taylor_fd(&phi, 2), 1e-7, &format!("{case:?}: tied vᵀHv"));
        }
    }
}
