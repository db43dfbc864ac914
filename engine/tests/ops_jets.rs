//! Taylor-mode rules of every op: `Op::jet` (through `forward_jets`), `Op::jet_vjp` and the `reverse_jets`
//! interpreter, along exact polynomial curves `x(t) = x₀ + t x₁ + t² x₂` (random coefficients, some of them zero
//! tags) for orders K = 1..4.
//!
//! Oracles, from the most to the least exact:
//! - a scalar power-series arithmetic written here from the ops' definitions (Cauchy products; the ODE recurrences
//!   `y' = x'·y` for exp, `y' = x'(1 − y²)` for tanh, `y' = x'(y − y²)` for sigmoid, `x y' = x'` for log; closed
//!   forms of the derivatives up to the third), independent of the engine's Faà di Bruno tables — all orders;
//! - Richardson-extrapolated central differences of the op's forward along the curve — orders 1 to 3, tying the
//!   series oracle to the engine's own `forward`;
//! - for the reverse rules lifted to jets: the forward jet of the vjp *recorded on the tape* (the Taylor
//!   coefficients of `t ↦ vjp(x(t), gy(t))`, composed from forward rules checked above), plus differences of the
//!   ordinary vjp along the curve for low orders.

mod support;

use std::collections::BTreeMap;

use jetnewton_engine::jet::{
    forward_jets, forward_jets_shared, reverse_jets, Contractions, ReversePlan,
};
use jetnewton_engine::{Graph, Jet, Tensor, Var};
use proptest::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use support::cases::{any_case, primitive_case, Kind};
use support::series::{series_oracle, TS};
use support::{assert_close, coeff_values, curve_at, rng, taylor_fd, uniform};

/// Coefficients `x₁, x₂` (entries in `[-1, 1)`) of a curve through `x₀`, each independently a zero tag with
/// probability 1/4, truncated to the jet order `k` (coefficients above 2 are zero tags).
fn random_curve(rng: &mut ChaCha8Rng, x0: &Tensor<f64>, k: usize) -> Vec<Option<Tensor<f64>>> {
    (1..=k)
        .map(|j| (j <= 2 && rng.random_bool(0.75)).then(|| uniform(rng, x0.shape(), -1.0, 1.0)))
        .collect()
}

fn jet_of(x0: &Tensor<f64>, coeffs: &[Option<Tensor<f64>>]) -> Jet<f64> {
    let mut j = Jet::constant(x0.clone(), coeffs.len());
    for (c, slot) in coeffs.iter().zip(j.coeffs.iter_mut().skip(1)) {
        *slot = c.clone();
    }
    j
}

fn params<'g>(g: &'g Graph<f64>, xs: &[Tensor<f64>]) -> Vec<Var<'g, f64>> {
    xs.iter()
        .enumerate()
        .map(|(i, x)| g.param(format!("x{i}"), x.clone()))
        .collect()
}

/// Asserts `got[k−1] = <coeffs[k−1], u>` to `tol` relative to `Σ|coeff ⊙ u|` (the scale of the terms the dot
/// product sums, which may cancel).
fn assert_dots(got: &[f64], coeffs: &[Vec<f64>], u: &Tensor<f64>, tol: f64, what: &str) {
    for (kk, (g, c)) in got.iter().zip(coeffs).enumerate() {
        let terms = c.iter().zip(u.data()).map(|(a, b)| a * b);
        let (dot, scale) = terms.fold((0.0, 0.0), |(d, s), t| (d + t, s + t.abs()));
        assert!(
            (g - dot).abs() <= tol * (1.0 + scale),
            "{what}: coefficient {}: {g} vs {dot} (scale {scale})",
            kk + 1
        );
    }
}

/// Asserts that `jet` has coefficients `from..=k` equal to `expected(k)`, a zero tag counting as zeros.
fn assert_jet(
    jet: Option<&Jet<f64>>,
    shape: &[usize],
    from: usize,
    k: usize,
    expected: impl Fn(usize) -> Vec<f64>,
    tol: f64,
    what: &str,
) {
    for kk in from..=k {
        let actual = coeff_values(jet.and_then(|j| j.get(kk)), shape);
        assert_close(
            &actual,
            &expected(kk),
            tol,
            &format!("{what}: coefficient {kk}"),
        );
    }
}

