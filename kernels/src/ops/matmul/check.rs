//! Where a launch of the GEMM reads and writes: every operand bounded inside its buffer before the
//! kernel runs, since the kernel itself checks nothing but the matrix edges.

use super::{Gemm, GemmArgs, TILE};
use crate::error::KernelError;
use crate::ops::{int, invalid, MAX_GRID_YZ};

impl Gemm {
    /// Products summed by entry `z`.
    fn terms_at(&self, z: usize) -> isize {
        self.terms + z as isize * self.terms_step
    }

    /// The lowest and one past the highest element of an operand the launch touches, relative
    /// to its offset, or `None` when it touches none. `matrix` is the last element of one matrix.
    fn reach(&self, batch: isize, term: Option<isize>, matrix: usize) -> Option<(isize, isize)> {
        let mut range: Option<(isize, isize)> = None;
        for z in 0..self.batch {
            let base = z as isize * batch;
            let ends = match term {
                // C: written by every entry, products or not.
                None => [base, base],
                Some(term) => {
                    let t = self.terms_at(z);
                    if t <= 0 {
                        continue;
                    }
                    [base, base + (t - 1) * term]
                }
            };
            let lo = ends[0].min(ends[1]);
            let hi = ends[0].max(ends[1]) + matrix as isize + 1;
            range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        range
    }

    /// Checks sizes, strides and that every operand lies inside its buffer.
    pub(super) fn check(&self, a: usize, b: usize, c: usize) -> Result<GemmArgs, KernelError> {
        const OP: &str = "matmul";
        let (a_rows, a_cols) = if self.trans_a {
            (self.k, self.m)
        } else {
            (self.m, self.k)
        };
        let (b_rows, b_cols) = if self.trans_b {
            (self.n, self.k)
        } else {
            (self.k, self.n)
        };
        for (name, ld, cols) in [
            ("lda", self.lda, a_cols),
            ("ldb", self.ldb, b_cols),
            ("ldc", self.ldc, self.n),
        ] {
            if ld < cols {
                return Err(invalid(
                    OP,
                    format!("{name} = {ld} is below the {cols} columns"),
                ));
            }
        }
        if self.batch == 0 || self.batch > MAX_GRID_YZ {
            return Err(invalid(
                OP,
                format!("batch {} must be in 1..={MAX_GRID_YZ}", self.batch),
            ));
        }
        if self.m.div_ceil(TILE) > MAX_GRID_YZ {
            return Err(invalid(OP, format!("{} rows exceed the grid", self.m)));
        }
        let c_matrix = (self.m.max(1) - 1) * self.ldc + self.n.max(1) - 1;
        // Outputs of different entries must not overlap: stacked one after another, or side by
        // side within the rows (as conv's columns of several samples are).
        let step = self.batch_c.unsigned_abs();
        let stacked = step > c_matrix;
        let side_by_side = step >= self.n && (self.batch - 1) * step + self.n <= self.ldc;
        if self.batch > 1 && self.m * self.n > 0 && !stacked && !side_by_side {
            return Err(invalid(
                OP,
                format!("batch_c = {} makes outputs overlap", self.batch_c),
            ));
        }
        let mut spans = Vec::new();
        if self.m * self.k > 0 {
            let last = (a_rows - 1) * self.lda + a_cols - 1;
            spans.push((
                "a",
                self.offset_a,
                a,
                self.reach(self.batch_a, Some(self.term_a), last),
            ));
        }
        if self.k * self.n > 0 {
            let last = (b_rows - 1) * self.ldb + b_cols - 1;
            spans.push((
                "b",
                self.offset_b,
                b,
                self.reach(self.batch_b, Some(self.term_b), last),
            ));
        }
        if self.m * self.n > 0 {
            spans.push((
                "c",
                self.offset_c,
                c,
                self.reach(self.batch_c, None, c_matrix),
            ));
        }
        for (operand, offset, len, reach) in spans {
            let Some((lo, hi)) = reach else { continue };
            if offset as isize + lo < 0 {
                return Err(invalid(
                    OP,
                    format!("operand {operand} reaches {lo} elements before its offset {offset}"),
                ));
            }
            let needed = (offset as isize + hi) as usize;
            if needed > len {
                return Err(KernelError::BufferTooSmall {
                    op: OP,
                    operand,
                    needed,
                    len,
                });
            }
        }
        let i = |v: usize| int(OP, v);
        Ok(GemmArgs {
            m: i(self.m)?,
            n: i(self.n)?,
            k: i(self.k)?,
            lda: i(self.lda)?,
            ldb: i(self.ldb)?,
            ldc: i(self.ldc)?,
            trans_a: i64::from(self.trans_a),
            trans_b: i64::from(self.trans_b),
            batch_a: self.batch_a as i64,
            batch_b: self.batch_b as i64,
            batch_c: self.batch_c as i64,
            term_a: self.term_a as i64,
            term_b: self.term_b as i64,
            terms: self.terms as i64,
            terms_step: self.terms_step as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_product_checks_buffers() {
        let g = Gemm::new(3, 4, 5);
        assert!(g.check(15, 20, 12).is_ok());
        assert!(matches!(
            g.check(14, 20, 12),
            Err(KernelError::BufferTooSmall {
                operand: "a",
                needed: 15,
                ..
            })
        ));
    }

    #[test]
    fn overlapping_outputs_are_rejected() {
        let g = Gemm::new(2, 2, 2).batched(2, 0, 0, 3);
        assert!(g.check(4, 4, 8).is_err());
    }
}
