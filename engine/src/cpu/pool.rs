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
    // Written in place, never zeroed first: every plane of the output is visited and every index in it written.
    let len = d.planes * d.out_plane();
    let mut idx: Vec<usize> = Vec::with_capacity(len);
    let work = len * d.k * d.k;
    for_planes(
        &mut idx.spare_capacity_mut()[..len],
        d.out_plane(),
        work,
        |p, out| {
            let base = p * d.in_plane();
            let plane = &x[base..][..d.in_plane()];
            for oy in 0..d.ho {
                let out = &mut out[oy * d.wo..][..d.wo];
                if d.k == 2 {
                    // The 2×2 window as a tournament: its two rows' winners, then the winner of those. The order
                    // "NaN first, then larger, then earlier" is total, so this picks what the scan in row-major order
                    // picks, with two independent comparisons instead of a chain of three.
                    let (r0, r1) = (oy * d.s * d.w, (oy * d.s + 1) * d.w);
                    for (ox, o) in out.iter_mut().enumerate() {
                        let c = ox * d.s;
                        let top = later_wins(plane, r0 + c, r0 + c + 1);
                        let bottom = later_wins(plane, r1 + c, r1 + c + 1);
                        o.write(base + later_wins(plane, top, bottom));
                    }
                } else {
                    for (ox, o) in out.iter_mut().enumerate() {
                        o.write(base + window_argmax(d, plane, oy * d.s, ox * d.s));
                    }
                }
            }
        },
    );
    // SAFETY: the first `len` elements are initialised: `for_planes` hands every `out_plane`-long chunk of them
    // to the closure (when `out_plane` is 0, `len` is 0), which writes each of its `ho·wo` elements once.
    unsafe { idx.set_len(len) };
    idx
}

/// Index in `plane` of the first maximum of the window whose top-left corner is `(y0, x0)`, NaN winning over
/// numbers: the window's rows are slices, so the scan has little index arithmetic and no bounds check inside.
#[inline]
fn window_argmax<F: Float>(d: &PoolDims, plane: &[F], y0: usize, x0: usize) -> usize {
    let mut best = y0 * d.w + x0;
    let mut top = plane[best];
    for i in 0..d.k {
        let start = (y0 + i) * d.w + x0;
        for (j, &v) in plane[start..start + d.k].iter().enumerate() {
            // Non-short-circuit `|` and selects rather than a branch: which element wins is data-dependent and
            // a branch on it mispredicts about half the time.
            let take = (v > top) | (v.is_nan() & !top.is_nan());
            best = if take { start + j } else { best };
            top = if take { v } else { top };
        }
    }
    best
}

/// `b` when `plane[b]` beats `plane[a]` (`a` comes first in the window's scan order, so it keeps ties), else `a`.
#[inline(always)]
fn later_wins<F: Float>(plane: &[F], a: usize, b: usize) -> usize {
    let (u, v) = (plane[a], plane[b]);
    if (v > u) | (v.is_nan() & !u.is_nan()) {
        b
    } else {
        a
    }
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

    #[test]
    fn the_2x2_tournament_picks_what_the_scan_picks() {
        // Few distinct values (many ties), signed zeros and NaNs, strides 1 and 2, odd sizes (floor mode).
        let pool = [0.0, -0.0, 1.0, -1.0, 2.0, f64::NAN, 1.0, f64::NEG_INFINITY];
        let x: Vec<f64> = (0..2 * 7 * 9).map(|i| pool[(i * 5 + i / 3) % 8]).collect();
        for s in [1, 2] {
            let (ho, wo) = ((7 - 2) / s + 1, (9 - 2) / s + 1);
            let d = PoolDims {
                planes: 2,
                h: 7,
                w: 9,
                k: 2,
                s,
                ho,
                wo,
            };
            let want: Vec<usize> = (0..2)
                .flat_map(|p| {
                    let plane = &x[p * 63..][..63];
                    (0..ho * wo)
                        .map(move |o| p * 63 + window_argmax(&d, plane, o / wo * s, o % wo * s))
                })
                .collect();
            assert_eq!(max_pool_argmax(&d, &x), want, "stride {s}");
        }
    }
}
