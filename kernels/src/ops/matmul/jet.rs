//! The bilinear jet rule of a matrix product as one launch of the GEMM.

use super::{gemm, Gemm};
use crate::backend::Backend;
use crate::elem::Real;
use crate::error::KernelError;
use crate::ops::{invalid, need};

/// The bilinear jet rule of a matrix product: `C_k = sum_{i+j=k} op(A_i) op(B_j)` for
/// `k = from..=order`, in one launch.
///
/// Each operand holds either one plane (a constant: coefficients above 0 are zero) or
/// `order + 1` packed planes; C holds `order + 1` packed `m x n` planes, those below `from` left
/// untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JetMatmul {
    /// Rows of each C plane.
    pub m: usize,
    /// Columns of each C plane.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// Highest coefficient.
    pub order: usize,
    /// Lowest coefficient to compute (coefficient 0 is often known already).
    pub from: usize,
    /// Planes of A: 1 or `order + 1`.
    pub a_coeffs: usize,
    /// Planes of B: 1 or `order + 1`.
    pub b_coeffs: usize,
    /// Each A plane is stored `k x m`.
    pub trans_a: bool,
    /// Each B plane is stored `n x k`.
    pub trans_b: bool,
}

impl JetMatmul {
    /// The launch computing this jet product.
    pub fn gemm(&self) -> Result<Gemm, KernelError> {
        const OP: &str = "matmul jet";
        let full = self.order + 1;
        for (name, coeffs) in [("a", self.a_coeffs), ("b", self.b_coeffs)] {
            if coeffs != 1 && coeffs != full {
                return Err(invalid(
                    OP,
                    format!("operand {name} has {coeffs} planes: expected 1 or {full}"),
                ));
            }
        }
        if self.from > self.order {
            return Err(invalid(
                OP,
                format!("from = {} is above the order {}", self.from, self.order),
            ));
        }
        let (sa, sb, sc) = (
            (self.m * self.k) as isize,
            (self.k * self.n) as isize,
            (self.m * self.n) as isize,
        );
        let from = self.from as isize;
        let mut g = Gemm::new(self.m, self.n, self.k);
        if self.trans_a {
            g = g.trans_a();
        }
        if self.trans_b {
            g = g.trans_b();
        }
        g = g.batched(self.order - self.from + 1, 0, 0, sc);
        g.offset_c = self.from * self.m * self.n;
        match (
            self.a_coeffs == full && full > 1,
            self.b_coeffs == full && full > 1,
        ) {
            // Entry z is coefficient from + z: products A_p B_{from+z-p}, p = 0..=from+z.
            (true, true) => {
                g = g.summed(self.from + 1, sa, -sb);
                g.terms_step = 1;
                g.offset_b = self.from * self.k * self.n;
                g.batch_b = sb;
            }
            // A constant: A_0 B_{from+z}.
            (false, true) => {
                g.offset_b = self.from * self.k * self.n;
                g.batch_b = sb;
            }
            // B constant: A_{from+z} B_0.
            (true, false) => {
                g.offset_a = self.from * self.m * self.k;
                g.batch_a = sa;
            }
            // Both constant: only coefficient 0 is non-zero; later entries sum no product.
            (false, false) => {
                g.terms = 1 - from;
                g.terms_step = -1;
            }
        }
        Ok(g)
    }
}

/// Runs the jet product `j` (see [`JetMatmul`]) into `c`.
pub fn matmul_jet<B: Backend, T: Real>(
    backend: &B,
    j: &JetMatmul,
    a: &B::Buffer<T>,
    b: &B::Buffer<T>,
    c: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    let g = j.gemm()?;
    need("matmul jet", "c", c, (j.order + 1) * j.m * j.n)?;
    let one = T::from_f64(1.0);
    let zero = T::from_f64(0.0);
    gemm(backend, &g, one, a, b, zero, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_walk_stays_inside() {
        // Full jet of order 2: B is walked backwards from plane `from + z`.
        let j = JetMatmul {
            m: 2,
            n: 3,
            k: 4,
            order: 2,
            from: 1,
            a_coeffs: 3,
            b_coeffs: 3,
            trans_a: false,
            trans_b: false,
        };
        let g = j.gemm().expect("valid");
        assert!(g.check(24, 36, 18).is_ok());
        assert!(g.check(24, 35, 18).is_err());
    }
}
