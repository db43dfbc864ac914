//! Deterministic tests of [`solve`] on degenerate inputs: each gives its documented outcome or error, never
//! NaN, never a panic. Tolerances as in `tests.rs`; the residual is the backward error of the defining equation.

use super::oracle::{close, params, problem, run, Problem};
use super::{cubic_model, solve, CubicParams, SolveError, SolveOutcome};

/// d3 = 0 in one group: no cubic term there, the group is minimised out; the defining equation holds with D₁ = 0.
#[test]
fn zero_d3_in_one_group() {
    let p = problem(
        &[1.0, -0.5, 0.3],
        &[&[2.0, 0.3, -0.2], &[0.3, 1.0, 0.4], &[-0.2, 0.4, -1.5]],
        &[1.0, 0.0, 2.0],
        1.0,
    );
    let sol = run(&p).unwrap();
    assert_eq!(sol.negligible_d3_groups, vec![1]);
    assert!(matches!(
        sol.outcome,
        SolveOutcome::Cubic {
            hbar_positive_definite: false,
            ..
        }
    ));
    assert!(p.residual(&sol.eta) <= 1e-12, "{:e}", p.residual(&sol.eta));
    // Minimality against T with a tiny d3 in place of the zero (a radius needs every D > 0).
    let q = Problem {
        d3: vec![1.0, 1e-9, 2.0],
        ..p.clone()
    };
    assert!(sol.model_decrease <= q.brute_force_min(2) + 1e-9);
    // The same zero on a negative-curvature group: T is unbounded below along it.
    let bad = Problem {
        d3: vec![1.0, 1.0, 0.0],
        ..p.clone()
    };
    assert!(
        matches!(run(&bad), Err(SolveError::NegligibleD3NotPositiveDefinite { ref groups, .. }) if groups == &[2])
    );
}

/// A tiny nonzero d3 (ρ below `tiny`·max ρ) is dropped only when that does not change T's minimiser: with
/// positive curvature η matches the d3 = 0 answer; with negative curvature the exact (huge) minimiser is
/// returned while K stays finite, and the negligible-d3 error only once K would overflow.
#[test]
fn tiny_d3_is_dropped_only_when_harmless() {
    let h: [&[f64]; 3] = [&[2.0, 0.3, -0.2], &[0.3, 1.0, 0.4], &[-0.2, 0.4, -1.5]];
    let exact = run(&problem(&[1.0, -0.5, 0.3], &h, &[1.0, 0.0, 2.0], 1.0)).unwrap();
    let p = problem(&[1.0, -0.5, 0.3], &h, &[1.0, 1e-40, 2.0], 1.0);
    let sol = run(&p).unwrap();
    assert!(p.residual(&sol.eta) <= 1e-12);
    assert!(sol
        .eta
        .iter()
        .zip(&exact.eta)
        .all(|(a, b)| close(*a, *b, 1e-9)));
    let q = problem(&[1.0, -0.5, 0.3], &h, &[1.0, 1.0, 1e-40], 1.0);
    let sol = run(&q).unwrap();
    assert!(
        matches!(
            sol.outcome,
            SolveOutcome::Cubic {
                hbar_positive_definite: false,
                ..
            }
        ) && sol.negligible_d3_groups.is_empty()
    );
    assert!(
        q.residual(&sol.eta) <= 1e-9 && sol.eta[2].abs() > 1e30,
        "{:?} {:e}",
        sol.eta,
        q.residual(&sol.eta)
    );
    let overflow = problem(&[1.0, -0.5, 0.3], &h, &[1.0, 1.0, 1e-300], 1.0);
    assert!(
        matches!(run(&overflow), Err(SolveError::NegligibleD3NotPositiveDefinite { ref groups, .. }) if groups == &[2])
    );
}

#[test]
fn all_zero_d3_is_newton_when_pd_else_an_error() {
    let p = problem(&[1.0, -2.0], &[&[4.0, 1.0], &[1.0, 3.0]], &[0.0, -0.0], 1.0);
    let sol = run(&p).unwrap();
    assert_eq!(
        (sol.outcome, sol.negligible_d3_groups.clone()),
        (SolveOutcome::NewtonNoThirdOrder, vec![0, 1])
    );
    assert!(close(sol.eta[0], 5.0 / 11.0, 1e-14) && close(sol.eta[1], -9.0 / 11.0, 1e-14));
    let bad = problem(&[1.0, 1.0], &[&[1.0, 2.0], &[2.0, 1.0]], &[0.0, 0.0], 1.0);
    assert!(
        matches!(run(&bad), Err(SolveError::NegligibleD3NotPositiveDefinite { ref groups, .. }) if groups == &[0, 1])
    );
}

