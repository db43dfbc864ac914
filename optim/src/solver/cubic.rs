//! The two solution paths on the active groups: plain Newton (λ_int = 0) and the cubic-regularised step.

use super::linalg::{dot, submatrix, Definiteness, Eigen, ScaledEigen};
use super::secular::Secular;
use super::{CubicParams, SolveError, SolveOutcome};

/// η = H⁻¹g for a positive definite H (flat row-major); `Singular` or `NotPositiveDefinite` otherwise.
pub(super) fn newton(g: &[f64], h: &[f64], tiny: f64) -> Result<Vec<f64>, SolveError> {
    let se = ScaledEigen::new(h, g.len(), "hbar")?;
    match se.definiteness(tiny) {
        Definiteness::PositiveDefinite => Ok(se.solve(g)),
        Definiteness::Singular { min_abs, max_abs } => Err(SolveError::Singular {
            min_abs_eigenvalue: min_abs,
            max_abs_eigenvalue: max_abs,
        }),
        Definiteness::Indefinite { min } => Err(SolveError::NotPositiveDefinite {
            min_eigenvalue: min,
        }),
    }
}

/// A positive definite block's decomposition, or the error naming the negligible-d3 groups it belongs to.
fn pd_block(h: &[f64], groups: &[usize], tiny: f64) -> Result<ScaledEigen, SolveError> {
    let se = ScaledEigen::new(h, groups.len(), "hbar block of negligible d3")?;
    match se.definiteness(tiny) {
        Definiteness::PositiveDefinite => Ok(se),
        Definiteness::Singular { .. } | Definiteness::Indefinite { .. } => {
            Err(SolveError::NegligibleD3NotPositiveDefinite {
                groups: groups.to_vec(),
                min_eigenvalue: se.min_eigenvalue(),
            })
        }
    }
}

/// The minimiser of T for λ_int > 0 on the active groups: (η, outcome, groups with a negligible d3).
///
/// Groups with d3 = 0 or a negligible ρ (see [`super::CubicParams::tiny`]) are minimised out (see [`eliminate`]).
/// When that drops a d3 that is tiny but not zero, the problem that keeps those groups in the cubic term is solved
/// too and the η of lower T wins: dropping is a safeguard against overflow in K, never a change of the answer
/// where f64 can represent the exact one.
pub(super) fn regularised(
    g: &[f64],
    h: &[f64],
    d3: &[f64],
    p: &CubicParams,
) -> Result<(Vec<f64>, SolveOutcome, Vec<usize>), SolveError> {
    let n = g.len();
    let dd: Vec<f64> = d3.iter().map(|d| d.abs().cbrt()).collect();
    // ρ_s = |d3_s|^{1/3}/√|H_ss|: the cubic's strength against the group's own curvature, invariant under u_s → a·u_s.
    let rho = |i: usize| {
        if h[i * n + i] != 0.0 {
            dd[i] / h[i * n + i].abs().sqrt()
        } else {
            f64::INFINITY
        }
    };
    let rho_max = (0..n)
        .map(rho)
        .filter(|r| r.is_finite())
        .fold(0.0_f64, f64::max);
    let (zs, ns): (Vec<usize>, Vec<usize>) =
        (0..n).partition(|&i| dd[i] == 0.0 || rho(i) <= p.tiny * rho_max);
    if zs.iter().all(|&i| dd[i] == 0.0) {
        return eliminate(g, h, &dd, zs, ns, p);
    }
    let first = eliminate(g, h, &dd, zs, ns, p);
    let (zeros, rest): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| dd[i] == 0.0);
    match (first, eliminate(g, h, &dd, zeros, rest, p)) {
        (Ok(a), Ok(b)) => {
            let t = |x: &[f64]| model(g, h, &dd, p.lambda_int, x);
            let finite = b.0.iter().all(|x| x.is_finite());
            Ok(if finite && t(&b.0) < t(&a.0) { b } else { a })
        }
        (Ok(a), Err(_)) => Ok(a),
        (Err(_), Ok(b)) => Ok(b),
        (Err(e), Err(_)) => Err(e),
    }
}

/// T(η) on flat row-major H with D given.
fn model(g: &[f64], h: &[f64], dd: &[f64], lambda: f64, eta: &[f64]) -> f64 {
    let n = g.len();
    let quad: f64 = (0..n)
        .map(|i| eta[i] * dot(&h[i * n..(i + 1) * n], eta))
        .sum();
    let dn = eta
        .iter()
        .zip(dd)
        .map(|(e, d)| (e * d).powi(2))
        .sum::<f64>()
        .sqrt();
    -dot(g, eta) + 0.5 * quad + lambda / 6.0 * dn.powi(3)
}

