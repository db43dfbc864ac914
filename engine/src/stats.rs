//! Second-moment statistics of layers' inputs and output gradients (K-FAC's Kronecker factors), on the engine's
//! GEMM and im2col, so that an optimiser's oracle needs nothing from [`crate::cpu`].

use crate::cpu::conv::im2col;
use crate::cpu::gemm::{matmul, Layout};

pub use crate::cpu::conv::ConvDims;

/// Adds `Σ_r x_r x_rᵀ`, over the rows of the row-major `rows × n` matrix `x`, to `out` (`n × n`).
///
/// # Panics
/// If `x` holds fewer than `rows · n` values or `out` fewer than `n · n` (a caller's size bug, not input).
pub fn add_row_gram(x: &[f64], rows: usize, n: usize, out: &mut [f64]) {
    matmul(
        n,
        n,
        rows,
        x,
        Layout::Transposed,
        x,
        Layout::Normal,
        out,
        true,
        true,
    );
}

/// Adds `Σ_c x_c x_cᵀ`, over the columns of the row-major `n × cols` matrix `x`, to `out` (`n × n`).
///
/// # Panics
/// If `x` holds fewer than `n · cols` values or `out` fewer than `n · n`.
pub fn add_col_gram(x: &[f64], n: usize, cols: usize, out: &mut [f64]) {
    matmul(
        n,
        n,
        cols,
        x,
        Layout::Normal,
        x,
        Layout::Transposed,
        out,
        true,
        true,
    );
}

/// `Σ_{n,p} ã_{np} ã_{np}ᵀ` over every sample `n` of the batch `x` (`[N, C, H, W]`, flat) and every output
/// position `p` of the convolution `dims`, where `ã` is the im2col patch with a 1 appended (the bias's input):
/// a `(C·kh·kw + 1)²` row-major matrix, unscaled.
///
/// # Panics
/// If `x` holds fewer than `N · C·H·W` values.
pub fn conv_patch_gram(dims: &ConvDims, x: &[f64]) -> Vec<f64> {
    let (p, d) = (dims.pixels(), dims.ckk() + 1);
    // One sample's patches as the columns of a [C·k·k + 1, P] matrix, its last row the bias's ones.
    let mut col = vec![1.0; d * p];
    let mut a = vec![0.0; d * d];
    for sample in x.chunks_exact(dims.in_sample()).take(dims.n) {
        im2col(dims, sample, &mut col, p);
        add_col_gram(&col, d, p, &mut a);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_are_sums_of_outer_products() {
        // x = [[1, 2], [3, 4], [5, 6]]: rows' Gram [[35, 44], [44, 56]]; columns' Gram (3×3) x xᵀ.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut rows = vec![0.0; 4];
        add_row_gram(&x, 3, 2, &mut rows);
        assert_eq!(rows, [35.0, 44.0, 44.0, 56.0]);
        let mut cols = vec![0.0; 9];
        add_col_gram(&x, 3, 2, &mut cols);
        assert_eq!(cols, [5.0, 11.0, 17.0, 11.0, 25.0, 39.0, 17.0, 39.0, 61.0]);
    }

    #[test]
    fn a_pointwise_convolution_s_patches_are_the_pixels() {
        // 1×1 kernel: each patch is one pixel's channels, plus the bias's 1.
        let dims = ConvDims {
            n: 1,
            c: 1,
            h: 1,
            w: 2,
            o: 1,
            kh: 1,
            kw: 1,
            sh: 1,
            sw: 1,
            ph: 0,
            pw: 0,
            ho: 1,
            wo: 2,
        };
        let a = conv_patch_gram(&dims, &[2.0, 3.0]);
        assert_eq!(a, [13.0, 5.0, 5.0, 2.0]);
    }
}
