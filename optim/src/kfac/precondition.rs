//! The K-FAC direction of one layer, `V = (G ⊗ A + λI)⁻¹ [∇W | ∇b]` computed in the factors' eigenbases, and the
//! KL clip that scales all layers' directions together.

use jetnewton_engine::cpu::gemm::{matmul, Layout};
use jetnewton_engine::{Float, Tensor};

use super::factors::Eigen;
use super::stats::LayerShape;

/// The layer's gradient as one `out × d_a` row-major matrix `[∇W | ∇b]` in `f64` (a convolution's weight
/// gradient `[out, c, k, k]` flattened to `[out, c·k·k]`; the bias gradient as the last column).
pub(super) fn gradient_matrix<F: Float>(shape: &LayerShape, grads: &[Tensor<F>]) -> Vec<f64> {
    let (input, d_a) = (shape.input, shape.d_a());
    let mut m = vec![0.0; shape.out * d_a];
    let w = grads[shape.weight].data();
    for (row, src) in m.chunks_exact_mut(d_a).zip(w.chunks_exact(input)) {
        for (d, &s) in row.iter_mut().zip(src) {
            *d = s.to_f64_lossless();
        }
    }
    if let Some(b) = shape.bias {
        for (row, &s) in m.chunks_exact_mut(d_a).zip(grads[b].data()) {
            row[input] = s.to_f64_lossless();
        }
    }
    m
}

/// `V = Q_g [(Q_gᵀ M Q_a) ⊘ (d_g d_aᵀ + λ)] Q_aᵀ` for the `out × d_a` matrix `m`: the solution of
/// `G V A + λV = M` with `G = Q_g diag(d_g) Q_gᵀ` and `A = Q_a diag(d_a) Q_aᵀ`, since `X ↦ G X A` has the
/// eigenvectors `q_g,i q_a,jᵀ` with eigenvalues `d_g,i·d_a,j`.
pub(super) fn natural_gradient(
    eig_a: &Eigen,
    eig_g: &Eigen,
    m: &[f64],
    out: usize,
    d_a: usize,
    damping: f64,
) -> Vec<f64> {
    let mut t1 = vec![0.0; out * d_a];
    let mut t2 = vec![0.0; out * d_a];
    let (qa, qg) = (&eig_a.vectors, &eig_g.vectors);
    // t1 = Q_gᵀ M, t2 = t1 Q_a.
    matmul(
        out,
        d_a,
        out,
        qg,
        Layout::Transposed,
        m,
        Layout::Normal,
        &mut t1,
        false,
        true,
    );
    matmul(
        out,
        d_a,
        d_a,
        &t1,
        Layout::Normal,
        qa,
        Layout::Normal,
        &mut t2,
        false,
        true,
    );
    for (row, &dg) in t2.chunks_exact_mut(d_a).zip(&eig_g.values) {
        for (v, &da) in row.iter_mut().zip(&eig_a.values) {
            *v /= dg * da + damping;
        }
    }
    // t1 = Q_g t2, V = t1 Q_aᵀ (reusing t2).
    matmul(
        out,
        d_a,
        out,
        qg,
        Layout::Normal,
        &t2,
        Layout::Normal,
        &mut t1,
        false,
        true,
    );
    matmul(
        out,
        d_a,
        d_a,
        &t1,
        Layout::Normal,
        qa,
        Layout::Transposed,
        &mut t2,
        false,
        true,
    );
    t2
}

/// KFAC-Pytorch's KL clip: `ν = min(1, √(κ / (lr²·Σ V·∇)))`, where `vg = Σ V·∇` over every K-FAC layer. The
/// preconditioner is positive definite, so `vg ≥ 0`; when `lr²·vg` is zero (no gradient, or `lr = 0`) nothing
/// needs clipping and `ν = 1`.
pub(super) fn kl_scale(vg: f64, lr: f64, kl_clip: f64) -> f64 {
    let s = vg * lr * lr;
    if s > 0.0 {
        (kl_clip / s).sqrt().min(1.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `G V A + λV` for row-major `g` (o×o), `v` (o×a), `a` (a×a).
    fn apply(g: &[f64], v: &[f64], a: &[f64], o: usize, d: usize, damping: f64) -> Vec<f64> {
        let mut out = vec![0.0; o * d];
        for i in 0..o {
            for j in 0..d {
                let mut s = damping * v[i * d + j];
                for k in 0..o {
                    for l in 0..d {
                        s += g[i * o + k] * v[k * d + l] * a[l * d + j];
                    }
                }
                out[i * d + j] = s;
            }
        }
        out
    }

    #[test]
    fn the_direction_solves_the_damped_kronecker_system() {
        let a = [3.0, 1.0, 0.5, 1.0, 2.0, 0.25, 0.5, 0.25, 1.5];
        let g = [2.0, -0.5, -0.5, 1.0];
        let m = [1.0, -2.0, 0.5, 0.25, 3.0, -1.0];
        let (ea, eg) = (Eigen::of(&a, 3).unwrap(), Eigen::of(&g, 2).unwrap());
        let v = natural_gradient(&ea, &eg, &m, 2, 3, 0.1);
        let back = apply(&g, &v, &a, 2, 3, 0.1);
        // Tolerance: well-conditioned 3×3 and 2×2 factors, four products of order-1 values: a few ulp.
        for (x, y) in back.iter().zip(&m) {
            assert!((x - y).abs() < 1e-13, "{back:?} vs {m:?}");
        }
    }

    #[test]
    fn the_gradient_matrix_appends_the_bias_column_and_the_clip_bounds_the_step() {
        let shape = LayerShape {
            weight: 1,
            bias: Some(0),
            out: 2,
            input: 2,
        };
        let grads = vec![
            Tensor::<f32>::from_vec(vec![2], vec![5.0, 6.0]).unwrap(),
            Tensor::<f32>::from_vec(vec![2, 1, 1, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap(),
        ];
        assert_eq!(
            gradient_matrix(&shape, &grads),
            [1.0, 2.0, 5.0, 3.0, 4.0, 6.0]
        );
        assert_eq!(kl_scale(4.0, 0.5, 1e-3), (1e-3f64 / 1.0).sqrt());
        assert_eq!(kl_scale(1e-6, 0.5, 1e-3), 1.0);
        assert_eq!(kl_scale(0.0, 0.5, 1e-3), 1.0);
        assert_eq!(kl_scale(5.0, 0.0, 1e-3), 1.0);
    }
}
