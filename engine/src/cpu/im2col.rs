//! The column matrix of one convolution sample and its adjoint: the data movement around the convolution's GEMMs.
//!
//! Row `(c, i, j)` of the column matrix holds, for every output pixel `(oy, ox)`, the input value
//! `x[c, oy·sh + i − ph, ox·sw + j − pw]` (zero outside the image). For one output row `oy` the valid `ox` form a
//! range, and with a horizontal stride of 1 the values they read are a contiguous run of the input row: both
//! directions then move whole runs (`copy_from_slice` and a vectorised add) instead of one indexed element at a
//! time, which is what made im2col cost more than the GEMMs it feeds.

use crate::cpu::conv::ConvDims;
use crate::float::Float;

/// The output positions `o` with `0 ≤ o·stride + offset − pad < len`, as a range (empty when none).
pub(crate) fn valid(
    out_len: usize,
    stride: usize,
    offset: usize,
    pad: usize,
    len: usize,
) -> std::ops::Range<usize> {
    let lo = pad.saturating_sub(offset).div_ceil(stride);
    let hi = if len + pad > offset {
        ((len + pad - offset - 1) / stride + 1).min(out_len)
    } else {
        0
    };
    lo..hi.max(lo)
}

/// One row `(c, i, j)` of the column matrix resolved: the valid output rows and columns, and where in the sample
/// the first of them reads. Resolving costs a few divisions, so it is done once per convolution, not per sample.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    ys: std::ops::Range<usize>,
    xs: std::ops::Range<usize>,
    /// Offset into the sample read by output pixel `(ys.start, xs.start)` (0 when the row reads nothing).
    top: usize,
}

/// Every row of the column matrix of `d`, resolved.
pub(crate) fn rows(d: &ConvDims) -> Vec<Row> {
    (0..d.ckk())
        .map(|row| {
            let (c, i, j) = (row / (d.kh * d.kw), row / d.kw % d.kh, row % d.kw);
            let ys = valid(d.ho, d.sh, i, d.ph, d.h);
            let xs = valid(d.wo, d.sw, j, d.pw, d.w);
            let top = if ys.is_empty() || xs.is_empty() {
                0
            } else {
                (c * d.h + ys.start * d.sh + i - d.ph) * d.w + xs.start * d.sw + j - d.pw
            };
            Row { ys, xs, top }
        })
        .collect()
}

/// Copies a short run (an output row: 10–30 values in LeNet). A `memmove` call per run costs more than the copy
/// itself, so runs of 8 to 64 values move as blocks of 8 in straight-line code (the last block overlapping the one
/// before): a loop of block copies would be turned back into a `memmove` call by the compiler.
#[inline(always)]
fn copy_run<F: Copy>(dst: &mut [F], src: &[F]) {
    let n = dst.len();
    let src = &src[..n];
    if !(8..=64).contains(&n) {
        return dst.copy_from_slice(src);
    }
    let block = |dst: &mut [F], at: usize| {
        let d: &mut [F; 8] = (&mut dst[at..at + 8]).try_into().expect("8 values");
        *d = src[at..at + 8].try_into().expect("8 values");
    };
    let full = n / 8;
    block(dst, 0);
    if full >= 2 {
        block(dst, 8);
    }
    if full >= 3 {
        block(dst, 16);
    }
    if full >= 4 {
        block(dst, 24);
    }
    if full >= 5 {
        block(dst, 32);
    }
    if full >= 6 {
        block(dst, 40);
    }
    if full >= 7 {
        block(dst, 48);
    }
    if full >= 8 {
        block(dst, 56);
    }
    block(dst, n - 8);
}

/// Fills the `Ho·Wo` columns of one sample `x` (`[C, H, W]`) in a column matrix with `C·kh·kw` rows `ld` apart.
pub fn im2col<F: Float>(d: &ConvDims, x: &[F], col: &mut [F], ld: usize) {
    im2col_rows(d, &rows(d), x, col, ld);
}

/// [`im2col`] with the rows resolved by [`rows`].
pub(crate) fn im2col_rows<F: Float>(d: &ConvDims, rows: &[Row], x: &[F], col: &mut [F], ld: usize) {
    let p = d.pixels();
    for (row, r) in rows.iter().enumerate() {
        let dst = &mut col[row * ld..][..p];
        let n = r.xs.len();
        if r.ys.len() < d.ho || n < d.wo {
            dst.fill(F::zero());
        }
        if n == 0 {
            continue;
        }
        // Output row `oy` of this row reads the input from `top + (oy − ys.start)·sh·w` on: zipping the output
        // rows with the input's `sh·w`-long chunks walks both without recomputing (and re-checking) offsets.
        let outs = dst[r.ys.start * d.wo..r.ys.end * d.wo].chunks_exact_mut(d.wo);
        let ins = x[r.top..].chunks(d.sh * d.w);
        if d.sw == 1 {
            for (out, src) in outs.zip(ins) {
                copy_run(&mut out[r.xs.start..][..n], src);
            }
        } else {
            for (out, src) in outs.zip(ins) {
                out[r.xs.start..][..n]
                    .iter_mut()
                    .zip(src.iter().step_by(d.sw))
                    .for_each(|(o, &s)| *o = s);
            }
        }
    }
}

