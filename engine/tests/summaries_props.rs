//! Properties of the summaries over random small nets: MLPs of depth 1–4 and widths 1–6, tanh / ELU / sigmoid
//! activations, optional biases, batch 1–5, cross-entropy or MSE loss, random partitions of the parameter tensors
//! into groups and random directions.
//!
//! Oracles: the double-backward path (reverse over reverse, entirely different code), forward jets of the loss,
//! and Richardson-extrapolated finite differences of the loss and of the gradient along `u`. The finite-difference
//! properties use the smooth activations only: ELU's second derivative jumps at 0, and a pre-activation of a random
//! net may sit within one step of it; ELU is covered by the exact identities.

mod support;

use jetnewton_engine::jet::forward_jets;
use jetnewton_engine::summaries::{
    double_backward_summaries, full_d3, gradient_direction, jet_summaries, taylor_terms, Direction,
    Groups, Summaries, SummaryOptions,
};
use jetnewton_engine::{EngineError, Graph, NodeId, Tensor, Var};
use proptest::prelude::*;
use support::nets::{any_act, net, smooth_act, Problem};
use support::{max_abs, taylor_fd};

/// `|a − b| ≤ tol · scale`, with a message.
fn check(a: f64, b: f64, tol: f64, scale: f64, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        (a - b).abs() <= tol * scale && a.is_finite() && b.is_finite(),
        "{}: {} vs {} (|diff| {:.3e} > {:.3e})",
        what,
        a,
        b,
        (a - b).abs(),
        tol * scale
    );
    Ok(())
}

// Jets and double backward evaluate the same multilinear forms in f64 in different orders: their difference is
// rounding, ~1e-15 relative to the size of the terms summed. An entry may cancel to far below its terms, so the
// scale of a comparison is the largest entry of the same quantity (gbar, hbar, d3, slices), plus a floor for
// quantities that cancel to nearly nothing: their terms are of the size of the loss and its derivatives, so their
// rounding is ~1e-16 × (1 + |loss|) in absolute terms, and the floor 1e-5 × (1 + |loss|) times EXACT_TOL allows ten
// times that. (A found case: every d3 of a linear 1→2 net was ~1.8e-9 with a difference of 7.7e-19.) 1e-10 leaves
// a margin of ~100 over the rounding of nets this deep.
const EXACT_TOL: f64 = 1e-10;

fn scale_of(values: &[f64], loss: f64) -> f64 {
    max_abs(values) + 1e-5 * (1.0 + loss.abs())
}

fn compare(a: &Summaries, b: &Summaries, what: &str) -> Result<(), TestCaseError> {
    let s_count = a.gbar.len();
    prop_assert_eq!(b.gbar.len(), s_count);
    check(
        a.loss,
        b.loss,
        EXACT_TOL,
        1.0 + b.loss.abs(),
        &format!("{what}: loss"),
    )?;
    let sg = scale_of(&b.gbar, b.loss);
    let flat_h: Vec<f64> = b.hbar.iter().flatten().copied().collect();
    let sh = scale_of(&flat_h, b.loss);
    let sd = scale_of(&b.d3, b.loss);
    for s in 0..s_count {
        check(
            a.gbar[s],
            b.gbar[s],
            EXACT_TOL,
            sg,
            &format!("{what}: gbar[{s}]"),
        )?;
        check(a.d3[s], b.d3[s], EXACT_TOL, sd, &format!("{what}: d3[{s}]"))?;
        for t in 0..s_count {
            check(
                a.hbar[s][t],
                b.hbar[s][t],
                EXACT_TOL,
                sh,
                &format!("{what}: hbar[{s}][{t}]"),
            )?;
        }
    }
    if let (Some(sa), Some(sb)) = (&a.d3_slices, &b.d3_slices) {
        let flat_s: Vec<f64> = sb.iter().flatten().copied().collect();
        let ss = scale_of(&flat_s, b.loss);
        for s in 0..s_count {
            for t in 0..s_count {
                check(
                    sa[s][t],
                    sb[s][t],
                    EXACT_TOL,
                    ss,
                    &format!("{what}: d3_slices[{s}][{t}]"),
                )?;
            }
        }
    }
    Ok(())
}