/// u₁ = 0: zero row/column, ḡ₁ = d3₁ = 0. η₁ = 0 and the others are those of the problem without group 1.
#[test]
fn inert_group_gets_zero() {
    let p = problem(
        &[1.0, 0.0, -0.4],
        &[&[2.0, 0.0, 0.5], &[0.0, 0.0, 0.0], &[0.5, 0.0, -1.0]],
        &[1.0, 0.0, 3.0],
        2.0,
    );
    let reduced = problem(&[1.0, -0.4], &[&[2.0, 0.5], &[0.5, -1.0]], &[1.0, 3.0], 2.0);
    let (sol, red) = (run(&p).unwrap(), run(&reduced).unwrap());
    assert_eq!((sol.eta[1], sol.inert_groups.clone()), (0.0, vec![1]));
    assert_eq!((sol.eta[0], sol.eta[2]), (red.eta[0], red.eta[1]));
    let newton = run(&Problem {
        lambda: 0.0,
        h: vec![vec![2.0, 0.0, 0.5], vec![0.0; 3], vec![0.5, 0.0, 1.0]],
        ..p.clone()
    });
    assert_eq!(newton.unwrap().outcome, SolveOutcome::Newton);
    let all = run(&problem(
        &[0.0, 0.0],
        &[&[0.0, 0.0], &[0.0, 0.0]],
        &[0.0, 0.0],
        1.0,
    ))
    .unwrap();
    assert_eq!(
        (all.eta, all.outcome, all.model_decrease),
        (vec![0.0, 0.0], SolveOutcome::Stationary, 0.0)
    );
}

#[test]
fn non_finite_inputs_are_named() {
    let p = problem(&[1.0, -0.5], &[&[2.0, 0.3], &[0.3, 1.0]], &[1.0, 2.0], 1.0);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut q = p.clone();
        q.g[1] = bad;
        assert_eq!(
            run(&q).unwrap_err(),
            SolveError::NonFinite {
                what: "gbar",
                index: 1
            }
        );
        let mut q = p.clone();
        q.h[1][0] = bad;
        assert_eq!(
            run(&q).unwrap_err(),
            SolveError::NonFinite {
                what: "hbar",
                index: 2
            }
        );
        let mut q = p.clone();
        q.d3[0] = bad;
        assert_eq!(
            run(&q).unwrap_err(),
            SolveError::NonFinite {
                what: "d3",
                index: 0
            }
        );
        let e = solve(&p.g, &p.h, &p.d3, &params(bad)).unwrap_err();
        assert!(matches!(
            e,
            SolveError::InvalidParams {
                what: "lambda_int",
                ..
            }
        ));
    }
}

#[test]
fn malformed_inputs_and_params() {
    assert_eq!(
        solve(&[], &[], &[], &params(1.0)).unwrap_err(),
        SolveError::Empty
    );
    let h = vec![vec![1.0, 0.0], vec![0.0]];
    assert_eq!(
        solve(&[1.0, 1.0], &h, &[1.0, 1.0], &params(1.0)).unwrap_err(),
        SolveError::DimensionMismatch {
            what: "hbar row",
            expected: 2,
            found: 1
        }
    );
    assert!(matches!(
        solve(&[1.0], &[vec![1.0]], &[], &params(1.0)),
        Err(SolveError::DimensionMismatch { what: "d3", .. })
    ));
    assert!(matches!(
        solve(&[1.0], &[vec![1.0]], &[1.0], &params(-1.0)),
        Err(SolveError::InvalidParams {
            what: "lambda_int",
            ..
        })
    ));
    let p = CubicParams {
        rel_tol: 0.0,
        ..CubicParams::default()
    };
    assert!(matches!(
        solve(&[1.0], &[vec![1.0]], &[1.0], &p),
        Err(SolveError::InvalidParams {
            what: "rel_tol",
            ..
        })
    ));
    assert!(cubic_model(&[1.0], &[vec![1.0]], &[1.0], 1.0, &[1.0, 2.0]).is_nan());
}

/// Finite inputs whose K overflows, or a root finder with one iteration: errors, never NaN.
#[test]
fn overflow_and_no_convergence_are_errors() {
    let e = solve(
        &[1.0, 1.0],
        &[vec![1.0, 1e300], vec![1e300, 1.0]],
        &[1e-300, 1e-300],
        &params(1.0),
    )
    .unwrap_err();
    assert!(matches!(e, SolveError::Overflow { .. }), "{e:?}");
    let p = CubicParams {
        max_iter: 1,
        ..CubicParams::default()
    };
    let e = solve(
        &[1.0, -0.5],
        &[vec![2.0, 0.3], vec![0.3, -1.0]],
        &[1.0, 2.0],
        &p,
    )
    .unwrap_err();
    assert!(
        matches!(e, SolveError::NoConvergence { iterations: 1, .. }),
        "{e:?}"
    );
}

/// An asymmetric hbar is used through its symmetric part, the only part T sees.
#[test]
fn asymmetric_hbar_uses_its_symmetric_part() {
    let a = run(&problem(
        &[1.0, -0.5],
        &[&[2.0, 0.1], &[0.5, -1.0]],
        &[1.0, 2.0],
        1.0,
    ))
    .unwrap();
    let b = run(&problem(
        &[1.0, -0.5],
        &[&[2.0, 0.3], &[0.3, -1.0]],
        &[1.0, 2.0],
        1.0,
    ))
    .unwrap();
    assert_eq!(a.eta, b.eta);
}