// The series oracle and the engine differ only by rounding of the same truncated series: ~1e-15 relative to the
// scale of a coefficient, amplified by at most a few hundred by cancellation inside sums (log-softmax, matmul) and
// by the growth of coefficients of log near its bound x₀ = 0.3. 1e-11 leaves a margin of ~100 over that.
const SERIES_TOL: f64 = 1e-11;

// Richardson-extrapolated differences (`support::taylor_fd`) are accurate to ~5e-8 relative at orders 1–2 and
// ~2e-6 at order 3 in the worst case drawn, log⁽³⁾ near x₀ = 0.3 moving at speed 1 (radius of convergence 0.3 in
// t, so truncation ~(h/0.3)⁴ dominates); a factor ≥ 50 of margin on top.
fn fd_tol(k: usize) -> f64 {
    if k <= 2 {
        5e-6
    } else {
        1e-4
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `forward_jets` (hence every `Op::jet`) along a random curve equals the series oracle, K = 1..4; inputs that
    /// are not seeded stay constant, and when none is seeded the output jet is the zero tag itself.
    #[test]
    fn forward_jet_matches_series_oracle(case in any_case(), k in 1..=4usize, seed in any::<u64>()) {
        let mut rng = rng(seed);
        let curves: Vec<Vec<Option<Tensor<f64>>>> = case
            .inputs
            .iter()
            .map(|x| if rng.random_bool(0.8) { random_curve(&mut rng, x, k) } else { vec![None; k] })
            .collect();
        let g = Graph::new();
        let ps = params(&g, &case.inputs);
        let y = case.kind.apply(&g, &ps).unwrap();
        let seeds: Vec<(usize, Vec<Option<Tensor<f64>>>)> =
            ps.iter().zip(&curves).map(|(p, c)| (p.id(), c.clone())).collect();
        let jets = forward_jets(&g, y.id(), &seeds, k).unwrap();
        let series: Vec<TS> = case.inputs.iter().zip(&curves).map(|(x, c)| TS::from_curve(x, c, k)).collect();
        let oracle = series_oracle(&case.kind, &series);
        let y0 = y.value();
        prop_assert_eq!(&oracle.shape, &y0.shape().to_vec());
        let all_constant = curves.iter().flatten().all(Option::is_none);
        if all_constant {
            prop_assert!(jets[y.id()].is_none(), "constant inputs must give the zero tag, not a jet");
        } else if let Some(j) = &jets[y.id()] {
            prop_assert_eq!(j.order(), k);
            assert_close(j.get(0).unwrap().data(), &oracle.coeff(0), SERIES_TOL, "coefficient 0");
        }
        assert_jet(jets[y.id()].as_ref(), y0.shape(), 1, k, |kk| oracle.coeff(kk), SERIES_TOL, &format!("{case:?}"));
    }

    /// Orders 1–3 of the jet equal finite differences of the op's own forward along the curve.
    #[test]
    fn forward_jet_matches_differences_of_forward(case in any_case(), seed in any::<u64>()) {
        let k = 3;
        let mut rng = rng(seed);
        let curves: Vec<Vec<Option<Tensor<f64>>>> = case.inputs.iter().map(|x| random_curve(&mut rng, x, k)).collect();
        let g = Graph::new();
        let ps = params(&g, &case.inputs);
        let y = case.kind.apply(&g, &ps).unwrap();
        let seeds: Vec<(usize, Vec<Option<Tensor<f64>>>)> =
            ps.iter().zip(&curves).map(|(p, c)| (p.id(), c.clone())).collect();
        let jets = forward_jets(&g, y.id(), &seeds, k).unwrap();
        let phi = |t: f64| {
            let xs: Vec<Tensor<f64>> = case.inputs.iter().zip(&curves).map(|(x, c)| curve_at(x, c, t)).collect();
            case.kind.forward(&xs).data().to_vec()
        };
        for kk in 1..=k {
            assert_jet(jets[y.id()].as_ref(), y.value().shape(), kk, kk, |_| taylor_fd(&phi, kk), fd_tol(kk), &format!("{case:?}"));
        }
    }

    /// `Op::jet_vjp` along `(x(t), gy(t))` equals the forward jet of the op's recorded vjp along the same curve: the
    /// Taylor coefficients of `t ↦ vjp(x(t), gy(t))`, K = 1..4.
    #[test]
    fn jet_vjp_matches_forward_jet_of_recorded_vjp(case in primitive_case(), k in 1..=4usize, seed in any::<u64>()) {
        let op = case.kind.op().unwrap();
        let mut rng = rng(seed);
        let y0 = case.output();
        let gy0 = uniform(&mut rng, y0.shape(), -1.0, 1.0);
        let x_curves: Vec<Vec<Option<Tensor<f64>>>> = case.inputs.iter().map(|x| random_curve(&mut rng, x, k)).collect();
        let gy_curve = random_curve(&mut rng, &gy0, k);
        // The rule under test.
        let x_jets: Vec<Jet<f64>> = case.inputs.iter().zip(&x_curves).map(|(x, c)| jet_of(x, c)).collect();
        let x_refs: Vec<&Jet<f64>> = x_jets.iter().collect();
        let y_jet = op.jet(&x_refs, &y0).unwrap();
        let wanted = vec![true; case.inputs.len()];
        let got = op.jet_vjp(&x_refs, &y_jet, &jet_of(&gy0, &gy_curve), &wanted).unwrap();
        prop_assert_eq!(got.len(), case.inputs.len());
        // The oracle: vjp recorded on a tape whose leaves are x and gy, then run forward as jets.
        let g = Graph::new();
        let ps = params(&g, &case.inputs);
        let ids: Vec<usize> = ps.iter().map(|p| p.id()).collect();
        let y = g.apply(op.clone(), &ids).unwrap();
        let gy = g.param("gy", gy0.clone());
        let vjp = op.vjp(&g, &ids, y, gy.id(), &wanted).unwrap();
        let mut seeds: Vec<(usize, Vec<Option<Tensor<f64>>>)> =
            ids.iter().zip(&x_curves).map(|(&p, c)| (p, c.clone())).collect();
        seeds.push((gy.id(), gy_curve.clone()));
        let jets = forward_jets(&g, g.len() - 1, &seeds, k).unwrap();
        for (i, x) in case.inputs.iter().enumerate() {
            let expected = |kk: usize| match vjp[i] {
                Some(n) => coeff_values(jets[n].as_ref().and_then(|j| j.get(kk)), x.shape()),
                None => vec![0.0; x.numel()],
            };
            let got_i = got[i].as_ref();
            prop_assert!(got_i.is_none_or(|j| j.order() == k));
            assert_jet(got_i, x.shape(), 1, k, expected, SERIES_TOL, &format!("{case:?}: input {i}"));
        }
    }

    /// Orders 1–3 of `Op::jet_vjp` equal finite differences of the ordinary vjp along `(x(t), gy(t))`.
    #[test]
    fn jet_vjp_matches_differences_of_vjp(case in primitive_case(), seed in any::<u64>()) {
        let k = 3;
        let op = case.kind.op().unwrap();
        let mut rng = rng(seed);
        let y0 = case.output();
        let gy0 = uniform(&mut rng, y0.shape(), -1.0, 1.0);
        let x_curves: Vec<Vec<Option<Tensor<f64>>>> = case.inputs.iter().map(|x| random_curve(&mut rng, x, k)).collect();
        let gy_curve = random_curve(&mut rng, &gy0, k);
        let x_jets: Vec<Jet<f64>> = case.inputs.iter().zip(&x_curves).map(|(x, c)| jet_of(x, c)).collect();
        let x_refs: Vec<&Jet<f64>> = x_jets.iter().collect();
        let y_jet = op.jet(&x_refs, &y0).unwrap();
        let wanted = vec![true; case.inputs.len()];
        let got = op.jet_vjp(&x_refs, &y_jet, &jet_of(&gy0, &gy_curve), &wanted).unwrap();
        // The ordinary vjp at the point t of the curve, evaluated on a fresh tape.
        let vjp_at = |t: f64| -> Vec<Vec<f64>> {
            let g = Graph::new();
            let xs: Vec<Tensor<f64>> = case.inputs.iter().zip(&x_curves).map(|(x, c)| curve_at(x, c, t)).collect();
            let ps = params(&g, &xs);
            let ids: Vec<usize> = ps.iter().map(|p| p.id()).collect();
            let y = g.apply(op.clone(), &ids).unwrap();
            let gy = g.constant(curve_at(&gy0, &gy_curve, t));
            let out = op.vjp(&g, &ids, y, gy.id(), &wanted).unwrap();
            out.iter()
                .zip(&xs)
                .map(|(n, x)| n.map_or(vec![0.0; x.numel()], |n| g.value(n).data().to_vec()))
                .collect()
        };
        for (i, x) in case.inputs.iter().enumerate() {
            for kk in 1..=k {
                let fd = taylor_fd(&|t| vjp_at(t)[i].clone(), kk);
                assert_jet(got[i].as_ref(), x.shape(), kk, kk, |_| fd.clone(), fd_tol(kk), &format!("{case:?}: input {i}"));
            }
        }
    }

    /// `reverse_jets` over a small tape (`sum(op(x) ⊙ r)`, composites included) gives the cotangent jets of the
    /// inputs: the Taylor coefficients of `∇L(x(t))`, i.e. the forward jet of the gradient nodes, K = 1..3. Inputs
    /// drawn at random move along a straight line `x + t u` and are contracted, as the summaries do with
    /// parameters: the sweep then returns `<(δx)_k, u>` only, and the forward sweep shares its products
    /// (`forward_jets_shared`), which must not change any forward jet. With `tie`, inputs of one shape are a single
    /// leaf (fan-out).
    #[test]
    fn reverse_jets_match_forward_jet_of_gradient(
        case in any_case(),
        k in 1..=3usize,
        tie in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut rng = rng(seed);
        let n_in = case.inputs.len();
        let tie = tie && n_in >= 2 && case.inputs.iter().all(|x| x.shape() == case.inputs[0].shape());
        let leaves: Vec<Tensor<f64>> = if tie { vec![case.inputs[0].clone()] } else { case.inputs.clone() };
        let leaf_of = |i: usize| if tie { 0 } else { i };
        let xs: Vec<Tensor<f64>> = (0..n_in).map(|i| leaves[leaf_of(i)].clone()).collect();
        let r = uniform(&mut rng, case.kind.forward(&xs).shape(), -1.0, 1.0);
        let contracted: Vec<bool> = leaves.iter().map(|_| rng.random_bool(0.5)).collect();
        let curves: Vec<Vec<Option<Tensor<f64>>>> = leaves
            .iter()
            .zip(&contracted)
            .map(|(x, &c)| if c { vec![Some(uniform(&mut rng, x.shape(), -1.0, 1.0))] } else { random_curve(&mut rng, x, k) })
            .collect();
        let g = Graph::new();
        let ps = params(&g, &leaves);
        let ids: Vec<usize> = ps.iter().map(|p| p.id()).collect();
        let args: Vec<Var<'_, f64>> = (0..n_in).map(|i| ps[leaf_of(i)]).collect();
        let loss = case.kind.apply(&g, &args).unwrap().mul(g.constant(r)).unwrap().sum().unwrap().id();
        let grads = g.grad_nodes(loss, &ids).unwrap();
        let seeds: Vec<(usize, Vec<Option<Tensor<f64>>>)> = ids.iter().zip(&curves).map(|(&p, c)| (p, c.clone())).collect();
        // The oracle: forward jets of the whole tape, gradient nodes included.
        let fwd = forward_jets(&g, g.len() - 1, &seeds, k).unwrap();
        // The sweeps under test, with contractions (each direction is the very tensor the leaf is seeded with).
        let dirs: BTreeMap<usize, &Tensor<f64>> = ids
            .iter()
            .zip(&curves)
            .zip(&contracted)
            .filter(|(_, &c)| c)
            .map(|((&p, c), _)| (p, c[0].as_ref().unwrap()))
            .collect();
        let mut contractions = Contractions::new(dirs);
        let fwd_shared = forward_jets_shared(&g, loss, &seeds, k, Some(&mut contractions)).unwrap();
        for n in 0..=loss {
            let shape = g.value(n).shape().to_vec();
            prop_assert_eq!(fwd_shared[n].is_some(), fwd[n].is_some(), "node {}", n);
            assert_jet(fwd_shared[n].as_ref(), &shape, 1, k, |kk| coeff_values(fwd[n].as_ref().and_then(|j| j.get(kk)), &shape),
                SERIES_TOL, &format!("{case:?}: shared forward jet of node {n}"));
        }
        let delta0: Vec<Option<Tensor<f64>>> =
            g.backward(loss, &ids, false).unwrap().iter().map(|c| c.map(|n| g.value(n))).collect();
        let plan = ReversePlan {
            order_at: g.depends_on(loss, &ids).unwrap().iter().map(|&d| if d { k } else { 0 }).collect(),
        };
        let rev = reverse_jets(&g, loss, &fwd_shared, &delta0, &plan, &mut contractions).unwrap();
        for (i, (&p, &gn)) in ids.iter().zip(&grads).enumerate() {
            let shape = leaves[i].shape();
            let expected = |kk: usize| match &fwd[gn] {
                Some(j) => coeff_values(j.get(kk), shape),
                None if kk == 0 => g.value(gn).data().to_vec(),
                None => vec![0.0; shape.iter().product()],
            };
            if contracted[i] {
                let u = curves[i][0].as_ref().unwrap();
                let dots = rev.dots.get(&p).cloned().unwrap_or_else(|| vec![0.0; k]);
                prop_assert_eq!(dots.len(), k);
                let coeffs: Vec<Vec<f64>> = (1..=k).map(expected).collect();
                assert_dots(&dots, &coeffs, u, SERIES_TOL, &format!("{case:?}: contracted input {i}"));
            } else {
                assert_jet(rev.cotangents[p].as_ref(), shape, 0, k, expected, SERIES_TOL, &format!("{case:?}: input {i}"));
            }
        }
    }

    /// `Op::contract_input` equals the contraction of `Op::jet_vjp` with the direction, for every input; the cache
    /// it fills in a first pass stays valid for a second pass with other higher coefficients over the same order-0
    /// values (as across the group passes of one summaries call).
    #[test]
    fn contract_input_matches_contracted_jet_vjp(case in primitive_case(), k in 1..=4usize, seed in any::<u64>()) {
        let op = case.kind.op().unwrap();
        let mut rng = rng(seed);
        let y0 = case.output();
        let gy0 = uniform(&mut rng, y0.shape(), -1.0, 1.0);
        for slot in 0..case.inputs.len() {
            let v = uniform(&mut rng, case.inputs[slot].shape(), -1.0, 1.0);
            let mut cache = jetnewton_engine::ContractCache::default();
            for pass in 0..2 {
                let x_jets: Vec<Jet<f64>> =
                    case.inputs.iter().map(|x| jet_of(x, &random_curve(&mut rng, x, k))).collect();
                let x_refs: Vec<&Jet<f64>> = x_jets.iter().collect();
                let y_jet = op.jet(&x_refs, &y0).unwrap();
                let gy_jet = jet_of(&gy0, &random_curve(&mut rng, &gy0, k));
                let mut wanted = vec![false; case.inputs.len()];
                wanted[slot] = true;
                let full = op.jet_vjp(&x_refs, &y_jet, &gy_jet, &wanted).unwrap().swap_remove(slot);
                let shape = case.inputs[slot].shape();
                let coeffs: Vec<Vec<f64>> =
                    (1..=k).map(|kk| coeff_values(full.as_ref().and_then(|j| j.get(kk)), shape)).collect();
                let got = op.contract_input(&x_refs, &y_jet, &gy_jet, slot, &v, &mut cache).unwrap();
                prop_assert_eq!(got.len(), k);
                assert_dots(&got, &coeffs, &v, SERIES_TOL, &format!("{case:?}: slot {slot}, pass {pass}"));
            }
        }
    }

    /// Zero tags: constant input jets give an output jet whose coefficients ≥ 1 are all tags (no tensors of zeros)
    /// and whose coefficient 0 is `y₀`; a constant cotangent jet over constant inputs gives tags too; and for the
    /// linear and bilinear ops the tag pattern is exactly the structural one.
    #[test]
    fn zero_coefficients_stay_tags(case in primitive_case(), k in 1..=4usize, seed in any::<u64>()) {
        let op = case.kind.op().unwrap();
        let mut rng = rng(seed);
        let y0 = case.output();
        let consts: Vec<Jet<f64>> = case.inputs.iter().map(|x| Jet::constant(x.clone(), k)).collect();
        let refs: Vec<&Jet<f64>> = consts.iter().collect();
        let y = op.jet(&refs, &y0).unwrap();
        prop_assert_eq!(y.order(), k);
        prop_assert!(y.is_constant(), "{:?}: constant inputs gave {:?}", case.kind, y.coeffs);
        prop_assert_eq!(y.get(0).unwrap(), &y0);
        let gy = Jet::constant(uniform(&mut rng, y0.shape(), -1.0, 1.0), k);
        let wanted = vec![true; case.inputs.len()];
        for (i, c) in op.jet_vjp(&refs, &y, &gy, &wanted).unwrap().iter().enumerate() {
            prop_assert!(c.as_ref().is_none_or(|c| c.coeffs.iter().skip(1).all(Option::is_none)),
                "{:?}: cotangent {} of a constant pass is not all tags", case.kind, i);
        }
        // Structural tags of linear and bilinear rules: with random tag patterns in the inputs, coefficient k of
        // the output is a tag exactly when no product / image of non-tag coefficients lands on it.
        let curves: Vec<Vec<Option<Tensor<f64>>>> = case.inputs.iter().map(|x| random_curve(&mut rng, x, k)).collect();
        let jets: Vec<Jet<f64>> = case.inputs.iter().zip(&curves).map(|(x, c)| jet_of(x, c)).collect();
        let refs: Vec<&Jet<f64>> = jets.iter().collect();
        let y = op.jet(&refs, &y0).unwrap();
        let some = |j: usize, kk: usize| kk == 0 || curves[j][kk - 1].is_some();
        let structural: Option<Vec<bool>> = match case.kind {
            Kind::Add | Kind::Sub => Some((1..=k).map(|kk| some(0, kk) || some(1, kk)).collect()),
            Kind::Mul | Kind::MatMul(_) => Some((1..=k).map(|kk| (0..=kk).any(|i| some(0, i) && some(1, kk - i))).collect()),
            Kind::Scale(_) | Kind::Broadcast(_) | Kind::SumTo(_) | Kind::Reshape(..) | Kind::Gather(_) | Kind::ScatterAdd(_) => {
                Some((1..=k).map(|kk| some(0, kk)).collect())
            }
            _ => None,
        };
        if let Some(structural) = structural {
            let tags: Vec<bool> = (1..=k).map(|kk| y.get(kk).is_some()).collect();
            prop_assert_eq!(tags, structural, "{:?}", case.kind);
        }
    }
}

/// The interpreter forms no jet below the seeded leaves: nodes that only depend on constants or on unseeded
/// parameters are the zero tag, and the seeded path carries the jet.
#[test]
fn forward_jets_skip_nodes_without_seeded_ancestors() {
    let g = Graph::<f64>::new();
    let x = g.constant(Tensor::from_vec(vec![2, 3], vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6]).unwrap());
    let w0 = g.param(
        "0.weight",
        Tensor::from_vec(vec![3, 3], (0..9).map(|i| (i as f64 * 0.7).sin()).collect()).unwrap(),
    );
    let w1 = g.param(
        "1.weight",
        Tensor::from_vec(vec![2, 3], (0..6).map(|i| (i as f64 * 1.1).cos()).collect()).unwrap(),
    );
    let h = x.matmul_t(w0).unwrap().tanh().unwrap();
    let logits = h.matmul_t(w1).unwrap();
    let out = logits.cross_entropy(&[1, 0]).unwrap();
    let u1 = Tensor::full(&[2, 3], 0.5);
    let jets = forward_jets(&g, out.id(), &[(w1.id(), vec![Some(u1)])], 3).unwrap();
    for n in (0..=h.id()).filter(|&n| n != w1.id()) {
        assert!(
            jets[n].is_none(),
            "node {n} below the seeded layer has a jet"
        );
    }
    let j = jets[out.id()]
        .as_ref()
        .expect("the loss depends on the seeded weight");
    assert_eq!(j.order(), 3);
    assert!(j.get(1).is_some() && j.get(2).is_some() && j.get(3).is_some());
    // Seeding only an order-2 coefficient of a weight that enters linearly: the logits have a tag at order 1.
    let u2 = Tensor::full(&[2, 3], 0.25);
    let jets = forward_jets(&g, out.id(), &[(w1.id(), vec![None, Some(u2)])], 2).unwrap();
    let lj = jets[logits.id()].as_ref().unwrap();
    assert!(
        lj.get(1).is_none() && lj.get(2).is_some(),
        "{:?}",
        lj.coeffs
    );
}
