//! 2-D convolution kernels on NCHW slices: im2col + GEMM per sample (or per small group of samples), parallel
//! over samples.
//!
//! The three products of a convolution, `y = Conv(x, w)`, `x̄ = ConvIn(ȳ, w)` (its adjoint in `x`, a transposed
//! convolution) and `w̄ = ConvW(x, ȳ)` (its adjoint in `w`), all go through the same column matrix of one sample:
//! `col[(c, i, j), (oy, ox)] = x[c, oy·sh + i − ph, ox·sw + j − pw]` (zero outside the image), of shape
//! `[C·kh·kw, Ho·Wo]`. Then, per sample, `y = W · col`, `col = Wᵀ · ȳ` (scattered back by col2im) and
//! `w̄ += ȳ · colᵀ`. When `Ho·Wo` is small, a few samples' columns sit side by side so that each GEMM stays wide
//! enough to run near peak. No whole-batch column buffer is ever formed: each rayon task reuses its own buffers.

use rayon::prelude::*;

use crate::cpu::gemm::{matmul, Layout};
pub use crate::cpu::im2col::{col2im_add, im2col};
use crate::cpu::im2col::{col2im_add_rows, im2col_rows, rows, Row};
use crate::float::Float;

/// Every size of one convolution, resolved and checked by the op (`crate::ops::conv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvDims {
    /// Batch size.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub o: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Vertical stride (≥ 1).
    pub sh: usize,
    /// Horizontal stride (≥ 1).
    pub sw: usize,
    /// Vertical zero padding.
    pub ph: usize,
    /// Horizontal zero padding.
    pub pw: usize,
    /// Output height, `(h + 2ph − kh) / sh + 1`.
    pub ho: usize,
    /// Output width, `(w + 2pw − kw) / sw + 1`.
    pub wo: usize,
}

