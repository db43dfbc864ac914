//! Test oracles: the residual of the defining equation, a brute-force minimiser of T, random problems.

use super::{cubic_model, solve, CubicParams, Solution, SolveError};

/// A problem (ḡ, H̄, d3, λ_int).
#[derive(Debug, Clone)]
pub struct Problem {
    pub g: Vec<f64>,
    pub h: Vec<Vec<f64>>,
    pub d3: Vec<f64>,
    pub lambda: f64,
}

impl Problem {
    /// Builds a problem from raw draws: H = sym(A) (indefinite in general) or AAᵀ/S + 0.05 I (positive
    /// definite), d3[s] = ±10^e[s].
    pub fn from_draws(
        s: usize,
        a: &[f64],
        g: &[f64],
        d3: &[(f64, bool)],
        lambda: f64,
        pd: bool,
    ) -> Self {
        let h = (0..s)
            .map(|i| {
                (0..s)
                    .map(|j| {
                        if pd {
                            (0..s).map(|k| a[i * s + k] * a[j * s + k]).sum::<f64>() / s as f64
                                + if i == j { 0.05 } else { 0.0 }
                        } else {
                            0.5 * (a[i * s + j] + a[j * s + i])
                        }
                    })
                    .collect()
            })
            .collect();
        let d3 = d3
            .iter()
            .map(|&(e, neg)| if neg { -(10f64.powf(e)) } else { 10f64.powf(e) })
            .collect();
        Self {
            g: g.to_vec(),
            h,
            d3,
            lambda,
        }
    }

    /// T(η).
    pub fn t(&self, eta: &[f64]) -> f64 {
        cubic_model(&self.g, &self.h, &self.d3, self.lambda, eta)
    }

    /// The problem after the reparameterisation u_s → a_s u_s: (a∘ḡ, diag(a)H̄diag(a), a³∘d3).
    pub fn rescaled(&self, a: &[f64]) -> Self {
        let s = self.g.len();
        Self {
            g: (0..s).map(|i| a[i] * self.g[i]).collect(),
            h: (0..s)
                .map(|i| (0..s).map(|j| a[i] * self.h[i][j] * a[j]).collect())
                .collect(),
            d3: (0..s).map(|i| a[i].powi(3) * self.d3[i]).collect(),
            lambda: self.lambda,
        }
    }

    /// Weights that make a per-group quantity scale-free: 1/D_s, else 1/√|H_ss|, else 1.
    pub fn weights(&self) -> Vec<f64> {
        (0..self.g.len())
            .map(|i| {
                let (d, h) = (self.d3[i].abs().cbrt(), self.h[i][i].abs().sqrt());
                if d > 0.0 {
                    1.0 / d
                } else if h > 0.0 {
                    1.0 / h
                } else {
                    1.0
                }
            })
            .collect()
    }

    /// Normwise backward error of ḡ = (H̄ + (λ/2)‖Dη‖D²)η, rows weighted by [`Self::weights`]: the weighted
    /// residual over the weighted sum of the absolute values of its terms (so 1e-16·S is rounding level).
    pub fn residual(&self, eta: &[f64]) -> f64 {
        let dd: Vec<f64> = self.d3.iter().map(|d| d.abs().cbrt()).collect();
        let dn = eta
            .iter()
            .zip(&dd)
            .map(|(e, d)| (e * d).powi(2))
            .sum::<f64>()
            .sqrt();
        let (mut num, mut den) = (0.0_f64, 0.0_f64);
        for (i, w) in self.weights().into_iter().enumerate() {
            let cubic = 0.5 * self.lambda * dn * dd[i] * dd[i] * eta[i];
            let hx: Vec<f64> = (0..eta.len()).map(|j| self.h[i][j] * eta[j]).collect();
            num = num.max(w * (self.g[i] - hx.iter().sum::<f64>() - cubic).abs());
            den = den
                .max(w * (self.g[i].abs() + hx.iter().map(|x| x.abs()).sum::<f64>() + cubic.abs()));
        }
        if den == 0.0 {
            0.0
        } else {
            num / den
        }
    }

    /// An a-priori radius of every minimiser (all D_s > 0): T(η) > 0 once
    /// (λ/6)d_min³ρ³ − ½‖H‖_F ρ² − ‖g‖ρ > 0.
    pub fn radius(&self) -> f64 {
        let dmin3 = self.d3.iter().fold(f64::INFINITY, |m, d| m.min(d.abs()));
        let hn = self.h.iter().flatten().map(|x| x * x).sum::<f64>().sqrt();
        let gn = self.g.iter().map(|x| x * x).sum::<f64>().sqrt();
        let a = self.lambda / 6.0 * dmin3;
        1.01 * (0.5 * hn + (0.25 * hn * hn + 4.0 * a * gn).sqrt()) / (2.0 * a)
    }

    /// The smallest T found by a grid over [−ρ, ρ]^S (S ≤ 3) and a compass search from its best points and from
    /// random starts: an oracle independent of the solver's maths.
    pub fn brute_force_min(&self, seed: u64) -> f64 {
        use rand::{Rng, SeedableRng};
        let (s, rho) = (self.g.len(), self.radius());
        let m: usize = [0, 2001, 201, 41][s];
        let mut pts: Vec<(f64, Vec<f64>)> = (0..m.pow(s as u32))
            .map(|mut k| {
                let p: Vec<f64> = (0..s)
                    .map(|_| {
                        let c = k % m;
                        k /= m;
                        -rho + 2.0 * rho * c as f64 / (m - 1) as f64
                    })
                    .collect();
                (self.t(&p), p)
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        pts.truncate(8);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..32 {
            let p: Vec<f64> = (0..s).map(|_| rng.random_range(-rho..rho)).collect();
            pts.push((self.t(&p), p));
        }
        let step0 = 2.0 * rho / (m - 1) as f64;
        pts.into_iter()
            .map(|(_, p)| self.compass(p, step0))
            .fold(f64::INFINITY, f64::min)
    }

    /// Compass search: move by ±step along a coordinate while T decreases, halve the step otherwise.
    fn compass(&self, mut p: Vec<f64>, mut step: f64) -> f64 {
        let mut best = self.t(&p);
        let stop = 1e-13 * step;
        while step > stop {
            let mut moved = false;
            for i in 0..p.len() {
                for sign in [1.0, -1.0] {
                    p[i] += sign * step;
                    let v = self.t(&p);
                    if v < best {
                        best = v;
                        moved = true;
                    } else {
                        p[i] -= sign * step;
                    }
                }
            }
            if !moved {
                step *= 0.5;
            }
        }
        best
    }
}

/// Default parameters with this λ_int.
pub fn params(lambda_int: f64) -> CubicParams {
    CubicParams {
        lambda_int,
        ..CubicParams::default()
    }
}

/// |a − b| ≤ tol·max(|a|, |b|).
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// A problem from literal rows.
pub fn problem(g: &[f64], h: &[&[f64]], d3: &[f64], lambda: f64) -> Problem {
    Problem {
        g: g.to_vec(),
        h: h.iter().map(|r| r.to_vec()).collect(),
        d3: d3.to_vec(),
        lambda,
    }
}

/// Solves `p` with default parameters and its λ_int.
pub fn run(p: &Problem) -> Result<Solution, SolveError> {
    solve(&p.g, &p.h, &p.d3, &params(p.lambda))
}
