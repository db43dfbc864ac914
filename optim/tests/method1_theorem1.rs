//! Theorem 1 (appendix F): on `L(θ) = ½θᵀHθ` with `H = Diag(H_1, …, H_S)` positive definite and a partition that
//! follows the blocks, Method 1 with `u = g`, `λ_int = 0` gives `L(θ_{t+1}) / L(θ_t) ≤ max_s ((A_s − a_s)/(A_s +
//! a_s))²` (a_s, A_s the extreme eigenvalues of H_s), and the bound is attained at `θ = H⁻¹(v_min + v_max)` for
//! extreme eigenvectors of the worst block.

mod common;

use common::{flatten, Quadratic};
use jetnewton_engine::Tensor;
use jetnewton_optim::{EtaUpdate, Method1, Method1Config, Optimizer, ParamLayout};
use proptest::prelude::*;

/// A block `Q diag(λ) Q` with the Householder reflection `Q = I − 2vvᵀ/‖v‖²` (symmetric, orthogonal): its
/// eigenvectors are the columns of `Q`.
fn block(lambda: &[f64], v: &[f64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = lambda.len();
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let q: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| f64::from(u8::from(i == j)) - 2.0 * v[i] * v[j] / vv)
                .collect()
        })
        .collect();
    let h = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| q[i][k] * lambda[k] * q[j][k]).sum())
                .collect()
        })
        .collect();
    (h, q)
}

/// `H = Diag(blocks)` as a dense matrix.
fn block_diag(blocks: &[Vec<Vec<f64>>]) -> Vec<Vec<f64>> {
    let p: usize = blocks.iter().map(Vec::len).sum();
    let mut h = vec![vec![0.0; p]; p];
    let mut at = 0;
    for b in blocks {
        for (i, row) in b.iter().enumerate() {
            h[at + i][at..at + b.len()].copy_from_slice(row);
        }
        at += b.len();
    }
    h
}

fn method(blocks: &[Vec<Vec<f64>>], theta: &[f64]) -> (Method1<f64>, Vec<Tensor<f64>>) {
    let mut params = Vec::new();
    let mut at = 0;
    for b in blocks {
        params.push(Tensor::from_vec(vec![b.len()], theta[at..at + b.len()].to_vec()).unwrap());
        at += b.len();
    }
    let names = (0..blocks.len()).map(|s| format!("block{s}")).collect();
    let layout = ParamLayout::of(names, &params).unwrap();
    let config = Method1Config {
        lr: 1.0,
        grad_momentum: 0.0,
        period: 1,
        eta_momentum: 0.0,
        scheduler: None,
        ..Method1Config::paper(1)
    }
    .no_regularisation();
    let groups = (0..blocks.len()).map(|s| vec![s]).collect();
    (Method1::new(layout, groups, config).unwrap(), params)
}

/// `((A − a)/(A + a))²` of each block's spectrum.
fn rates(spectra: &[Vec<f64>]) -> Vec<f64> {
    spectra
        .iter()
        .map(|l| {
            let (a, big_a) = (
                l.iter().cloned().fold(f64::INFINITY, f64::min),
                l.iter().cloned().fold(0.0, f64::max),
            );
            ((big_a - a) / (big_a + a)).powi(2)
        })
        .collect()
}

/// Blocks of sizes 1–4 with eigenvalues in [0.1, 10] and a random reflection each.
fn blocks_strategy() -> impl Strategy<Value = Vec<(Vec<f64>, Vec<f64>)>> {
    prop::collection::vec(
        (1usize..5).prop_flat_map(|n| {
            (
                prop::collection::vec(0.1f64..10.0, n),
                prop::collection::vec(0.1f64..1.0, n),
            )
        }),
        1..5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The bound holds at every step of a short run. Both losses are computed from the iterates in f64; their
    /// ratio carries a relative error of a few ulp times the condition of the blocks (≤ 100), so 1e-12 slack.
    #[test]
    fn every_step_obeys_the_bound(
        spec in blocks_strategy(),
        theta_seed in prop::collection::vec(-1.0f64..1.0, 16),
    ) {
        let (blocks, spectra): (Vec<_>, Vec<_>) =
            spec.iter().map(|(l, v)| (block(l, v).0, l.clone())).unzip();
        let bound = rates(&spectra).into_iter().fold(0.0, f64::max);
        let h = block_diag(&blocks);
        let p = h.len();
        let mut q = Quadratic::new(h, vec![0.0; p]);
        let theta0: Vec<f64> = theta_seed[..p].to_vec();
        prop_assume!(q.loss(&theta0) > 1e-3);
        let (mut m, mut params) = method(&blocks, &theta0);
        for t in 0..4 {
            let before = q.loss(&flatten(&params));
            if before < 1e-24 {
                break;
            }
            let r = m.step(&mut params, &mut q).unwrap().method1.unwrap();
            let update = &r.summaries.as_ref().unwrap().update;
            prop_assert!(matches!(update, EtaUpdate::Solved(_)), "step {t}: {update:?}");
            let ratio = q.loss(&flatten(&params)) / before;
            prop_assert!(ratio <= bound + 1e-12, "step {t}: ratio {ratio} > bound {bound}");
        }
    }

    /// The bound is attained from `θ = H⁻¹(v_min + v_max)` in the worst block (the others at 0, so inert).
    #[test]
    fn the_bound_is_attained(
        spec in blocks_strategy(),
    ) {
        let (blocks, qs): (Vec<_>, Vec<_>) = spec.iter().map(|(l, v)| block(l, v)).unzip();
        let spectra: Vec<Vec<f64>> = spec.iter().map(|(l, _)| l.clone()).collect();
        let rate = rates(&spectra);
        let s0 = (0..rate.len()).max_by(|&i, &j| rate[i].total_cmp(&rate[j])).unwrap();
        prop_assume!(rate[s0] > 1e-6);
        let l = &spectra[s0];
        let lo = (0..l.len()).min_by(|&i, &j| l[i].total_cmp(&l[j])).unwrap();
        let hi = (0..l.len()).max_by(|&i, &j| l[i].total_cmp(&l[j])).unwrap();
        let mut theta = vec![0.0; spectra.iter().map(Vec::len).sum()];
        let at: usize = spectra[..s0].iter().map(Vec::len).sum();
        for i in 0..l.len() {
            // Column k of Q is the eigenvector of λ_k (Q is symmetric).
            theta[at + i] = qs[s0][i][lo] / l[lo] + qs[s0][i][hi] / l[hi];
        }
        let mut q = Quadratic::new(block_diag(&blocks), vec![0.0; theta.len()]);
        let (mut m, mut params) = method(&blocks, &theta);
        let before = q.loss(&theta);
        m.step(&mut params, &mut q).unwrap();
        let ratio = q.loss(&flatten(&params)) / before;
        prop_assert!((ratio - rate[s0]).abs() <= 1e-10, "ratio {ratio} vs {}", rate[s0]);
    }
}
