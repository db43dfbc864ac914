//! Property tests of [`solve`]: the defining equation, global minimality, per-group scale invariance.
//!
//! Tolerances. The root stops at |r − φ(r)| ≤ rel_tol·r = 1e-10·r, which leaves a relative residual of at most
//! 1e-10 in the cubic term; the eigendecomposition is backward stable, adding O(S·ε·‖K‖) ≈ 1e-14 with S ≤ 8 and
//! ‖K‖ inflated by at most the spread of D² (≤ 10⁴·⁴ for |d3| ∈ [10⁻², 10⁴]). So 1e-9 bounds the backward error.
//! Forward errors (invariance) are those times cond(K + rI), which the draws keep below ~10⁴ in practice; they are
//! measured in the scale-free D-norm.

use super::oracle::Problem;
use super::{solve, CubicParams, SolveOutcome};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5EED),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Random problems with S in `sizes`: H PD or indefinite, |d3| = 10^e with e ∈ [−2, 4], λ ∈ [0.1, 10].
fn problems(sizes: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Problem> {
    sizes.prop_flat_map(|s| {
        (
            prop::collection::vec(-1.0..1.0f64, s * s),
            prop::collection::vec(-1.0..1.0f64, s),
            prop::collection::vec((-2.0..4.0f64, any::<bool>()), s),
            0.1..10.0f64,
            any::<bool>(),
        )
            .prop_map(move |(a, g, d3, lambda, pd)| Problem::from_draws(s, &a, &g, &d3, lambda, pd))
    })
}

/// The D-norm ‖D x‖ (D = |d3|^{1/3}), in which η is scale-free.
fn dnorm(p: &Problem, x: &[f64]) -> f64 {
    x.iter()
        .zip(&p.d3)
        .map(|(x, d)| (x * d.abs().cbrt()).powi(2))
        .sum::<f64>()
        .sqrt()
}

proptest! {
    #![proptest_config(config(512))]

    /// ḡ = (H̄ + (λ/2)‖Dη‖D²)η to 1e-9 (backward error), over PD and indefinite H̄, S ≤ 8.
    #[test]
    fn defining_equation_holds(p in problems(1..=8)) {
        let params = CubicParams { lambda_int: p.lambda, ..CubicParams::default() };
        let sol = solve(&p.g, &p.h, &p.d3, &params).unwrap();
        prop_assert!(sol.eta.iter().all(|e| e.is_finite()));
        prop_assert!(p.residual(&sol.eta) <= 1e-9, "residual {:e}, {:?}", p.residual(&sol.eta), sol.outcome);
        // T(η*) ≤ T(0) = 0 up to the rounding of its terms.
        prop_assert!(sol.model_decrease <= 1e-14 * (1.0 + dnorm(&p, &sol.eta).powi(3)));
        if let SolveOutcome::Cubic { r, .. } = sol.outcome {
            prop_assert!((r - dnorm(&p, &sol.eta)).abs() <= 1e-9 * r);
        }
    }

    /// λ_int = 0 on a PD H̄: η = H̄⁻¹ḡ, i.e. H̄η = ḡ to rounding (backward error 1e-12 ≫ S·ε).
    #[test]
    fn newton_solves_the_linear_system(p in problems(1..=8)) {
        let sol = solve(&p.g, &p.h, &p.d3, &CubicParams { lambda_int: 0.0, ..CubicParams::default() });
        match sol {
            Ok(sol) => {
                prop_assert_eq!(sol.outcome, SolveOutcome::Newton);
                let q = Problem { lambda: 0.0, ..p.clone() };
                prop_assert!(q.residual(&sol.eta) <= 1e-12, "residual {:e}", q.residual(&sol.eta));
            }
            Err(e) => {
                let expected = matches!(e, super::SolveError::NotPositiveDefinite { .. } | super::SolveError::Singular { .. });
                prop_assert!(expected, "{:?}", e);
            }
        }
    }

    /// Appendix E at the solver level: (a∘ḡ, aH̄a, a³∘d3) gives η/a, |a_s| ∈ [10⁻², 10²], either sign.
    #[test]
    fn invariant_under_per_group_scaling(
        p in problems(1..=8),
        a in prop::collection::vec((-2.0..2.0f64, any::<bool>()), 8),
        lambda0 in any::<bool>(),
    ) {
        let p = if lambda0 { Problem { lambda: 0.0, ..p } } else { p };
        let a: Vec<f64> = a.iter().take(p.g.len()).map(|&(e, neg)| if neg { -(10f64.powf(e)) } else { 10f64.powf(e) }).collect();
        let q = p.rescaled(&a);
        let params = CubicParams { lambda_int: p.lambda, ..CubicParams::default() };
        match (solve(&p.g, &p.h, &p.d3, &params), solve(&q.g, &q.h, &q.d3, &params)) {
            (Ok(x), Ok(y)) => {
                let back: Vec<f64> = y.eta.iter().zip(&a).map(|(e, a)| e * a).collect();
                let diff: Vec<f64> = back.iter().zip(&x.eta).map(|(b, e)| b - e).collect();
                // D-norm for the cubic path; for Newton use the Jacobi weights √|H_ss| (= 1/weights).
                let w = p.weights();
                let norm = |v: &[f64]| v.iter().zip(&w).map(|(v, w)| (v / w).powi(2)).sum::<f64>().sqrt();
                prop_assert!(norm(&diff) <= 1e-9 * norm(&x.eta), "{:e} vs {:e}", norm(&diff), norm(&x.eta));
                prop_assert!((x.model_decrease - y.model_decrease).abs() <= 1e-9 * x.model_decrease.abs().max(1e-300));
            }
            (Err(e), Err(f)) => prop_assert_eq!(std::mem::discriminant(&e), std::mem::discriminant(&f)),
            (x, y) => prop_assert!(false, "{:?} vs {:?}", x, y),
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// η* is the global minimiser: no point found by a grid + compass search (S ≤ 3) has a lower T.
    #[test]
    fn global_minimiser_against_brute_force(p in problems(1..=3), seed in any::<u64>()) {
        let params = CubicParams { lambda_int: p.lambda, ..CubicParams::default() };
        let sol = solve(&p.g, &p.h, &p.d3, &params).unwrap();
        let best = p.brute_force_min(seed);
        // T(η*) is accurate to the rounding of its terms, which are all O(|T| + scale of the terms).
        let e = &sol.eta;
        let quad: f64 = (0..e.len()).flat_map(|i| (0..e.len()).map(move |j| (i, j))).map(|(i, j)| (e[i] * p.h[i][j] * e[j]).abs()).sum();
        let terms = p.g.iter().zip(e).map(|(g, e)| (g * e).abs()).sum::<f64>() + quad + p.lambda * dnorm(&p, e).powi(3) + 1e-300;
        prop_assert!(sol.model_decrease <= best + 1e-9 * terms, "T(η*) = {:e}, brute force {:e}", sol.model_decrease, best);
    }
}
