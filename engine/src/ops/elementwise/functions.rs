//! The scalar functions of the elementwise ops and all their derivatives — the "from derivatives" jet kind needs
//! `f⁽ᵐ⁾(x₀)` for every m up to the jet order (plus one for the reverse rule).
//!
//! tanh and sigmoid have derivatives that are polynomials in their own value (`tanh' = 1 − y²`,
//! `σ' = σ − σ²`), so given the forward output no transcendental is re-evaluated; ELU and exp likewise reuse `y`.

use std::sync::{Arc, OnceLock};

use crate::float::Float;

/// Highest derivative the tables below provide.
pub const MAX_DERIV: usize = 16;

/// A scalar function applied elementwise.
#[derive(Debug, Clone, PartialEq)]
pub enum UnaryFn {
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid `1 / (1 + e^{-x})`.
    Sigmoid,
    /// ELU with the given `alpha`: `x` for `x > 0`, `alpha (e^x − 1)` otherwise.
    Elu(f64),
    /// `max(x, 0)`.
    Relu,
    /// `e^x`.
    Exp,
    /// Natural logarithm (domain `x > 0`).
    Log,
    /// The polynomial `Σ c_i x^i` with the given coefficients.
    Poly(Arc<Vec<f64>>),
}

/// `p'` of a polynomial given by coefficients.
fn poly_deriv(p: &[f64]) -> Vec<f64> {
    p.iter()
        .enumerate()
        .skip(1)
        .map(|(i, c)| c * i as f64)
        .collect()
}

/// `p · q`.
fn poly_mul(p: &[f64], q: &[f64]) -> Vec<f64> {
    let mut r = vec![0.0; (p.len() + q.len()).saturating_sub(1)];
    for (i, a) in p.iter().enumerate() {
        for (j, b) in q.iter().enumerate() {
            r[i + j] += a * b;
        }
    }
    r
}

/// `P_0 = y`, `P_{m+1} = P_m' · chain` — the derivatives of a function whose derivative is `chain(y)`.
fn derivative_polys(chain: &[f64]) -> Vec<Vec<f64>> {
    let mut ps = vec![vec![0.0, 1.0]];
    for m in 0..MAX_DERIV {
        let next = poly_mul(&poly_deriv(&ps[m]), chain);
        ps.push(next);
    }
    ps
}

fn tanh_polys() -> &'static [Vec<f64>] {
    static P: OnceLock<Vec<Vec<f64>>> = OnceLock::new();
    P.get_or_init(|| derivative_polys(&[1.0, 0.0, -1.0]))
}

fn sigmoid_polys() -> &'static [Vec<f64>] {
    static P: OnceLock<Vec<Vec<f64>>> = OnceLock::new();
    P.get_or_init(|| derivative_polys(&[0.0, 1.0, -1.0]))
}

/// tanh and its first three derivatives at `x`, given `y = tanh x`.
#[inline(always)]
pub(crate) fn tanh_low<F: Float>(y: F) -> [F; 4] {
    let two = F::of(2.0);
    let d1 = F::one() - y * y;
    [y, d1, -two * y * d1, d1 * (F::of(6.0) * y * y - two)]
}

/// σ and its first three derivatives at `x`, given `s = σ(x)`.
#[inline(always)]
pub(crate) fn sigmoid_low<F: Float>(s: F) -> [F; 4] {
    let d1 = s * (F::one() - s);
    let c = F::one() - F::of(2.0) * s;
    [s, d1, d1 * c, d1 * (c * c - F::of(2.0) * d1)]
}

/// `p⁽ᵈ⁾(x) = Σ_{i≥d} c_i · i!/(i−d)! · x^{i−d}`, without allocating.
#[inline]
fn poly_deriv_at<F: Float>(c: &[f64], d: usize, x: F) -> F {
    let mut acc = F::zero();
    for i in (d..c.len()).rev() {
        let falling: f64 = ((i - d + 1)..=i).map(|v| v as f64).product();
        acc = acc * x + F::of(c[i] * falling);
    }
    acc
}

#[inline]
fn horner<F: Float>(p: &[f64], y: F) -> F {
    p.iter().rev().fold(F::zero(), |acc, &c| acc * y + F::of(c))
}

impl UnaryFn {
    /// `f(x)`.
    #[inline]
    pub fn value<F: Float>(&self, x: F) -> F {
        match self {
            UnaryFn::Tanh => x.tanh_fast(),
            UnaryFn::Sigmoid => F::one() / (F::one() + (-x).exp()),
            UnaryFn::Elu(a) => {
                if x > F::zero() {
                    x
                } else {
                    F::of(*a) * x.exp_m1()
                }
            }
            UnaryFn::Relu => {
                if x > F::zero() {
                    x
                } else {
                    F::zero()
                }
            }
            UnaryFn::Exp => x.exp(),
            UnaryFn::Log => x.ln(),
            UnaryFn::Poly(c) => horner(c, x),
        }
    }

    /// Writes `f⁽ᶠⁱʳˢᵗ⁺ᵐ⁾(x)` into `out[m]`; `fx` is `f(x)` when the caller has it (saves a transcendental).
    #[inline]
    pub fn derivs<F: Float>(&self, x: F, fx: Option<F>, first: usize, out: &mut [F]) {
        let y = || fx.unwrap_or_else(|| self.value(x));
        match self {
            UnaryFn::Tanh | UnaryFn::Sigmoid => {
                let y = y();
                let tanh = matches!(self, UnaryFn::Tanh);
                if first + out.len() <= 4 {
                    // Closed forms for the orders training uses: the polynomial tables below are exact but slower.
                    let all = if tanh { tanh_low(y) } else { sigmoid_low(y) };
                    out.copy_from_slice(&all[first..first + out.len()]);
                } else {
                    let ps = if tanh { tanh_polys() } else { sigmoid_polys() };
                    for (m, o) in out.iter_mut().enumerate() {
                        *o = ps.get(first + m).map_or(F::nan(), |p| horner(p, y));
                    }
                }
            }
            UnaryFn::Elu(a) => {
                let pos = x > F::zero();
                let ex = if pos { F::zero() } else { y() + F::of(*a) };
                for (m, o) in out.iter_mut().enumerate() {
                    *o = match (first + m, pos) {
                        (0, _) => y(),
                        (1, true) => F::one(),
                        (_, true) => F::zero(),
                        (_, false) => ex,
                    };
                }
            }
            UnaryFn::Relu => {
                let pos = x > F::zero();
                for (m, o) in out.iter_mut().enumerate() {
                    *o = match (first + m, pos) {
                        (0, true) => x,
                        (1, true) => F::one(),
                        _ => F::zero(),
                    };
                }
            }
            UnaryFn::Exp => out.iter_mut().for_each(|o| *o = y()),
            UnaryFn::Log => {
                for (m, o) in out.iter_mut().enumerate() {
                    let d = first + m;
                    *o = if d == 0 {
                        y()
                    } else {
                        // (−1)^{d−1} (d−1)! / x^d
                        let fact: f64 = (1..d).map(|i| i as f64).product();
                        let sign = if d % 2 == 1 { 1.0 } else { -1.0 };
                        F::of(sign * fact) / x.powi(d as i32)
                    };
                }
            }
            UnaryFn::Poly(c) => {
                for (m, o) in out.iter_mut().enumerate() {
                    *o = poly_deriv_at(c, first + m, x);
                }
            }
        }
    }
}