/// `Σ_{p ∈ group} sum(n_p ⊙ u_p)` as a node: contracts per-parameter nodes (gradients) with the direction.
fn contract_node<'g>(
    g: &'g Graph<f64>,
    nodes: &[NodeId],
    ids: &[NodeId],
    group: &[NodeId],
    dir: &Direction<f64>,
) -> Var<'g, f64> {
    let mut total: Option<Var<'g, f64>> = None;
    for (&p, &n) in ids.iter().zip(nodes) {
        if !group.contains(&p) {
            continue;
        }
        let term = g
            .var(n)
            .unwrap()
            .mul(g.constant(dir.get(p).unwrap().clone()))
            .unwrap()
            .sum()
            .unwrap();
        total = Some(match total {
            None => term,
            Some(acc) => acc.add(term).unwrap(),
        });
    }
    total.unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// jet_summaries equals double_backward_summaries (gbar, hbar, d3 and the slices ∇³L[u_s,u_s,u_t]), with and
    /// without slices; hbar is symmetric (exactly for the jets, which mirror it; to rounding for double backward,
    /// which computes every entry).
    #[test]
    fn jets_agree_with_double_backward(spec in net(any_act())) {
        let p = Problem::new(spec, 8);
        let g = Graph::new();
        let (loss, ids) = p.build(&g, &p.params);
        let (groups, dir) = p.groups_and_dir(&g, &ids);
        let with = SummaryOptions { d3_slices: true };
        let db = double_backward_summaries(&g, loss.id(), &groups, &dir, with).unwrap();
        let jets = jet_summaries(&g, loss.id(), &groups, &dir, with).unwrap();
        let lean = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap();
        prop_assert!(lean.d3_slices.is_none());
        compare(&jets, &db, "jets with slices")?;
        compare(&lean, &db, "jets without slices")?;
        let flat_h: Vec<f64> = db.hbar.iter().flatten().copied().collect();
        let sh = scale_of(&flat_h, db.loss);
        for s in 0..groups.len() {
            for t in 0..groups.len() {
                prop_assert_eq!(jets.hbar[s][t], jets.hbar[t][s]);
                prop_assert_eq!(lean.hbar[s][t], lean.hbar[t][s]);
                check(db.hbar[s][t], db.hbar[t][s], EXACT_TOL, sh, &format!("double-backward hbar[{s}][{t}] symmetry"))?;
            }
            // The diagonal slice is d3 itself.
            let slices = jets.d3_slices.as_ref().unwrap();
            check(slices[s][s], jets.d3[s], EXACT_TOL, scale_of(&jets.d3, jets.loss), &format!("slices[{s}][{s}] vs d3"))?;
        }
    }

    /// Along u_s alone, the order-3 forward jet of the loss has coefficients L1 = gbar[s], L2 = hbar[s][s]/2,
    /// L3 = d3[s]/6; `taylor_terms` over the one-group partition {group s} gives ∇^kL[u_s, …] = (gbar, hbar, d3).
    #[test]
    fn loss_jet_along_each_group_gives_its_summaries(spec in net(any_act())) {
        let p = Problem::new(spec, 8);
        let g = Graph::new();
        let (loss, ids) = p.build(&g, &p.params);
        let (groups, dir) = p.groups_and_dir(&g, &ids);
        let db = double_backward_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap();
        let sg = scale_of(&db.gbar, db.loss);
        let diag: Vec<f64> = (0..groups.len()).map(|s| db.hbar[s][s]).collect();
        let sh = scale_of(&diag, db.loss);
        let sd = scale_of(&db.d3, db.loss);
        for (s, own) in groups.groups().iter().enumerate() {
            let seeds: Vec<(NodeId, Vec<Option<Tensor<f64>>>)> =
                own.iter().map(|&q| (q, vec![dir.get(q).cloned()])).collect();
            let jets = forward_jets(&g, loss.id(), &seeds, 3).unwrap();
            let c = |k: usize| jets[loss.id()].as_ref().and_then(|j| j.get(k)).map_or(0.0, |t| t.item().unwrap());
            check(c(1), db.gbar[s], EXACT_TOL, sg, &format!("L1 of group {s}"))?;
            check(2.0 * c(2), db.hbar[s][s], EXACT_TOL, sh, &format!("2 L2 of group {s}"))?;
            check(6.0 * c(3), db.d3[s], EXACT_TOL, sd, &format!("6 L3 of group {s}"))?;
            let single = Groups::new(&g, vec![own.clone()]).unwrap();
            let terms = taylor_terms(&g, loss.id(), &single, &dir, 3).unwrap();
            prop_assert_eq!(terms.len(), 3);
            check(terms[0], db.gbar[s], EXACT_TOL, sg, &format!("taylor_terms[0] of group {s}"))?;
            check(terms[1], db.hbar[s][s], EXACT_TOL, sh, &format!("taylor_terms[1] of group {s}"))?;
            check(terms[2], db.d3[s], EXACT_TOL, sd, &format!("taylor_terms[2] of group {s}"))?;
        }
    }

    /// With the trivial partition (S = 1): gbar = <∇L, u>, hbar = uᵀ∇²L u and d3 = ∇³L[u,u,u] equal the Taylor
    /// coefficients of t ↦ <∇L(θ + t u), u> by finite differences of the gradient.
    #[test]
    fn trivial_partition_matches_differences_of_gradient(spec in net(smooth_act())) {
        let mut p = Problem::new(spec, 1);
        p.groups = vec![(0..p.params.len()).collect()];
        let g = Graph::new();
        let (loss, ids) = p.build(&g, &p.params);
        let (groups, dir) = p.groups_and_dir(&g, &ids);
        let s = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap();
        prop_assert_eq!(s.gbar.len(), 1);
        let slope = |t: f64| vec![p.slope_along(t)];
        let fd = [slope(0.0)[0], taylor_fd(&slope, 1)[0], 2.0 * taylor_fd(&slope, 2)[0]];
        // Scale: the largest of the three (truncation and rounding of the differences scale with the series of
        // the slope). Largest relative errors seen over 3000 random nets: 3e-11 (order 1), 7e-8 (order 2).
        let scale = max_abs(&fd) + 1e-12;
        check(s.gbar[0], fd[0], 1e-12, scale, "gbar = <∇L, u>")?;
        check(s.hbar[0][0], fd[1], 1e-8, scale, "hbar = uᵀHu")?;
        check(s.d3[0], fd[2], 5e-6, scale, "d3 = ∇³L[u,u,u]")?;
    }

    /// Taylor terms ∇^dL[u, …, u], d ≤ 4, along the whole direction equal finite differences of the loss along u.
    #[test]
    fn taylor_terms_match_differences_of_loss(spec in net(smooth_act())) {
        let p = Problem::new(spec, 8);
        let g = Graph::new();
        let (loss, ids) = p.build(&g, &p.params);
        let (groups, dir) = p.groups_and_dir(&g, &ids);
        let terms = taylor_terms(&g, loss.id(), &groups, &dir, 4).unwrap();
        prop_assert_eq!(terms.len(), 4);
        let phi = |t: f64| vec![p.loss_along(t)];
        let mut coeffs = vec![p.loss_along(0.0)];
        coeffs.extend((1..=4).map(|k| taylor_fd(&phi, k)[0]));
        // Compare normalised coefficients c_k = ∇^kL/k! on the scale of the largest of c_0..c_4: rounding (∝ c₀/h^k)
        // and truncation (∝ (h/R)⁴ with R, the radius of convergence in t, down to ~0.3 for some nets) both scale
        // with it. Largest relative errors seen over 3000 random nets: 2e-12, 1e-9, 2e-7, 5e-5 at orders 1–4;
        // the fourth order is where f64 differences run out of digits, so its check only catches gross errors.
        let scale = max_abs(&coeffs);
        let fact = [1.0, 2.0, 6.0, 24.0];
        let tol = [1e-9, 1e-7, 1e-5, 1e-3];
        for k in 0..4 {
            check(terms[k] / fact[k], coeffs[k + 1], tol[k], scale, &format!("∇^{}L[u…u]/{}!", k + 1, k + 1))?;
        }
    }

    /// `full_d3` stores exactly the entries a ≤ b ≤ c; its diagonal is d3, the entries (a, a, c) and (a, b, b) are
    /// the slices ∇³L[u_a,u_a,u_c] and ∇³L[u_b,u_b,u_a]; every entry equals triple backward
    /// ∇<∇<∇L, u_a>, u_b>·u_c; and the symmetric sum Σ_{a,b,c} D³[a,b,c] is ∇³L[u,u,u].
    #[test]
    fn full_d3_is_the_symmetric_third_derivative(spec in net(any_act())) {
        let p = Problem::new(spec, 4);
        let g = Graph::new();
        let (loss, ids) = p.build(&g, &p.params);
        let (groups, dir) = p.groups_and_dir(&g, &ids);
        let s_count = groups.len();
        let full = full_d3(&g, loss.id(), &groups, &dir).unwrap();
        let sums = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions { d3_slices: true }).unwrap();
        let slices = sums.d3_slices.as_ref().unwrap();
        let mut keys = Vec::new();
        for a in 0..s_count {
            for b in a..s_count {
                for c in b..s_count {
                    keys.push((a, b, c));
                }
            }
        }
        prop_assert_eq!(full.keys().copied().collect::<Vec<_>>(), keys.clone());
        let values: Vec<f64> = full.values().copied().collect();
        let scale = scale_of(&values, sums.loss);
        // Triple backward, level by level: ∇L, then ∇<∇L, u_a>, then ∇<∇<∇L, u_a>, u_b> contracted with u_c.
        let grp = |s: usize| groups.groups()[s].clone();
        let g1 = g.grad_nodes(loss.id(), &ids).unwrap();
        let (mut total, mut total_abs) = (0.0, 0.0);
        for a in 0..s_count {
            let ga = contract_node(&g, &g1, &ids, &grp(a), &dir);
            let g2 = g.grad_nodes(ga.id(), &ids).unwrap();
            for b in a..s_count {
                let hab = contract_node(&g, &g2, &ids, &grp(b), &dir);
                let g3 = g.grad(hab.id(), &ids).unwrap();
                for c in b..s_count {
                    let v = full[&(a, b, c)];
                    if a == b && b == c {
                        check(v, sums.d3[a], EXACT_TOL, scale, &format!("D³[{a},{a},{a}] vs d3"))?;
                    } else if a == b {
                        check(v, slices[a][c], EXACT_TOL, scale, &format!("D³[{a},{a},{c}] vs slice"))?;
                    } else if b == c {
                        check(v, slices[b][a], EXACT_TOL, scale, &format!("D³[{a},{b},{b}] vs slice"))?;
                    }
                    let oracle: f64 = ids
                        .iter()
                        .zip(&g3)
                        .filter(|(q, _)| grp(c).contains(q))
                        .map(|(q, t)| t.dot_f64(dir.get(*q).unwrap()).unwrap())
                        .sum();
                    check(v, oracle, EXACT_TOL, scale, &format!("D³[{a},{b},{c}] vs triple backward"))?;
                    let multiplicity = if a == c { 1.0 } else if a == b || b == c { 3.0 } else { 6.0 };
                    total += multiplicity * v;
                    total_abs += multiplicity * v.abs();
                }
            }
        }
        // The sum's rounding follows the sum of the magnitudes it adds.
        let whole = taylor_terms(&g, loss.id(), &groups, &dir, 3).unwrap()[2];
        check(total, whole, EXACT_TOL, total_abs + 1e-12 * (1.0 + sums.loss.abs()), "Σ D³ vs ∇³L[u,u,u]")?;
    }

    /// With the gradient as the direction, gbar[s] = Σ_{p ∈ s} |∇_p L|² (and so is non-negative).
    #[test]
    fn gradient_direction_gives_squared_gradient_norms(spec in net(any_act())) {
        let p = Problem::new(spec, 8);
        let g = Graph::new();
        let (loss, ids) = p.build(&g, &p.params);
        let (groups, _) = p.groups_and_dir(&g, &ids);
        let dir = gradient_direction(&g, loss.id(), &groups).unwrap();
        let grads = g.grad(loss.id(), &ids).unwrap();
        let s = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default()).unwrap();
        for (k, own) in groups.groups().iter().enumerate() {
            let expected: f64 = own
                .iter()
                .map(|q| {
                    let i = ids.iter().position(|id| id == q).unwrap();
                    grads[i].dot_f64(&grads[i]).unwrap()
                })
                .sum();
            prop_assert!(s.gbar[k] >= 0.0);
            // A sum of squares: no cancellation, so rounding is relative to the value itself.
            check(s.gbar[k], expected, 1e-12, expected + 1e-300, &format!("gbar[{k}] = |g_{k}|²"))?;
        }
    }
}

