//! Method 1 on quadratics `L(θ) = ½θᵀAθ − bᵀθ`, where its steps have closed forms (appendix C): Cauchy's steepest
//! descent for the trivial partition, Newton's method for the discrete one, Jacobi's iteration for the diagonal
//! variant of the discrete one.
//!
//! Every case runs one step with `μ_g = 0`, `τ = 1`, `μ_η = 0`, `λ = 1` and `λ_int = 0` (d3 = 0 on a quadratic),
//! so the step is exactly `θ − U I_{P:S} hbar⁻¹ gbar`.

mod common;

use common::{dot, flatten, mat_vec, scalars, solve_dense, spd, Quadratic};
use jetnewton_engine::Tensor;
use jetnewton_optim::{Method1, Method1Config, Optimizer, ParamLayout};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One-shot settings: the step is `θ − U I_{P:S} hbar⁻¹ gbar` exactly.
fn one_shot() -> Method1Config {
    Method1Config {
        lr: 1.0,
        grad_momentum: 0.0,
        period: 1,
        eta_momentum: 0.0,
        scheduler: None,
        ..Method1Config::paper(1)
    }
    .no_regularisation()
}

/// A random problem of size `p`: SPD `A` with eigenvalues in about `[shift, shift + 1]`, `b`, `θ0`.
fn problem(p: usize, seed: u64) -> (Quadratic, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a = spd(p, 0.5, &mut rng);
    let b: Vec<f64> = (0..p)
        .map(|i| ((i * 7 + seed as usize) % 5) as f64 - 2.0)
        .collect();
    let theta0 = (0..p)
        .map(|i| ((i * 3 + seed as usize) % 7) as f64 / 3.0 - 1.0)
        .collect();
    (Quadratic::new(a, b), theta0)
}

fn gradient(q: &Quadratic, theta: &[f64]) -> Vec<f64> {
    mat_vec(&q.a, theta)
        .iter()
        .zip(&q.b)
        .map(|(x, b)| x - b)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// S = 1: the step is Cauchy's, `θ1 = θ0 − (gᵀg / gᵀAg)·g`. The problem's condition number is at most ~3, so
    /// both computations agree to a few ulp of the O(1) entries: 1e-12 absolute.
    #[test]
    fn trivial_partition_is_cauchy_steepest_descent(p in 1usize..9, split in 0usize..9, seed in 0u64..1000) {
        let (mut q, theta0) = problem(p, seed);
        // Two tensors (when p > 1) in one group.
        let cut = split % p + 1;
        let mut params = vec![
            Tensor::from_vec(vec![cut], theta0[..cut].to_vec()).unwrap(),
            Tensor::from_vec(vec![p - cut], theta0[cut..].to_vec()).unwrap(),
        ];
        let layout = ParamLayout::of(vec!["a".into(), "b".into()], &params).unwrap();
        let mut m = Method1::<f64>::new(layout, vec![vec![0, 1]], one_shot()).unwrap();
        let g = gradient(&q, &theta0);
        prop_assume!(dot(&g, &g) > 1e-6);
        let alpha = dot(&g, &g) / dot(&g, &mat_vec(&q.a, &g));
        let report = m.step(&mut params, &mut q).unwrap();
        let eta = report.method1.unwrap().eta.unwrap();
        prop_assert!((eta[0] - alpha).abs() <= 1e-12 * alpha);
        for (i, &t) in flatten(&params).iter().enumerate() {
            prop_assert!((t - (theta0[i] - alpha * g[i])).abs() < 1e-12, "{i}: {t}");
        }
    }

    /// S = P: the step is Newton's, which lands on the minimiser `A⁻¹b` in one step. The positive part is off:
    /// Newton's per-coordinate step sizes `(A⁻¹g)_p / g_p` may be negative. Coordinates whose gradient nearly
    /// vanishes make hbar = GAG badly scaled, so they are excluded (|g_p| ≥ 1e-2); the solver's Jacobi scaling then
    /// leaves a system as well conditioned as A (≤ ~3), and 1e-10 absolute is generous.
    #[test]
    fn discrete_partition_is_newton(p in 1usize..9, seed in 0u64..1000) {
        let (mut q, theta0) = problem(p, seed);
        let g = gradient(&q, &theta0);
        prop_assume!(g.iter().all(|x| x.abs() >= 1e-2));
        let (layout, mut params) = scalars(&theta0);
        let config = Method1Config { positive_part: false, ..one_shot() };
        let mut m = Method1::<f64>::new(layout, (0..p).map(|i| vec![i]).collect(), config).unwrap();
        m.step(&mut params, &mut q).unwrap();
        let star = solve_dense(&q.a, &q.b);
        let theta1 = flatten(&params);
        for i in 0..p {
            prop_assert!((theta1[i] - star[i]).abs() < 1e-10, "{i}: {} vs {}", theta1[i], star[i]);
        }
        prop_assert!((q.loss(&theta1) - q.loss(&star)).abs() < 1e-12);
    }

    /// S = P with the diagonal approximation: `η_p = g_p² / (g_p² A_pp)`, so the step is Jacobi's,
    /// `θ1 = θ0 − D_A⁻¹ g`.
    #[test]
    fn diagonal_discrete_partition_is_jacobi(p in 1usize..9, seed in 0u64..1000) {
        let (mut q, theta0) = problem(p, seed);
        let g = gradient(&q, &theta0);
        prop_assume!(g.iter().all(|x| x.abs() >= 1e-2));
        let (layout, mut params) = scalars(&theta0);
        let config = one_shot().diagonal();
        let mut m = Method1::<f64>::new(layout, (0..p).map(|i| vec![i]).collect(), config).unwrap();
        m.step(&mut params, &mut q).unwrap();
        for (i, &t) in flatten(&params).iter().enumerate() {
            let want = theta0[i] - g[i] / q.a[i][i];
            prop_assert!((t - want).abs() < 1e-12, "{i}: {t} vs {want}");
        }
    }
}

#[test]
fn newton_with_the_positive_part_only_moves_groups_with_positive_step_sizes() {
    let (mut q, theta0) = problem(6, 3);
    let g = gradient(&q, &theta0);
    let (layout, mut params) = scalars(&theta0);
    let mut m = Method1::<f64>::new(layout, (0..6).map(|i| vec![i]).collect(), one_shot()).unwrap();
    let r = m.step(&mut params, &mut q).unwrap().method1.unwrap();
    let newton = solve_dense(&q.a, &g);
    let eta = r.eta.unwrap();
    for (i, &t) in flatten(&params).iter().enumerate() {
        let raw = newton[i] / g[i];
        assert!(
            (eta[i] - raw.max(0.0)).abs() < 1e-10 * (1.0 + raw.abs()),
            "{i}"
        );
        assert!((t - (theta0[i] - eta[i] * g[i])).abs() < 1e-12);
    }
}
