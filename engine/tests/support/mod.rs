//! Test support shared by `ops_vjp.rs`, `ops_jets.rs` and `summaries_props.rs`: seeded random tensors, Taylor
//! coefficients by Richardson-extrapolated central differences, and tolerance-aware comparisons; the op catalogue
//! ([`cases`]), the power-series oracle ([`series`]) and the random nets of the summaries tests ([`nets`]).
//!
//! Every test crate that declares `mod support;` compiles all of it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod cases;
pub mod nets;
pub mod series;

use jetnewton_engine::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded generator: proptest draws the seed, so every failure is reproducible from the printed case.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A tensor of `shape` with entries uniform in `[lo, hi)`.
pub fn uniform(rng: &mut ChaCha8Rng, shape: &[usize], lo: f64, hi: f64) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec(
        shape.to_vec(),
        (0..n).map(|_| rng.random_range(lo..hi)).collect(),
    )
    .unwrap()
}

/// `a + c·b` for tensors of one shape.
pub fn axpy(a: &Tensor<f64>, c: f64, b: &Tensor<f64>) -> Tensor<f64> {
    let mut out = a.clone();
    out.axpy(c, b).unwrap();
    out
}

/// The point `x₀ + t x₁ + t² x₂ + …` of a polynomial curve whose coefficients may be zero tags (`None`).
pub fn curve_at(x0: &Tensor<f64>, coeffs: &[Option<Tensor<f64>>], t: f64) -> Tensor<f64> {
    let mut out = x0.clone();
    let mut tk = 1.0;
    for c in coeffs {
        tk *= t;
        if let Some(c) = c {
            out.axpy(tk, c).unwrap();
        }
    }
    out
}

/// Step of the central differences for the derivative of order `k`, after one Richardson step: truncation
/// `~C·(h/R)⁴` relative (`R` the radius of convergence in `t`, ≳ 0.5 for the O(1)-scaled functions of these tests)
/// and rounding `~ε·|φ|/hᵏ` both stay below ~1e-6 at order 4 and far below at lower orders. `2h ≤ 0.02`, so every
/// evaluation stays within [`cases::SAFE_STEP`] of `t = 0`.
pub fn fd_step(k: usize) -> f64 {
    match k {
        1 => 1e-3,
        2 => 4e-3,
        3 => 5e-3,
        4 => 1e-2,
        _ => panic!("finite differences only to order 4"),
    }
}

/// Second-order central difference for the k-th derivative of `phi` at 0 with step `h` (flattened vectors).
fn central(phi: &dyn Fn(f64) -> Vec<f64>, k: usize, h: f64) -> Vec<f64> {
    // Stencils (offset, weight) with error C·h² + O(h⁴).
    let stencil: &[(f64, f64)] = match k {
        1 => &[(1.0, 0.5), (-1.0, -0.5)],
        2 => &[(1.0, 1.0), (0.0, -2.0), (-1.0, 1.0)],
        3 => &[(2.0, 0.5), (1.0, -1.0), (-1.0, 1.0), (-2.0, -0.5)],
        4 => &[
            (2.0, 1.0),
            (1.0, -4.0),
            (0.0, 6.0),
            (-1.0, -4.0),
            (-2.0, 1.0),
        ],
        _ => panic!("finite differences only to order 4"),
    };
    let mut acc: Vec<f64> = Vec::new();
    for &(off, w) in stencil {
        let v = phi(off * h);
        if acc.is_empty() {
            acc = vec![0.0; v.len()];
        }
        acc.iter_mut().zip(&v).for_each(|(a, v)| *a += w * v);
    }
    let hk = h.powi(k as i32);
    acc.iter().map(|a| a / hk).collect()
}

/// The normalised Taylor coefficient `φ⁽ᵏ⁾(0)/k!` of a vector-valued `phi`, by central differences with one
/// Richardson extrapolation step (`(4·D(h/2) − D(h))/3` cancels the `h²` error term), using [`fd_step`].
pub fn taylor_fd(phi: &dyn Fn(f64) -> Vec<f64>, k: usize) -> Vec<f64> {
    let h = fd_step(k);
    let coarse = central(phi, k, h);
    let fine = central(phi, k, h / 2.0);
    let fact: f64 = (1..=k).map(|i| i as f64).product();
    coarse
        .iter()
        .zip(&fine)
        .map(|(c, f)| (4.0 * f - c) / 3.0 / fact)
        .collect()
}

/// Largest absolute entry (0 for an empty slice).
pub fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Asserts `|actual − expected| ≤ tol · (1 + max|expected|)` entrywise: a relative tolerance on the scale of the
/// whole quantity (single entries may cancel to ~0 while their rounding error follows the scale of the terms),
/// with the `1 +` floor for quantities that are themselves ~0.
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let bound = tol * (1.0 + max_abs(expected));
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= bound && a.is_finite(),
            "{what}: entry {i} is {a}, expected {e} (|diff| {:.3e} > bound {bound:.3e})",
            (a - e).abs()
        );
    }
}

/// Flattens tensors into one vector (for comparisons across several inputs).
pub fn flat(ts: &[Tensor<f64>]) -> Vec<f64> {
    ts.iter().flat_map(|t| t.data().iter().copied()).collect()
}

/// A coefficient that may be the zero tag, as values of `shape` (zeros for the tag).
pub fn coeff_values(c: Option<&Tensor<f64>>, shape: &[usize]) -> Vec<f64> {
    match c {
        Some(t) => {
            assert_eq!(t.shape(), shape, "coefficient shape");
            t.data().to_vec()
        }
        None => vec![0.0; shape.iter().product()],
    }
}
