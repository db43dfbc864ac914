//! The scalar equation of appendix D, r = φ(r) = c‖(Λ + rI)⁻¹β‖ with c = 2/λ_int, in the eigenbasis of K.
//!
//! The unknown is shifted, t = r − lo with lo = max(0, −λ_min), so that the pole sits at t = 0 and the gaps
//! μᵢ = λᵢ + lo ≥ 0 are exact: near the pole (the almost-hard case) t keeps its full relative precision.
//! On t > 0, φ is decreasing and 1/φ concave (Moré–Sorensen), so g(t) = 1/φ(t) − 1/(lo + t) is increasing
//! and concave: Newton on g moves monotonically to the root from its left, and a Newton step that leaves the
//! bracket [a, b] (f(a) < 0 ≤ f(b)) is replaced by bisection.

use super::SolveError;

/// f(t) = lo + t − φ(t) with φ(t) = c‖(diag(μ) + t)⁻¹β‖.
pub(super) struct Secular<'a> {
    /// Shifted eigenvalues μᵢ = λᵢ + lo ≥ 0 (μᵢ = 0 only where βᵢ = 0 or on the pole).
    pub mu: &'a [f64],
    /// β = Qᵀb, components set exactly to 0 where they are to be ignored.
    pub beta: &'a [f64],
    /// c = 2/λ_int.
    pub c: f64,
    /// lo = max(0, −λ_min(K)).
    pub lo: f64,
}

impl Secular<'_> {
    /// (φ(t), φ'(t)), computed with a common scale so that no square overflows near the pole.
    pub fn phi(&self, t: f64) -> (f64, f64) {
        let v = |i: usize| {
            if self.beta[i] == 0.0 {
                0.0
            } else {
                self.beta[i] / (self.mu[i] + t)
            }
        };
        let m = (0..self.mu.len()).fold(0.0_f64, |m, i| m.max(v(i).abs()));
        if m == 0.0 {
            return (0.0, 0.0);
        }
        let (mut s2, mut s3) = (0.0, 0.0);
        for i in 0..self.mu.len() {
            let w = (v(i) / m).powi(2);
            if w > 0.0 {
                s2 += w;
                s3 += w / (self.mu[i] + t);
            }
        }
        (self.c * m * s2.sqrt(), -self.c * m * s3 / s2.sqrt())
    }

    /// f(t) = lo + t − φ(t).
    fn f(&self, t: f64) -> f64 {
        self.lo + t - self.phi(t).0
    }

    /// The root t ≥ 0 of f and the iteration count; the caller ensures f(0⁺) < 0 (else t = 0 is returned).
    pub fn solve(&self, rel_tol: f64, max_iter: usize) -> Result<(f64, usize), SolveError> {
        // φ(t) ≤ cB/(μ₀ + t), so (lo + t)(μ₀ + t) ≥ cB gives f(t) ≥ 0: the positive root of that quadratic.
        let cb = self.c * self.beta.iter().map(|b| b * b).sum::<f64>().sqrt();
        let mu0 = (0..self.mu.len())
            .filter(|&i| self.beta[i] != 0.0)
            .fold(f64::INFINITY, |m, i| m.min(self.mu[i]));
        if cb == 0.0 || cb <= self.lo * mu0 {
            return Ok((0.0, 0));
        }
        let disc = ((self.lo - mu0).powi(2) + 4.0 * cb).sqrt();
        let mut b = 2.0 * (cb - self.lo * mu0) / (self.lo + mu0 + disc);
        for _ in 0..64 {
            if self.f(b) >= 0.0 || !b.is_finite() {
                break;
            }
            b *= 2.0; // only rounding can make the bound fall short
        }
        let (mut a, mut t, mut residual) = (0.0, b, f64::INFINITY);
        for k in 1..=max_iter {
            let (phi, dphi) = self.phi(t);
            let r = self.lo + t;
            let f = r - phi;
            residual = f.abs() / r;
            if !residual.is_finite() {
                return Err(SolveError::Overflow {
                    what: "secular equation",
                });
            }
            if f.abs() <= rel_tol * r {
                return Ok((t, k));
            }
            if f < 0.0 {
                a = t;
            } else {
                b = t;
            }
            if b - a <= 4.0 * f64::EPSILON * b {
                return Ok((t, k)); // the bracket is at the resolution of f64
            }
            let (g, dg) = (1.0 / phi - 1.0 / r, -dphi / (phi * phi) + 1.0 / (r * r));
            let next = t - g / dg;
            t = if next > a && next < b {
                next
            } else {
                0.5 * (a + b)
            };
        }
        Err(SolveError::NoConvergence {
            iterations: max_iter,
            residual,
        })
    }
}
