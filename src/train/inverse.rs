//! The inverse of a small symmetric matrix (`hbar`, S×S), for the `hbar⁻¹` pictures.

use faer::{Mat, Side};

/// Relative eigenvalue size below which the matrix counts as singular: about 1e4 times f64's epsilon, so that
/// the inverse of a matrix this close to singular, which would be noise, is not drawn.
const SINGULAR: f64 = 1e-12;

/// `m⁻¹` from faer's symmetric eigendecomposition of `m`'s symmetric part (`hbar` is symmetric up to rounding):
/// `Q diag(1/λ) Qᵀ`, or `None` when `m` is not square, not finite, or singular to working precision
/// (`min |λ| ≤ 1e-12 · max |λ|`).
pub fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    if n == 0
        || m.iter()
            .any(|r| r.len() != n || r.iter().any(|v| !v.is_finite()))
    {
        return None;
    }
    let sym = Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (m[i][j] + m[j][i]));
    let evd = sym.self_adjoint_eigen(Side::Lower).ok()?;
    let (values, q) = (evd.S().column_vector(), evd.U());
    let largest = (0..n).fold(0.0f64, |a, k| a.max(values[k].abs()));
    if (0..n).any(|k| values[k].abs() <= SINGULAR * largest) {
        return None;
    }
    let inv: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| q[(i, k)] * q[(j, k)] / values[k]).sum())
                .collect()
        })
        .collect();
    inv.iter().flatten().all(|v| v.is_finite()).then_some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverts_and_refuses_singular_matrices() {
        let m = vec![
            vec![4.0, 1.0, 0.0],
            vec![1.0, -3.0, 2.0],
            vec![0.0, 2.0, 1.0],
        ];
        let inv = invert(&m).unwrap();
        for (i, row) in m.iter().enumerate() {
            for j in 0..3 {
                let p: f64 = row.iter().zip(&inv).map(|(a, r)| a * r[j]).sum();
                // Entries of size ~1 and a condition number ~10: the product is exact to a few ulps (an
                // eigendecomposition's rounding, ~n·ε per entry, well below 1e-13).
                let want = f64::from(u8::from(i == j));
                assert!((p - want).abs() < 1e-13, "{i},{j}: {p}");
            }
        }
        assert!(invert(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
        assert!(invert(&[vec![0.0]]).is_none());
        assert!(invert(&[vec![f64::NAN]]).is_none());
        assert!(invert(&[vec![1.0, 2.0]]).is_none());
    }
}
