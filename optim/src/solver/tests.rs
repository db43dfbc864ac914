//! Deterministic tests of [`solve`]: closed forms, the hard case, plain Newton.
//!
//! Tolerances: closed forms are compared to 1e-9 relative, i.e. ten times the root tolerance `rel_tol` = 1e-10
//! (the root's error δr ≤ |f(r)|/f'(r) ≤ 1e-10·r since f' = 1 − φ' ≥ 1), far above S·ε rounding.

use super::oracle::{close, params, problem, run, Problem};
use super::{cubic_model, solve, CubicParams, SolveError, SolveOutcome};

#[test]
fn defaults_are_the_papers() {
    let p = CubicParams::default();
    assert_eq!(
        (p.lambda_int, p.rel_tol, p.max_iter, p.tiny),
        (1.0, 1e-10, 200, 1e-12)
    );
}

/// S = 1: −g + hη + (λ/2)d η|η| = 0 gives |η| = (√(h² + 2λd|g|) − h)/(λd) = 2|g|/(h + √(…)), η of the sign of g
/// (each form used where it does not cancel).
#[test]
fn one_group_matches_the_closed_form() {
    let cases: [(f64, f64, f64, f64); 5] = [
        (1.0, 2.0, 1.0, 1.0),
        (-3.0, 0.5, -8.0, 0.3),
        (0.7, -1.5, 2.0, 4.0),
        (1e-3, 1e3, 1e-6, 1.0),
        (-2.0, -0.1, 1e3, 1.0),
    ];
    for (g, h, d3, lambda) in cases {
        let root = (h * h + 2.0 * lambda * d3.abs() * g.abs()).sqrt();
        let magnitude = if h >= 0.0 {
            2.0 * g.abs() / (h + root)
        } else {
            (root - h) / (lambda * d3.abs())
        };
        let expected = g.signum() * magnitude;
        let sol = solve(&[g], &[vec![h]], &[d3], &params(lambda)).unwrap();
        assert!(
            close(sol.eta[0], expected, 1e-9),
            "{g} {h} {d3}: {} vs {expected}",
            sol.eta[0]
        );
        assert!(
            matches!(sol.outcome, SolveOutcome::Cubic { hbar_positive_definite, .. } if hbar_positive_definite == (h > 0.0))
        );
        assert!(close(
            sol.model_decrease,
            cubic_model(&[g], &[vec![h]], &[d3], lambda, &[expected]),
            1e-9
        ));
    }
}

/// S = 1, g = 0, h < 0: the hard case, |η| = 2|h|/(λ|d3|) and r = −λ_min(K) = 2|h|/(λ|d3|^{2/3}).
#[test]
fn one_group_hard_case_and_stationary() {
    let sol = solve(&[0.0], &[vec![-3.0]], &[8.0], &params(0.5)).unwrap();
    assert!(close(sol.eta[0].abs(), 2.0 * 3.0 / (0.5 * 8.0), 1e-12));
    assert!(
        matches!(sol.outcome, SolveOutcome::HardCase { r } if close(r, 2.0 * 3.0 / (0.5 * 4.0), 1e-12))
    );
    let sol = solve(&[0.0], &[vec![3.0]], &[8.0], &params(0.5)).unwrap();
    assert_eq!(
        (sol.eta, sol.outcome),
        (vec![0.0], SolveOutcome::Stationary)
    );
}

/// K = 2·diag(−1, 2), b = (0, 1): φ(2) = 2·1/(4 + 2) = 1/3 < r = 2, so the hard case holds, with
/// η = (±√(4 − 1/9), 1/3); a tiny ḡ₀ moves to the regular case with (almost) the same η.
#[test]
fn hard_case_follows_nesterov_polyak() {
    let p = problem(&[0.0, 1.0], &[&[-1.0, 0.0], &[0.0, 2.0]], &[1.0, 1.0], 1.0);
    let sol = run(&p).unwrap();
    assert!(matches!(sol.outcome, SolveOutcome::HardCase { r } if close(r, 2.0, 1e-12)));
    assert!(
        close(sol.eta[0].abs(), (4.0f64 - 1.0 / 9.0).sqrt(), 1e-12)
            && close(sol.eta[1], 1.0 / 3.0, 1e-12)
    );
    assert!(p.residual(&sol.eta) <= 1e-14);
    assert!(close(p.t(&sol.eta), p.t(&[-sol.eta[0], sol.eta[1]]), 1e-14));
    assert!(sol.model_decrease <= p.brute_force_min(1) + 1e-12);
    let near = Problem {
        g: vec![1e-7, 1.0],
        ..p.clone()
    };
    let sol_near = run(&near).unwrap();
    assert!(matches!(
        sol_near.outcome,
        SolveOutcome::Cubic {
            hbar_positive_definite: false,
            ..
        }
    ));
    assert!(near.residual(&sol_near.eta) <= 1e-9);
    assert!(
        (sol_near.eta[0] - sol.eta[0].abs()).abs() < 1e-6
            && (sol_near.eta[1] - sol.eta[1]).abs() < 1e-6
    );
}

#[test]
fn newton_when_lambda_is_zero() {
    let p = problem(&[1.0, -2.0], &[&[4.0, 1.0], &[1.0, 3.0]], &[5.0, 7.0], 0.0);
    let sol = run(&p).unwrap();
    // H⁻¹g = (1/11)·(3·1 − 1·(−2), −1·1 + 4·(−2)) = (5/11, −9/11)
    assert!(close(sol.eta[0], 5.0 / 11.0, 1e-14) && close(sol.eta[1], -9.0 / 11.0, 1e-14));
    assert_eq!(sol.outcome, SolveOutcome::Newton);
    let singular = problem(&[1.0, 1.0], &[&[1.0, 1.0], &[1.0, 1.0]], &[1.0, 1.0], 0.0);
    assert!(matches!(run(&singular), Err(SolveError::Singular { .. })));
    let zero_h = problem(&[1.0], &[&[0.0]], &[1.0], 0.0);
    assert!(matches!(run(&zero_h), Err(SolveError::Singular { .. })));
    let indefinite = problem(&[1.0, 1.0], &[&[1.0, 2.0], &[2.0, 1.0]], &[1.0, 1.0], 0.0);
    assert!(
        matches!(run(&indefinite), Err(SolveError::NotPositiveDefinite { min_eigenvalue }) if close(min_eigenvalue, -1.0, 1e-12))
    );
}
