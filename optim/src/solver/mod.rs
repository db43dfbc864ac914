//! The step-size solver of Method 1: η* minimising the anisotropic cubic model (paper §4.2, appendix D)
//!
//! ```text
//! T(η) = −ηᵀḡ + ½ ηᵀH̄η + (λ_int/6)‖Dη‖³,   D = diag(|d3_s|^{1/3})
//! ```
//!
//! Its global minimiser is the solution of largest ‖Dη‖ of ḡ = (H̄ + (λ_int/2)‖Dη‖D²)η. With
//! K = (2/λ_int) D⁻¹H̄D⁻¹ = QΛQᵀ and b = D⁻¹ḡ, r = ‖Dη*‖ is the root of r = (2/λ_int)‖(K + rI)⁻¹b‖ on
//! r > max(0, −λ_min(K)), found by a safeguarded Newton iteration (`secular.rs`); then η* = D⁻¹(2/λ_int)(K + rI)⁻¹b.
//!
//! Degenerate groups, each with a documented treatment:
//! - *inert* groups (row and column of H̄ zero and ḡ_s = 0, what u_s = 0 gives) get η_s = 0 and are left out;
//! - groups with a *negligible* d3 carry no cubic term: they are minimised out exactly (Schur complement on
//!   their block, which must then be positive definite, else [`SolveError::NegligibleD3NotPositiveDefinite`]);
//!   when every group is negligible this is plain Newton ([`SolveOutcome::NewtonNoThirdOrder`]). Negligible means
//!   d3_s = 0, or ρ_s ≤ `tiny`·max_k ρ_k with ρ_s = |d3_s|^{1/3}/√|H̄_ss| (groups with H̄_ss = 0 have no ρ and
//!   are negligible only when d3_s = 0). ρ_s is unchanged by u_s → a_s u_s, so this choice keeps the solver
//!   invariant under per-group scaling (appendix E), which a floor at `tiny`·max_s |d3_s|^{1/3} would break
//!   for groups whose u_s is merely small. Dropping only guards K against overflow: when a dropped d3 is not
//!   exactly zero, the problem that keeps it in the cubic term is solved too and the η of lower T is returned;
//! - the *hard case* (H̄ not positive definite and b orthogonal to the eigenvectors of λ_min(K), φ bounded at the
//!   pole) follows Nesterov–Polyak: r = −λ_min and a component along the first minimal eigenvector (with a
//!   non-negative coefficient) brings ‖Dη‖ up to r ([`SolveOutcome::HardCase`]).
//!
//! `hbar` is used through its symmetric part ½(H̄ + H̄ᵀ), the only part T depends on.

mod cubic;
mod linalg;
mod secular;
mod validate;

#[cfg(test)]
mod degenerate;
#[cfg(test)]
mod oracle;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use validate::cubic_model;

/// Tuning knobs of [`solve`], with the paper's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CubicParams {
    /// Internal damping λ_int ≥ 0 of the cubic term; 0 gives plain Newton η = H̄⁻¹ḡ. Default 1.
    pub lambda_int: f64,
    /// Relative tolerance of the scalar root: stop when |r − φ(r)| ≤ `rel_tol`·r. Default 1e-10.
    pub rel_tol: f64,
    /// Cap on the iterations of the scalar root finder. Default 200.
    pub max_iter: usize,
    /// Relative threshold: a group with ρ_s = |d3_s|^{1/3}/√|H̄_ss| ≤ `tiny`·max ρ (or d3_s = 0) has a negligible
    /// cubic term (see the [module docs](self)), an eigenvalue
    /// |λ| ≤ `tiny`·max|λ| of a Jacobi-scaled matrix counts as zero, and |qᵢᵀb| ≤ `tiny`·‖b‖ as orthogonal.
    /// Default 1e-12.
    pub tiny: f64,
}

impl Default for CubicParams {
    fn default() -> Self {
        Self {
            lambda_int: 1.0,
            rel_tol: 1e-10,
            max_iter: 200,
            tiny: 1e-12,
        }
    }
}

/// What [`solve`] did, to be logged by the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SolveOutcome {
    /// `lambda_int = 0`: plain Newton η = H̄⁻¹ḡ on the active groups, H̄ positive definite there.
    Newton,
    /// `lambda_int > 0` but every active group has a negligible d3: the cubic term vanishes and η = H̄⁻¹ḡ
    /// on the active groups (H̄ positive definite there).
    NewtonNoThirdOrder,
    /// The regular case: r = ‖Dη*‖ solves r = φ(r) on r > max(0, −λ_min(K)).
    Cubic {
        /// r = ‖Dη*‖ (D restricted to the groups with a non-negligible d3).
        r: f64,
        /// Iterations of the scalar root finder.
        iterations: usize,
        /// Whether H̄ is positive definite on the active groups (T is then strictly convex).
        hbar_positive_definite: bool,
    },
    /// The hard case (H̄ not positive definite, b ⟂ eigenvectors of λ_min(K)): r = −λ_min(K) and η* has a
    /// non-negative component along the first minimal eigenvector; −η* along that component is an equally good
    /// minimiser.
    HardCase {
        /// r = ‖Dη*‖ = −λ_min(K).
        r: f64,
    },
    /// η* = 0: every group is inert, or the (reduced) gradient vanishes and the curvature is positive definite.
    Stationary,
}

/// The result of [`solve`].
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// η*, one step size per group; finite, 0 for inert groups.
    pub eta: Vec<f64>,
    /// What the solver did.
    pub outcome: SolveOutcome,
    /// T(η*), the value of the cubic model (with the unfloored d3) at η*; ≤ 0 up to rounding.
    pub model_decrease: f64,
    /// Groups with u_s = 0 (zero row/column of H̄ and ḡ_s = 0): given η_s = 0.
    pub inert_groups: Vec<usize>,
    /// Groups whose d3 was negligible (see [`CubicParams::tiny`]): minimised out without a cubic term.
    pub negligible_d3_groups: Vec<usize>,
}