/// Adds one sample's `Ho·Wo` columns (rows `ld` apart) back into the sample `x` (`[C, H, W]`): the adjoint of
/// [`im2col`]. Every input element receives its terms in the same order as an element-by-element loop over rows,
/// output rows and output columns would add them.
pub fn col2im_add<F: Float>(d: &ConvDims, col: &[F], ld: usize, x: &mut [F]) {
    col2im_add_rows(d, &rows(d), col, ld, x);
}

/// [`col2im_add`] with the rows resolved by [`rows`].
pub(crate) fn col2im_add_rows<F: Float>(
    d: &ConvDims,
    rows: &[Row],
    col: &[F],
    ld: usize,
    x: &mut [F],
) {
    let p = d.pixels();
    for (row, r) in rows.iter().enumerate() {
        let src = &col[row * ld..][..p];
        let n = r.xs.len();
        if n == 0 {
            continue;
        }
        // The same walk as in `im2col_rows`, in the same order.
        let srcs = src[r.ys.start * d.wo..r.ys.end * d.wo].chunks_exact(d.wo);
        let dsts = x[r.top..].chunks_mut(d.sh * d.w);
        if d.sw == 1 {
            for (dst, src) in dsts.zip(srcs) {
                let src = &src[r.xs.start..][..n];
                dst[..n].iter_mut().zip(src).for_each(|(t, &v)| *t += v);
            }
        } else {
            for (dst, src) in dsts.zip(srcs) {
                dst.iter_mut()
                    .step_by(d.sw)
                    .zip(&src[r.xs.start..][..n])
                    .for_each(|(t, &v)| *t += v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(
        c: usize,
        h: usize,
        w: usize,
        k: usize,
        s: (usize, usize),
        p: (usize, usize),
    ) -> ConvDims {
        let (ho, wo) = ((h + 2 * p.0 - k) / s.0 + 1, (w + 2 * p.1 - k) / s.1 + 1);
        ConvDims {
            n: 1,
            c,
            h,
            w,
            o: 1,
            kh: k,
            kw: k,
            sh: s.0,
            sw: s.1,
            ph: p.0,
            pw: p.1,
            ho,
            wo,
        }
    }

    /// The input index read by column-matrix row `row` at output pixel `(oy, ox)`, or `None` in the padding.
    fn source(d: &ConvDims, row: usize, oy: usize, ox: usize) -> Option<usize> {
        let (c, i, j) = (row / (d.kh * d.kw), row / d.kw % d.kh, row % d.kw);
        let (y, x) = (
            (oy * d.sh + i).checked_sub(d.ph)?,
            (ox * d.sw + j).checked_sub(d.pw)?,
        );
        (y < d.h && x < d.w).then_some((c * d.h + y) * d.w + x)
    }

    /// The run-wise im2col and col2im give exactly the values (and, for col2im, the order of additions) of a plain
    /// element-by-element loop, on shapes with and without stride, padding, short and long runs.
    #[test]
    fn im2col_and_col2im_match_element_loops_exactly() {
        for d in [
            dims(3, 32, 32, 5, (1, 1), (0, 0)),
            dims(2, 9, 7, 3, (1, 1), (1, 1)),
            dims(2, 9, 11, 3, (2, 2), (1, 1)),
            dims(1, 80, 75, 3, (1, 2), (2, 0)),
            dims(2, 6, 6, 4, (3, 1), (2, 2)),
        ] {
            let (p, k) = (d.pixels(), d.ckk());
            let x: Vec<f32> = (0..d.in_sample())
                .map(|i| (i as f32 * 0.37).sin())
                .collect();
            let ld = p + 3;
            let mut col = vec![f32::NAN; k * ld];
            im2col(&d, &x, &mut col, ld);
            let c: Vec<f32> = (0..k * ld).map(|i| (i as f32 * 1.7).cos()).collect();
            let mut back = vec![0.5f32; x.len()];
            col2im_add(&d, &c, ld, &mut back);
            let mut want = vec![0.5f32; x.len()];
            for row in 0..k {
                for oy in 0..d.ho {
                    for ox in 0..d.wo {
                        let at = row * ld + oy * d.wo + ox;
                        let src = source(&d, row, oy, ox);
                        assert_eq!(
                            col[at].to_bits(),
                            src.map_or(0.0, |s| x[s]).to_bits(),
                            "{d:?}"
                        );
                        if let Some(s) = src {
                            want[s] += c[at];
                        }
                    }
                }
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back), bits(&want), "{d:?}");
        }
    }
}