/// Partitions and directions that do not fit the parameters are refused with the matching error.
#[test]
fn invalid_partitions_and_directions_are_refused() {
    let g = Graph::<f64>::new();
    let x = g.constant(Tensor::from_vec(vec![1, 2], vec![0.3, -0.4]).unwrap());
    let w = g.param(
        "0.weight",
        Tensor::from_vec(vec![2, 2], vec![0.1, 0.2, -0.3, 0.4]).unwrap(),
    );
    let b = g.param("0.bias", Tensor::zeros(&[2]));
    let loss = x
        .matmul_t(w)
        .unwrap()
        .add_bias(b)
        .unwrap()
        .cross_entropy(&[1])
        .unwrap();
    let partition = |groups: Vec<Vec<NodeId>>| Groups::new(&g, groups);
    assert!(matches!(
        partition(vec![vec![w.id()], vec![]]),
        Err(EngineError::InvalidPartition { .. })
    ));
    assert!(matches!(
        partition(vec![vec![w.id()], vec![w.id(), b.id()]]),
        Err(EngineError::InvalidPartition { .. })
    ));
    assert!(matches!(
        partition(vec![vec![x.id()]]),
        Err(EngineError::InvalidPartition { .. })
    ));
    let groups = partition(vec![vec![w.id()], vec![b.id()]]).unwrap();
    let mut dir = Direction::new();
    dir.insert(w.id(), Tensor::zeros(&[2, 2]));
    let missing = jet_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default());
    assert!(
        matches!(missing, Err(EngineError::InvalidDirection { .. })),
        "{missing:?}"
    );
    dir.insert(b.id(), Tensor::zeros(&[3]));
    let wrong_shape =
        double_backward_summaries(&g, loss.id(), &groups, &dir, SummaryOptions::default());
    assert!(
        matches!(wrong_shape, Err(EngineError::InvalidDirection { .. })),
        "{wrong_shape:?}"
    );
    assert!(taylor_terms(&g, loss.id(), &groups, &dir, 0).is_err());
}
