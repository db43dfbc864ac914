//! Small dense helpers on flat row-major matrices, and faer's symmetric eigendecomposition.

use super::SolveError;
use faer::{Mat, Side};

/// A = QΛQᵀ with Λ ascending; `vectors[j * n + i]` = Q(i, j) (column j is the j-th eigenvector).
pub(super) struct Eigen {
    pub n: usize,
    pub values: Vec<f64>,
    pub vectors: Vec<f64>,
}

impl Eigen {
    /// The symmetric eigendecomposition of the flat row-major `a` (n×n, symmetric, finite).
    pub fn new(a: &[f64], n: usize, what: &'static str) -> Result<Self, SolveError> {
        if a.iter().any(|x| !x.is_finite()) {
            return Err(SolveError::Overflow { what });
        }
        let m = Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
        let evd = m
            .self_adjoint_eigen(Side::Lower)
            .map_err(|_| SolveError::EigenNoConvergence { what })?;
        let (s, u) = (evd.S().column_vector(), evd.U());
        let values: Vec<f64> = (0..n).map(|i| s[i]).collect();
        let vectors: Vec<f64> = (0..n)
            .flat_map(|j| (0..n).map(move |i| u[(i, j)]))
            .collect();
        if values.iter().chain(&vectors).any(|x| !x.is_finite()) {
            return Err(SolveError::EigenNoConvergence { what });
        }
        Ok(Self { n, values, vectors })
    }

    /// Eigenvector j.
    pub fn vector(&self, j: usize) -> &[f64] {
        &self.vectors[j * self.n..(j + 1) * self.n]
    }

    /// Qᵀx.
    pub fn project(&self, x: &[f64]) -> Vec<f64> {
        (0..self.n).map(|j| dot(self.vector(j), x)).collect()
    }

    /// Σⱼ cⱼ qⱼ.
    pub fn combine(&self, coeffs: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        for (j, &c) in coeffs.iter().enumerate() {
            for (o, q) in out.iter_mut().zip(self.vector(j)) {
                *o += c * q;
            }
        }
        out
    }

    /// max |λ|.
    pub fn max_abs(&self) -> f64 {
        self.values.iter().fold(0.0, |m, v| m.max(v.abs()))
    }
}

/// How a symmetric matrix stands, judged on its Jacobi-scaled eigenvalues (invariant under per-group scaling).
pub(super) enum Definiteness {
    PositiveDefinite,
    Singular { min_abs: f64, max_abs: f64 },
    Indefinite { min: f64 },
}

/// H = W (W⁻¹HW⁻¹) W with W = diag(√|H_ss|) (1 where H_ss = 0), and the eigendecomposition of W⁻¹HW⁻¹.
pub(super) struct ScaledEigen {
    w: Vec<f64>,
    eig: Eigen,
}

impl ScaledEigen {
    /// Decomposes the flat row-major symmetric `h` (n×n).
    pub fn new(h: &[f64], n: usize, what: &'static str) -> Result<Self, SolveError> {
        let w: Vec<f64> = (0..n)
            .map(|i| {
                if h[i * n + i] != 0.0 {
                    h[i * n + i].abs().sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        let scaled: Vec<f64> = (0..n * n).map(|k| h[k] / (w[k / n] * w[k % n])).collect();
        Ok(Self {
            eig: Eigen::new(&scaled, n, what)?,
            w,
        })
    }

    /// Positive definite when λ_min > `tiny`·max|λ|, singular when |λ| ≤ `tiny`·max|λ| for some λ, else indefinite.
    pub fn definiteness(&self, tiny: f64) -> Definiteness {
        let (min, max_abs) = (self.eig.values[0], self.eig.max_abs());
        let min_abs = self
            .eig
            .values
            .iter()
            .fold(f64::INFINITY, |m, v| m.min(v.abs()));
        if min < -tiny * max_abs {
            Definiteness::Indefinite { min }
        } else if max_abs == 0.0 || min <= tiny * max_abs {
            Definiteness::Singular { min_abs, max_abs }
        } else {
            Definiteness::PositiveDefinite
        }
    }

    /// The smallest eigenvalue of W⁻¹HW⁻¹.
    pub fn min_eigenvalue(&self) -> f64 {
        self.eig.values[0]
    }

    /// H⁻¹x = W⁻¹ Q Λ⁻¹ Qᵀ W⁻¹ x (call only when positive definite).
    pub fn solve(&self, x: &[f64]) -> Vec<f64> {
        let y: Vec<f64> = x.iter().zip(&self.w).map(|(a, w)| a / w).collect();
        let c: Vec<f64> = self
            .eig
            .project(&y)
            .iter()
            .zip(&self.eig.values)
            .map(|(c, l)| c / l)
            .collect();
        self.eig
            .combine(&c)
            .iter()
            .zip(&self.w)
            .map(|(a, w)| a / w)
            .collect()
    }
}

/// x·y.
pub(super) fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// The block A[rows, cols] of the flat row-major n×n `a`, flat row-major.
pub(super) fn submatrix(a: &[f64], n: usize, rows: &[usize], cols: &[usize]) -> Vec<f64> {
    rows.iter()
        .flat_map(|&i| cols.iter().map(move |&j| a[i * n + j]))
        .collect()
}