/// Solves with the groups `zs` minimised out exactly: η_Z = H_ZZ⁻¹(g_Z − H_ZN η_N), leaving the cubic problem on
/// `ns` with g̃ = g_N − H_NZ H_ZZ⁻¹ g_Z and the Schur complement H̃ = H_NN − H_NZ H_ZZ⁻¹ H_ZN (H_ZZ must be
/// positive definite).
#[allow(clippy::type_complexity)]
fn eliminate(
    g: &[f64],
    h: &[f64],
    dd: &[f64],
    zs: Vec<usize>,
    ns: Vec<usize>,
    p: &CubicParams,
) -> Result<(Vec<f64>, SolveOutcome, Vec<usize>), SolveError> {
    let n = g.len();
    if ns.is_empty() {
        let se = pd_block(h, &zs, p.tiny)?;
        return Ok((se.solve(g), SolveOutcome::NewtonNoThirdOrder, zs));
    }
    let pick = |idx: &[usize], v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    if zs.is_empty() {
        let (eta, outcome) = core(g, h, dd, p)?;
        return Ok((eta, outcome, zs));
    }
    let (nz, nn) = (zs.len(), ns.len());
    let se = pd_block(&submatrix(h, n, &zs, &zs), &zs, p.tiny)?;
    let h_zn = submatrix(h, n, &zs, &ns);
    let cols: Vec<Vec<f64>> = (0..nn)
        .map(|j| (0..nz).map(|i| h_zn[i * nn + j]).collect())
        .collect();
    let y = se.solve(&pick(&zs, g));
    let x: Vec<Vec<f64>> = cols.iter().map(|col| se.solve(col)).collect(); // H_ZZ⁻¹ H_ZN, by columns
    let g_red: Vec<f64> = (0..nn).map(|i| g[ns[i]] - dot(&cols[i], &y)).collect();
    let mut h_red = submatrix(h, n, &ns, &ns);
    for i in 0..nn {
        for j in 0..nn {
            h_red[i * nn + j] -= 0.5 * (dot(&cols[i], &x[j]) + dot(&cols[j], &x[i]));
        }
    }
    let (eta_n, outcome) = core(&g_red, &h_red, &pick(&ns, dd), p)?;
    let mut eta = vec![0.0; n];
    for (k, &i) in ns.iter().enumerate() {
        eta[i] = eta_n[k];
    }
    for (k, &i) in zs.iter().enumerate() {
        eta[i] = y[k] - (0..nn).map(|j| x[j][k] * eta_n[j]).sum::<f64>();
    }
    Ok((eta, outcome, zs))
}

/// The cubic problem with every D_s > 0: K = c D⁻¹HD⁻¹ = QΛQᵀ, b = D⁻¹g, r = φ(r), η = D⁻¹ c (K + rI)⁻¹ b.
fn core(
    g: &[f64],
    h: &[f64],
    dd: &[f64],
    p: &CubicParams,
) -> Result<(Vec<f64>, SolveOutcome), SolveError> {
    let n = g.len();
    let c = 2.0 / p.lambda_int;
    let k: Vec<f64> = (0..n * n)
        .map(|ij| c * h[ij] / (dd[ij / n] * dd[ij % n]))
        .collect();
    let b: Vec<f64> = g.iter().zip(dd).map(|(g, d)| g / d).collect();
    if b.iter().any(|x| !x.is_finite()) || !c.is_finite() {
        return Err(SolveError::Overflow {
            what: "b = D⁻¹gbar",
        });
    }
    let eig = Eigen::new(&k, n, "K")?;
    let mut beta = eig.project(&b);
    let bnorm = dot(&beta, &beta).sqrt();
    let lmin = eig.values[0];
    let lo = (-lmin).max(0.0);
    let mu: Vec<f64> = eig.values.iter().map(|v| (v + lo).max(0.0)).collect();
    let back = |coeffs: &[f64]| {
        eig.combine(coeffs)
            .iter()
            .zip(dd)
            .map(|(e, d)| e / d)
            .collect::<Vec<f64>>()
    };
    if lmin > 0.0 && bnorm == 0.0 {
        return Ok((vec![0.0; n], SolveOutcome::Stationary));
    }
    if lmin <= 0.0 {
        let pole_tol = p.tiny * eig.max_abs();
        if let Some((coeffs, outcome)) = hard_case(&mu, &mut beta, c, lo, bnorm, pole_tol, p.tiny) {
            return Ok((back(&coeffs), outcome));
        }
    }
    let sec = Secular {
        mu: &mu,
        beta: &beta,
        c,
        lo,
    };
    let (t, iterations) = sec.solve(p.rel_tol, p.max_iter)?;
    let coeffs: Vec<f64> = (0..n)
        .map(|i| {
            if beta[i] == 0.0 {
                0.0
            } else {
                c * beta[i] / (mu[i] + t)
            }
        })
        .collect();
    Ok((
        back(&coeffs),
        SolveOutcome::Cubic {
            r: lo + t,
            iterations,
            hbar_positive_definite: lmin > 0.0,
        },
    ))
}

/// The possible hard case (Nesterov–Polyak) when `λ_min(K) ≤ 0`: if `b` is orthogonal to the eigenspace of
/// `λ_min` (the eigenvalues `μ_i ≤ pole_tol` of `K + lo·I`), its components there are zeroed in `beta` (for the
/// regular solve too), and if `φ` stays at or below `r = lo` at the pole, the coefficients of η get a component
/// along the first minimal eigenvector that brings `‖Dη‖` up to `r`. `None` when the regular solve applies.
fn hard_case(
    mu: &[f64],
    beta: &mut [f64],
    c: f64,
    lo: f64,
    bnorm: f64,
    pole_tol: f64,
    tiny: f64,
) -> Option<(Vec<f64>, SolveOutcome)> {
    let n = mu.len();
    let pole: Vec<usize> = (0..n).filter(|&i| mu[i] <= pole_tol).collect();
    if !pole.iter().all(|&i| beta[i].abs() <= tiny * bnorm) {
        return None;
    }
    for &i in &pole {
        beta[i] = 0.0;
    }
    let sec = Secular { mu, beta, c, lo };
    if sec.phi(0.0).0 > lo {
        return None;
    }
    let mut coeffs: Vec<f64> = (0..n)
        .map(|i| {
            if beta[i] == 0.0 {
                0.0
            } else {
                c * beta[i] / mu[i]
            }
        })
        .collect();
    let rest = dot(&coeffs, &coeffs);
    coeffs[0] += (lo * lo - rest).max(0.0).sqrt();
    let outcome = if lo > 0.0 {
        SolveOutcome::HardCase { r: lo }
    } else {
        SolveOutcome::Stationary
    };
    Some((coeffs, outcome))
}
