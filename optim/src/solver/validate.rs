//! Input checks, the inert-group split, and the cubic model T itself.

use super::{CubicParams, SolveError};

/// Checks sizes, finiteness and parameters; returns S.
pub(super) fn check_inputs(
    gbar: &[f64],
    hbar: &[Vec<f64>],
    d3: &[f64],
    p: &CubicParams,
) -> Result<usize, SolveError> {
    let n = gbar.len();
    if n == 0 {
        return Err(SolveError::Empty);
    }
    let len = |what, found| {
        if found == n {
            Ok(())
        } else {
            Err(SolveError::DimensionMismatch {
                what,
                expected: n,
                found,
            })
        }
    };
    len("hbar", hbar.len())?;
    for row in hbar {
        len("hbar row", row.len())?;
    }
    len("d3", d3.len())?;
    let finite = |what, mut xs: std::slice::Iter<'_, f64>| match xs.position(|x| !x.is_finite()) {
        Some(index) => Err(SolveError::NonFinite { what, index }),
        None => Ok(()),
    };
    finite("gbar", gbar.iter())?;
    if let Some(index) = hbar.iter().flatten().position(|x| !x.is_finite()) {
        return Err(SolveError::NonFinite {
            what: "hbar",
            index,
        });
    }
    finite("d3", d3.iter())?;
    let bad = |what, value: f64, ok: bool| {
        if ok && value.is_finite() {
            Ok(())
        } else {
            Err(SolveError::InvalidParams { what, value })
        }
    };
    bad("lambda_int", p.lambda_int, p.lambda_int >= 0.0)?;
    bad("rel_tol", p.rel_tol, p.rel_tol > 0.0)?;
    bad("tiny", p.tiny, p.tiny >= 0.0)?;
    Ok(n)
}

/// ½(H + Hᵀ), flat row-major.
pub(super) fn symmetric_part(hbar: &[Vec<f64>], n: usize) -> Vec<f64> {
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] = 0.5 * (hbar[i][j] + hbar[j][i]);
        }
    }
    h
}

/// Splits the groups into (active, inert): inert means ḡ_s = 0 and a zero row of H (what u_s = 0 gives).
pub(super) fn split_inert(gbar: &[f64], h: &[f64], n: usize) -> (Vec<usize>, Vec<usize>) {
    (0..n).partition(|&i| gbar[i] != 0.0 || h[i * n..(i + 1) * n].iter().any(|&x| x != 0.0))
}

/// Maps group indices local to the active set back to the caller's indices.
pub(super) fn map_groups(e: SolveError, active: &[usize]) -> SolveError {
    match e {
        SolveError::NegligibleD3NotPositiveDefinite {
            groups,
            min_eigenvalue,
        } => SolveError::NegligibleD3NotPositiveDefinite {
            groups: groups.iter().map(|&k| active[k]).collect(),
            min_eigenvalue,
        },
        other => other,
    }
}

/// T(η) = −ηᵀḡ + ½ηᵀH̄η + (λ_int/6)‖Dη‖³ with D = diag(|d3_s|^{1/3}) (no floor).
///
/// The sizes must agree (S, S×S, S, S); a mismatch is a caller bug and gives NaN rather than a panic.
pub fn cubic_model(
    gbar: &[f64],
    hbar: &[Vec<f64>],
    d3: &[f64],
    lambda_int: f64,
    eta: &[f64],
) -> f64 {
    let n = eta.len();
    if gbar.len() != n || d3.len() != n || hbar.len() != n || hbar.iter().any(|row| row.len() != n)
    {
        return f64::NAN;
    }
    let linear: f64 = eta.iter().zip(gbar).map(|(e, g)| e * g).sum();
    let quadratic: f64 = hbar
        .iter()
        .zip(eta)
        .map(|(row, ei)| ei * row.iter().zip(eta).map(|(h, ej)| h * ej).sum::<f64>())
        .sum();
    let dnorm = eta
        .iter()
        .zip(d3)
        .map(|(e, d)| (d.abs().cbrt() * e).powi(2))
        .sum::<f64>()
        .sqrt();
    -linear + 0.5 * quadratic + lambda_int / 6.0 * dnorm.powi(3)
}
