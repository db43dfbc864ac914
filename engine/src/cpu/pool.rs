//! 2-D pooling kernels on NCHW slices (square window, stride, no padding, floor mode): the argmax of max-pooling
//! and the average-pooling pair. Every plane `(n, c)` is independent, so large tensors are split over planes.

use rayon::prelude::*;

use crate::float::Float;
use crate::tensor::PAR_THRESHOLD;

/// Sizes of one pooling, resolved and checked by the op (`crate::ops::pool`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolDims {
    /// Number of `H × W` planes, `N·C`.
    pub planes: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Window side.
    pub k: usize,
    /// Stride.
    pub s: usize,
    /// Output height, `(h − k) / s + 1`.
    pub ho: usize,
    /// Output width, `(w − k) / s + 1`.
    pub wo: usize,
}

impl PoolDims {
    fn in_plane(&self) -> usize {
        self.h * self.w
    }
    fn out_plane(&self) -> usize {
        self.ho * self.wo
    }
}

/// Runs `f(plane index, output plane)` over every plane of `out`, in parallel when the work is large.
fn for_planes<T: Send>(
    out: &mut [T],
    plane: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if plane == 0 {
        return;
    }
    if work >= PAR_THRESHOLD {
        out.par_chunks_mut(plane)
            .enumerate()
            .for_each(|(p, o)| f(p, o));
    } else {
        out.chunks_mut(plane).enumerate().for_each(|(p, o)| f(p, o));
    }
}

/// Flat index into `x` (`[N, C, H, W]`) of the maximum of every window, `[N, C, Ho, Wo]` in row-major order.
/// The first maximum in row-major window order wins ties; a NaN wins over numbers, as in PyTorch.
pub fn max_pool_argmax<F: Float>(d: &PoolDims, x: &[F]) -> Vec<usize> {
    let mut idx = vec![0usize; d.planes * d.out_plane()];
    let work = idx.len() * d.k * d.k;
    for_planes(&mut idx, d.out_plane(), work, |p, out| {
        let base = p * d.in_plane();
        for oy in 0..d.ho {
            for ox in 0..d.wo {
                let mut best = base + oy * d.s * d.w + ox * d.s;
                for i in 0..d.k {
                    let row = base + (oy * d.s + i) * d.w + ox * d.s;
                    for at in row..row + d.k {
                        if x[at] > x[best] || (x[at].is_nan() && !x[best].is_nan()) {
                            best = at;
                        }
                    }
                }
                out[oy * d.wo + ox] = best;
            }
        }
    });
    idx
}

/// `y = AvgPool(x)`: the mean of every window; `y` is `[N, C, Ho, Wo]`.
pub fn avg_pool<F: Float>(d: &PoolDims, x: &[F], y: &mut [F]) {
    let scale = F::of(1.0 / (d.k * d.k) as f64);
    let work = y.len() * d.k * d.k;
    for_planes(y, d.out_plane(), work, |p, out| {
        let src = &x[p * d.in_plane()..][..d.in_plane()];
        for oy in 0..d.ho {
            for ox in 0..d.wo {
                let mut sum = F::zero();
                for i in 0..d.k {
                    let row = (oy * d.s + i) * d.w + ox * d.s;
                    sum += src[row..row + d.k].iter().copied().sum::<F>();
                }
                out[oy * d.wo + ox] = sum * scale;
            }
        }
    });
}

/// `x = AvgPoolᵀ(g)`, the adjoint of [`avg_pool`]: every output cotangent spread evenly over its window (windows
/// that overlap add up); `x` is `[N, C, H, W]` and is overwritten.
pub fn avg_pool_adjoint<F: Float>(d: &PoolDims, g: &[F], x: &mut [F]) {
    let scale = F::of(1.0 / (d.k * d.k) as f64);
    let work = x.len() + g.len() * d.k * d.k;
    for_planes(x, d.in_plane(), work, |p, dst| {
        dst.iter_mut().for_each(|v| *v = F::zero());
        let src = &g[p * d.out_plane()..][..d.out_plane()];
        for oy in 0..d.ho {
            for ox in 0..d.wo {
                let v = src[oy * d.wo + ox] * scale;
                for i in 0..d.k {
                    let row = (oy * d.s + i) * d.w + ox * d.s;
                    dst[row..row + d.k].iter_mut().for_each(|t| *t += v);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_maximum_wins_ties() {
        // One 3×3 plane of equal values, 2×2 windows at stride 1: each window's top-left element.
        let d = PoolDims {
            planes: 1,
            h: 3,
            w: 3,
            k: 2,
            s: 1,
            ho: 2,
            wo: 2,
        };
        assert_eq!(max_pool_argmax(&d, &[1.0f64; 9]), vec![0, 1, 3, 4]);
    }
}
