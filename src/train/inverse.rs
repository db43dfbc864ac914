//! The inverse of a small symmetric matrix (`hbar`, S×S), for the `hbar⁻¹` pictures.

/// Relative pivot size below which the matrix counts as singular: about 1e4 times f64's epsilon, so that the
/// inverse of a matrix this close to singular, which would be noise, is not drawn.
const SINGULAR: f64 = 1e-12;

/// `m⁻¹` by Gauss–Jordan elimination with partial pivoting, or `None` when `m` is not square, not finite, or
/// singular to working precision.
pub fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    if m.iter()
        .any(|r| r.len() != n || r.iter().any(|v| !v.is_finite()))
    {
        return None;
    }
    let scale = m.iter().flatten().fold(0.0f64, |a, &v| a.max(v.abs()));
    if scale == 0.0 {
        return None;
    }
    let mut a: Vec<Vec<f64>> = m.to_vec();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= SINGULAR * scale {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        for j in 0..n {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for i in 0..n {
            if i != col {
                let f = a[i][col];
                if f != 0.0 {
                    for j in 0..n {
                        a[i][j] -= f * a[col][j];
                        inv[i][j] -= f * inv[col][j];
                    }
                }
            }
        }
    }
    Some(inv)
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
                // Entries of size ~1 and a condition number ~10: the product is exact to a few ulps.
                let want = f64::from(u8::from(i == j));
                assert!((p - want).abs() < 1e-14, "{i},{j}: {p}");
            }
        }
        assert!(invert(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
        assert!(invert(&[vec![0.0]]).is_none());
        assert!(invert(&[vec![f64::NAN]]).is_none());
        assert!(invert(&[vec![1.0, 2.0]]).is_none());
    }
}