impl ConvDims {
    /// Rows of the column matrix: `C·kh·kw` (the GEMM's inner dimension).
    pub fn ckk(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Output pixels per channel: `Ho·Wo`.
    pub fn pixels(&self) -> usize {
        self.ho * self.wo
    }
    /// Elements of one input sample.
    pub fn in_sample(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Elements of one output sample.
    pub fn out_sample(&self) -> usize {
        self.o * self.pixels()
    }
    /// `[N, C, H, W]`.
    pub fn in_shape(&self) -> Vec<usize> {
        vec![self.n, self.c, self.h, self.w]
    }
    /// `[O, C, kh, kw]`.
    pub fn weight_shape(&self) -> Vec<usize> {
        vec![self.o, self.c, self.kh, self.kw]
    }
    /// `[N, O, Ho, Wo]`.
    pub fn out_shape(&self) -> Vec<usize> {
        vec![self.n, self.o, self.ho, self.wo]
    }
    /// A 1×1, stride-1, unpadded convolution: one sample's column matrix is the sample itself.
    fn pointwise(&self) -> bool {
        (self.kh, self.kw, self.sh, self.sw, self.ph, self.pw) == (1, 1, 1, 1, 0, 0)
    }
    /// How the batch is split into per-task GEMMs.
    fn groups(&self) -> Groups {
        let threads = rayon::current_num_threads();
        let size = GEMM_COLS
            .div_ceil(self.pixels().max(1))
            .min(self.n.div_ceil(threads))
            .max(1);
        let count = self.n.div_ceil(size);
        Groups {
            size,
            count,
            par: count < threads,
        }
    }
}

/// Columns a GEMM should have at least. A deep layer on a small image has few output pixels (`Ho·Wo` = 4 or 16
/// in VGG on 32×32) and a product that narrow runs far below the GEMM's peak, so several samples are put side by
/// side in one column matrix `[C·kh·kw, G·Ho·Wo]`. Measured on one core in f32 (batch 128): VGG's 2×2 layers run
/// 2–3× faster this way than sample by sample, its 4×4 layers up to 1.4×; wider than 256 gains nothing more.
const GEMM_COLS: usize = 256;

/// Samples per group (`size`, the last group may hold fewer), number of groups, and whether each GEMM should fork
/// itself — when there are fewer groups than threads (a single sample, say).
struct Groups {
    size: usize,
    count: usize,
    par: bool,
}

/// One rayon task's buffers, reused across its groups: the column matrix and, for groups of several samples, the
/// `[O, G·Ho·Wo]` output or cotangent side by side; and the column matrix's rows, resolved once.
struct Scratch<F> {
    col: Vec<F>,
    wide: Vec<F>,
    rows: Vec<Row>,
}

impl<F: Float> Scratch<F> {
    fn new(d: &ConvDims, size: usize) -> Self {
        let cols = size * d.pixels();
        let col = if size == 1 && d.pointwise() {
            0
        } else {
            d.ckk() * cols
        };
        let wide = if size > 1 { d.o * cols } else { 0 };
        Self {
            col: vec![F::zero(); col],
            wide: vec![F::zero(); wide],
            rows: rows(d),
        }
    }
}

/// The column matrix `[C·kh·kw, gn·Ho·Wo]` of `gn` consecutive samples `xg`.
fn columns<F: Float>(d: &ConvDims, rows: &[Row], xg: &[F], gn: usize, col: &mut [F]) {
    let (p, is) = (d.pixels(), d.in_sample());
    for (s, xs) in xg.chunks(is).take(gn).enumerate() {
        im2col_rows(d, rows, xs, &mut col[s * p..], gn * p);
    }
}

/// `gn` samples' `[O, Ho·Wo]` blocks side by side as one `[O, gn·Ho·Wo]` matrix.
fn widen<F: Float>(d: &ConvDims, samples: &[F], gn: usize, wide: &mut [F]) {
    let (p, cols) = (d.pixels(), gn * d.pixels());
    for (s, block) in samples.chunks(d.out_sample()).take(gn).enumerate() {
        for (o, row) in block.chunks(p).enumerate() {
            wide[o * cols + s * p..][..p].copy_from_slice(row);
        }
    }
}

/// The inverse of [`widen`], writing (or adding, when `accumulate`) into the samples.
fn narrow<F: Float>(d: &ConvDims, wide: &[F], gn: usize, samples: &mut [F], accumulate: bool) {
    let (p, cols) = (d.pixels(), gn * d.pixels());
    for (s, block) in samples.chunks_mut(d.out_sample()).take(gn).enumerate() {
        for (o, row) in block.chunks_mut(p).enumerate() {
            let src = &wide[o * cols + s * p..][..p];
            if accumulate {
                row.iter_mut().zip(src).for_each(|(r, &v)| *r += v);
            } else {
                row.copy_from_slice(src);
            }
        }
    }
}

/// `y (+)= Conv(x, w)`: `x` is `[N, C, H, W]`, `w` is `[O, C, kh, kw]`, `y` is `[N, O, Ho, Wo]`; adds into `y` when
/// `accumulate`, overwrites otherwise.
pub fn conv_forward<F: Float>(d: &ConvDims, x: &[F], w: &[F], y: &mut [F], accumulate: bool) {
    let (k, p, is, os) = (d.ckk(), d.pixels(), d.in_sample(), d.out_sample());
    if os == 0 || d.n == 0 {
        return;
    }
    let gr = d.groups();
    let n = Layout::Normal;
    y.par_chunks_mut(gr.size * os).enumerate().for_each_init(
        || Scratch::new(d, gr.size),
        |buf, (gi, yg)| {
            let gn = yg.len() / os;
            let cols = gn * p;
            let xg = &x[gi * gr.size * is..][..gn * is];
            if gn == 1 && d.pointwise() {
                return matmul(d.o, p, k, w, n, xg, n, yg, accumulate, gr.par);
            }
            columns(d, &buf.rows, xg, gn, &mut buf.col);
            let col = &buf.col[..k * cols];
            if gn == 1 {
                matmul(d.o, p, k, w, n, col, n, yg, accumulate, gr.par);
            } else {
                let wide = &mut buf.wide[..d.o * cols];
                matmul(d.o, cols, k, w, n, col, n, wide, false, gr.par);
                narrow(d, wide, gn, yg, accumulate);
            }
        },
    );
}

/// `x (+)= ConvIn(g, w)`, the adjoint of [`conv_forward`] in `x`: `g` is `[N, O, Ho, Wo]`, `x` is `[N, C, H, W]`.
pub fn conv_input_grad<F: Float>(d: &ConvDims, g: &[F], w: &[F], x: &mut [F], accumulate: bool) {
    let (k, p, is, os) = (d.ckk(), d.pixels(), d.in_sample(), d.out_sample());
    if is == 0 || d.n == 0 {
        return;
    }
    let gr = d.groups();
    let (n, t) = (Layout::Normal, Layout::Transposed);
    x.par_chunks_mut(gr.size * is).enumerate().for_each_init(
        || Scratch::new(d, gr.size),
        |buf, (gi, xg)| {
            let gn = xg.len() / is;
            let cols = gn * p;
            let gg = &g[gi * gr.size * os..][..gn * os];
            if gn == 1 && d.pointwise() {
                return matmul(k, p, d.o, w, t, gg, n, xg, accumulate, gr.par);
            }
            let wide = if gn == 1 {
                gg
            } else {
                widen(d, gg, gn, &mut buf.wide);
                &buf.wide[..d.o * cols]
            };
            let col = &mut buf.col[..k * cols];
            matmul(k, cols, d.o, w, t, wide, n, col, false, gr.par);
            if !accumulate {
                xg.iter_mut().for_each(|v| *v = F::zero());
            }
            for (s, xs) in xg.chunks_mut(is).enumerate() {
                col2im_add_rows(d, &buf.rows, &col[s * p..], cols, xs);
            }
        },
    );
}

/// Most output channels for which [`conv_weight_grad`] accumulates `w̄ᵀ`: the GEMM then reads `col` unpacked once
/// per 16-row panel of `ȳ`, which pays for two panels at most. Measured on VGG-11's 512-channel 2×2 layers, the
/// flipped product is 1.5–2× slower.
const FLIP_MAX_O: usize = 32;

/// `ConvW(x, g)`, the adjoint of [`conv_forward`] in `w`: a `[O, C, kh, kw]` sum over samples of `g_s · col_sᵀ`.
///
/// Each rayon task keeps its own accumulator and buffers; the accumulators are summed at the end. Groups are
/// handed out in `threads` contiguous blocks, so that there are as many accumulators as threads (a VGG weight is
/// 2.4 M values: one accumulator per group would cost gigabytes).
///
/// Both factors of `ȳ · colᵀ` are contiguous along the summed pixels, and the GEMM packs the one that ends up as
/// its left operand with a transposing, element-by-element copy. With few output channels (`FLIP_MAX_O`)
/// the accumulators hold `w̄ᵀ = col · ȳᵀ` instead, so that the packed operand is the small `ȳ` and the large
/// `col` is read in place; on LeNet-5's layers (6 and 16 channels against 75 and 150 column rows) that takes a
/// third to a half off the time. Same products, same bits (checked on LeNet-5's shapes in f32).
pub fn conv_weight_grad<F: Float>(d: &ConvDims, x: &[F], g: &[F]) -> Vec<F> {
    let (k, p, is, os) = (d.ckk(), d.pixels(), d.in_sample(), d.out_sample());
    let size = d.o * k;
    if size == 0 {
        return Vec::new();
    }
    let gr = d.groups();
    let flipped = d.o <= FLIP_MAX_O && d.o < k;
    let add_group = |(mut acc, mut buf): (Vec<F>, Scratch<F>), gi: usize| {
        let first = gi * gr.size;
        let gn = gr.size.min(d.n - first);
        let cols = gn * p;
        let (xg, gg) = (&x[first * is..][..gn * is], &g[first * os..][..gn * os]);
        let wide = if gn == 1 {
            gg
        } else {
            widen(d, gg, gn, &mut buf.wide);
            &buf.wide[..d.o * cols]
        };
        let col = if gn == 1 && d.pointwise() {
            xg
        } else {
            columns(d, &buf.rows, xg, gn, &mut buf.col);
            &buf.col[..k * cols]
        };
        let (n, t) = (Layout::Normal, Layout::Transposed);
        if flipped {
            matmul(k, d.o, cols, col, n, wide, t, &mut acc, true, gr.par);
        } else {
            matmul(d.o, k, cols, wide, n, col, t, &mut acc, true, gr.par);
        }
        (acc, buf)
    };
    // Fixed contiguous blocks, one accumulator each, summed in block order: the result is the same on every run
    // with the same thread count (rayon's fold/reduce would group by work stealing, which varies).
    let blocks = rayon::current_num_threads().clamp(1, gr.count.max(1));
    let per = gr.count.div_ceil(blocks);
    let partials: Vec<Vec<F>> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let range = (b * per)..((b + 1) * per).min(gr.count);
            range
                .fold((vec![F::zero(); size], Scratch::new(d, gr.size)), add_group)
                .0
        })
        .collect();
    let mut parts = partials.into_iter();
    let mut total = parts.next().unwrap_or_else(|| vec![F::zero(); size]);
    for p in parts {
        total.iter_mut().zip(p).for_each(|(a, b)| *a += b);
    }
    if flipped {
        // `[k, O]` back to the weight's `[O, k]`.
        total = (0..d.o)
            .flat_map(|o| total.iter().skip(o).step_by(d.o).copied())
            .collect();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::im2col::valid;

    fn dims(h: usize, k: usize, s: usize, p: usize) -> ConvDims {
        let ho = (h + 2 * p - k) / s + 1;
        ConvDims {
            n: 1,
            c: 1,
            h,
            w: h,
            o: 1,
            kh: k,
            kw: k,
            sh: s,
            sw: s,
            ph: p,
            pw: p,
            ho,
            wo: ho,
        }
    }

    #[test]
    fn valid_ranges_match_a_bounds_check() {
        for (h, k, s, p) in [
            (5, 3, 1, 1),
            (6, 3, 2, 1),
            (4, 4, 1, 0),
            (7, 2, 3, 2),
            (3, 3, 2, 2),
        ] {
            let d = dims(h, k, s, p);
            for off in 0..k {
                let r = valid(d.ho, s, off, p, h);
                let want: Vec<usize> = (0..d.ho)
                    .filter(|&o| o * s + off >= p && o * s + off - p < h)
                    .collect();
                assert_eq!(
                    r.collect::<Vec<_>>(),
                    want,
                    "h={h} k={k} s={s} p={p} off={off}"
                );
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        let d = dims(5, 3, 2, 1);
        let x: Vec<f64> = (0..25).map(|i| (i as f64 * 0.7).sin()).collect();
        let c: Vec<f64> = (0..d.ckk() * d.pixels())
            .map(|i| (i as f64 * 1.3).cos())
            .collect();
        let mut col = vec![0.0; c.len()];
        im2col(&d, &x, &mut col, d.pixels());
        let mut back = vec![0.0; 25];
        col2im_add(&d, &c, d.pixels(), &mut back);
        let lhs: f64 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
        assert!(
            (lhs - rhs).abs() < 1e-12 * (1.0 + lhs.abs()),
            "{lhs} vs {rhs}"
        );
    }
}