/// Why [`solve`] returned no η.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// S = 0: there is nothing to solve.
    #[error("empty problem: S = 0 groups")]
    Empty,
    /// An input has the wrong length (`hbar` rows are named `"hbar row"`).
    #[error("{what} has length {found}, expected {expected}")]
    DimensionMismatch {
        /// Which input.
        what: &'static str,
        /// S, the length of `gbar`.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// NaN or ±Inf in an input; `index` is flat, row-major (i·S + j) for `hbar`.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// `"gbar"`, `"hbar"` or `"d3"`.
        what: &'static str,
        /// Position of the first offending value.
        index: usize,
    },
    /// A [`CubicParams`] field out of its domain (λ_int < 0, rel_tol ≤ 0, tiny < 0, or non-finite).
    #[error("invalid solver parameter {what} = {value}: lambda_int (λ_int) and tiny must be finite and \
             non-negative, rel_tol finite and positive")]
    InvalidParams {
        /// The field.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// `lambda_int = 0` and H̄ (Jacobi-scaled, active groups) is singular: |λ|min ≤ tiny·|λ|max.
    #[error("hbar is singular (Jacobi-scaled eigenvalues: min |λ| = {min_abs_eigenvalue:e}, max |λ| = {max_abs_eigenvalue:e}): Newton step undefined")]
    Singular {
        /// Smallest |eigenvalue| of W⁻¹H̄W⁻¹, W = diag(√|H̄_ss|) (1 where H̄_ss = 0).
        min_abs_eigenvalue: f64,
        /// Largest |eigenvalue| of W⁻¹H̄W⁻¹.
        max_abs_eigenvalue: f64,
    },
    /// `lambda_int = 0` and H̄ is indefinite: the quadratic model is unbounded below, H̄⁻¹ḡ is no minimiser.
    #[error("hbar is not positive definite (Jacobi-scaled min eigenvalue {min_eigenvalue:e}): the quadratic model is unbounded below")]
    NotPositiveDefinite {
        /// Smallest eigenvalue of W⁻¹H̄W⁻¹ (< 0).
        min_eigenvalue: f64,
    },
    /// The block of H̄ on the groups with a negligible d3 is not positive definite, so nothing bounds T (or
    /// makes its minimiser unique) along them.
    #[error("hbar restricted to the groups {groups:?} with negligible d3 is not positive definite (Jacobi-scaled min eigenvalue {min_eigenvalue:e})")]
    NegligibleD3NotPositiveDefinite {
        /// The groups with a negligible d3.
        groups: Vec<usize>,
        /// Smallest eigenvalue of their Jacobi-scaled block.
        min_eigenvalue: f64,
    },
    /// faer's symmetric eigensolver did not converge.
    #[error("the symmetric eigendecomposition of {what} did not converge")]
    EigenNoConvergence {
        /// Which matrix.
        what: &'static str,
    },
    /// The scalar root finder hit `max_iter`.
    #[error("no convergence of the scalar root after {iterations} iterations (relative residual {residual:e})")]
    NoConvergence {
        /// Iterations done.
        iterations: usize,
        /// |r − φ(r)| / r at the last iterate.
        residual: f64,
    },
    /// An intermediate (K, b, or η) overflowed: the inputs are too badly scaled for f64.
    #[error("overflow in {what}: the inputs are too badly scaled")]
    Overflow {
        /// Which quantity.
        what: &'static str,
    },
}

/// Minimises T(η) = −ηᵀḡ + ½ηᵀH̄η + (λ_int/6)‖Dη‖³, D = diag(|d3|^{1/3}) (see the [module docs](self)).
///
/// `gbar` has length S, `hbar` is S×S (symmetric; its symmetric part is used), `d3` has length S (the diagonal
/// of D³(u)). Never panics, never returns a non-finite η.
pub fn solve(
    gbar: &[f64],
    hbar: &[Vec<f64>],
    d3: &[f64],
    p: &CubicParams,
) -> Result<Solution, SolveError> {
    let n = validate::check_inputs(gbar, hbar, d3, p)?;
    let h = validate::symmetric_part(hbar, n);
    let (active, inert_groups) = validate::split_inert(gbar, &h, n);
    let mut eta = vec![0.0; n];
    let mut negligible_d3_groups = Vec::new();
    let outcome = if active.is_empty() {
        SolveOutcome::Stationary
    } else {
        let g_a: Vec<f64> = active.iter().map(|&i| gbar[i]).collect();
        let h_a = linalg::submatrix(&h, n, &active, &active);
        let (eta_a, outcome) = if p.lambda_int == 0.0 {
            (cubic::newton(&g_a, &h_a, p.tiny)?, SolveOutcome::Newton)
        } else {
            let d3_a: Vec<f64> = active.iter().map(|&i| d3[i]).collect();
            let (eta_a, outcome, negligible) = cubic::regularised(&g_a, &h_a, &d3_a, p)
                .map_err(|e| validate::map_groups(e, &active))?;
            negligible_d3_groups = negligible.iter().map(|&k| active[k]).collect();
            (eta_a, outcome)
        };
        for (&i, &e) in active.iter().zip(&eta_a) {
            eta[i] = e;
        }
        outcome
    };
    if eta.iter().any(|e| !e.is_finite()) {
        return Err(SolveError::Overflow { what: "eta" });
    }
    let model_decrease = cubic_model(gbar, hbar, d3, p.lambda_int, &eta);
    Ok(Solution {
        eta,
        outcome,
        model_decrease,
        inert_groups,
        negligible_d3_groups,
    })
}
