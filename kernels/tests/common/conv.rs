//! Convolution and its adjoints against the direct definition (a sixfold loop), in runs of
//! several samples and one sample at a time, with accumulation.

use jetnewton_kernels::ops::conv::{
    conv2d, conv2d_input_grad, conv2d_weight_grad, ConvDims, ConvOptions,
};
use jetnewton_kernels::{Backend, Real};

use super::{assert_close, download, eps, rng, uniform, upload};

/// Visits every (sample, out channel, in channel, output pixel, kernel tap) that reads the input,
/// with the flat indices of x, w and y.
fn taps(d: &ConvDims, mut f: impl FnMut(usize, usize, usize)) {
    let (sh, sw) = d.stride;
    let (ph, pw) = d.padding;
    for s in 0..d.n {
        for o in 0..d.o {
            for c in 0..d.c {
                for oy in 0..d.ho {
                    for ox in 0..d.wo {
                        for i in 0..d.kh {
                            for j in 0..d.kw {
                                let (y, x) = (oy * sh + i, ox * sw + j);
                                if y < ph || x < pw || y - ph >= d.h || x - pw >= d.w {
                                    continue;
                                }
                                let xi = ((s * d.c + c) * d.h + y - ph) * d.w + x - pw;
                                let wi = ((o * d.c + c) * d.kh + i) * d.kw + j;
                                let yi = ((s * d.o + o) * d.ho + oy) * d.wo + ox;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn check_case<B: Backend, T: Real>(b: &B, d: &ConvDims, opts: ConvOptions, seed: u64) {
    let mut r = rng(seed);
    let round = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|&x| T::from_f64(x).into()).collect() };
    let x = round(uniform(&mut r, d.in_len(), -1.0, 1.0));
    let w = round(uniform(&mut r, d.weight_len(), -1.0, 1.0));
    let g = round(uniform(&mut r, d.out_len(), -1.0, 1.0));
    let prior_y = round(uniform(&mut r, d.out_len(), -1.0, 1.0));
    let prior_x = round(uniform(&mut r, d.in_len(), -1.0, 1.0));
    let prior_w = round(uniform(&mut r, d.weight_len(), -1.0, 1.0));

    // y = prior + Conv(x, w), x̄ = prior + ConvIn(g, w), w̄ = prior + ConvW(x, g), by definition.
    let (mut y, mut ys) = (
        prior_y.clone(),
        prior_y.iter().map(|v| v.abs()).collect::<Vec<_>>(),
    );
    let (mut xb, mut xs) = (
        prior_x.clone(),
        prior_x.iter().map(|v| v.abs()).collect::<Vec<_>>(),
    );
    let (mut wb, mut ws) = (
        prior_w.clone(),
        prior_w.iter().map(|v| v.abs()).collect::<Vec<_>>(),
    );
    taps(d, |xi, wi, yi| {
        y[yi] += x[xi] * w[wi];
        ys[yi] += (x[xi] * w[wi]).abs();
        xb[xi] += g[yi] * w[wi];
        xs[xi] += (g[yi] * w[wi]).abs();
        wb[wi] += x[xi] * g[yi];
        ws[wi] += (x[xi] * g[yi]).abs();
    });

    let (xd, wd, gd) = (
        upload::<B, T>(b, &x),
        upload::<B, T>(b, &w),
        upload::<B, T>(b, &g),
    );
    let what = format!("{:?} {d:?} budget {}", T::DTYPE, opts.col_budget);
    let tol = 4.0 * eps::<T>();
    for accumulate in [false, true] {
        let base = |prior: &[f64]| {
            if accumulate {
                prior.to_vec()
            } else {
                vec![0.0; prior.len()]
            }
        };
        let strip = |want: &[f64], prior: &[f64]| -> Vec<f64> {
            if accumulate {
                want.to_vec()
            } else {
                want.iter().zip(prior).map(|(w, p)| w - p).collect()
            }
        };
        let mut yd = upload::<B, T>(b, &base(&prior_y));
        conv2d(b, d, &xd, &wd, &mut yd, accumulate, opts).expect("conv2d");
        let got = download::<B, T>(b, &yd);
        assert_close(
            &format!("{what} conv2d acc {accumulate}"),
            &got,
            &strip(&y, &prior_y),
            &ys,
            tol,
        );

        let mut xo = upload::<B, T>(b, &base(&prior_x));
        conv2d_input_grad(b, d, &gd, &wd, &mut xo, accumulate, opts).expect("input grad");
        let got = download::<B, T>(b, &xo);
        assert_close(
            &format!("{what} input grad acc {accumulate}"),
            &got,
            &strip(&xb, &prior_x),
            &xs,
            tol,
        );

        let mut wo = upload::<B, T>(b, &base(&prior_w));
        conv2d_weight_grad(b, d, &xd, &gd, &mut wo, accumulate, opts).expect("weight grad");
        let got = download::<B, T>(b, &wo);
        assert_close(
            &format!("{what} weight grad acc {accumulate}"),
            &got,
            &strip(&wb, &prior_w),
            &ws,
            tol,
        );
    }
}

/// Strides, paddings, rectangular kernels, 1x1, and runs of every size.
pub fn check<B: Backend>(b: &B) {
    let cases = [
        ([3, 2, 7, 6], [4, 2, 3, 3], (1, 1), (1, 1)),
        ([2, 3, 9, 8], [5, 3, 3, 2], (2, 3), (1, 0)),
        ([2, 4, 5, 5], [3, 4, 1, 1], (1, 1), (0, 0)),
        ([1, 1, 6, 6], [2, 1, 6, 6], (1, 1), (0, 0)),
        ([4, 2, 4, 4], [3, 2, 2, 2], (2, 2), (2, 2)),
    ];
    for (seed, (x, w, stride, pad)) in cases.into_iter().enumerate() {
        let d = ConvDims::new(x, w, stride, pad).expect("valid dims");
        let per_sample = d.ckk() * d.pixels();
        for budget in [1, 2 * per_sample + 1, usize::MAX] {
            let opts = ConvOptions { col_budget: budget };
            check_case::<B, f32>(b, &d, opts, seed as u64);
            check_case::<B, f64>(b, &d, opts, seed as u64 + 100);
        }
    }
}
