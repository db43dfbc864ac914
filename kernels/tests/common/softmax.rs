//! Log-softmax, its jet and lifted reverse rule, and cross-entropy, against series built from
//! `exp` and `ln` (and, in f64, the CPU engine's log-softmax jet).

use jetnewton_engine::ops::log_softmax::LogSoftmax;
use jetnewton_engine::{Jet, Op, Tensor};
use jetnewton_kernels::ops::softmax::{
    cross_entropy, cross_entropy_grad, log_softmax_jet, log_softmax_jet_vjp, SoftmaxDims,
};
use jetnewton_kernels::{Backend, DType, Real};

use super::series::Series;
use super::{assert_close, download, eps, rng, uniform, upload};

/// Element (r, j) of a jet with planes `stride` apart, truncated to `order`.
fn at(data: &[f64], d: &SoftmaxDims, r: usize, j: usize) -> Series {
    Series(std::array::from_fn(|k| {
        if k <= d.order {
            data[k * d.stride + r * d.cols + j]
        } else {
            0.0
        }
    }))
}

fn put(out: &mut [f64], d: &SoftmaxDims, r: usize, j: usize, s: Series) {
    for k in 0..=d.order {
        out[k * d.stride + r * d.cols + j] = s.0[k];
    }
}

/// The planes `0..=order`, without the gaps between them.
fn planes(v: &[f64], d: &SoftmaxDims) -> Vec<f64> {
    let n = d.rows * d.cols;
    (0..=d.order)
        .flat_map(|k| v[k * d.stride..k * d.stride + n].to_vec())
        .collect()
}

fn check_case<B: Backend, T: Real>(b: &B, d: &SoftmaxDims, seed: u64) {
    let mut r = rng(seed);
    let round = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|&x| T::from_f64(x).into()).collect() };
    let span = d.order * d.stride + d.rows * d.cols;
    let mut z = round(uniform(&mut r, span, -1.0, 1.0));
    // Large logits: the kernel must subtract the row maximum.
    z.iter_mut().take(d.rows * d.cols).for_each(|v| *v *= 30.0);
    let g = round(uniform(&mut r, span, -1.0, 1.0));
    let labels: Vec<i64> = (0..d.rows).map(|i| ((i * 7 + 3) % d.cols) as i64).collect();

    let (mut want_y, mut want_dz) = (vec![0.0; span], vec![0.0; span]);
    for row in 0..d.rows {
        let mut sum = Series::constant(0.0);
        // Shift by the order-0 maximum so that exp stays finite; it cancels in y.
        let shift = (0..d.cols)
            .map(|j| z[row * d.cols + j])
            .fold(f64::NEG_INFINITY, f64::max);
        for j in 0..d.cols {
            sum = sum + (at(&z, d, row, j) - Series::constant(shift)).exp();
        }
        let lse = sum.ln() + Series::constant(shift);
        let mut gsum = Series::constant(0.0);
        for j in 0..d.cols {
            gsum = gsum + at(&g, d, row, j);
        }
        for j in 0..d.cols {
            let y = (at(&z, d, row, j) - lse).truncate(d.order);
            put(&mut want_y, d, row, j, y);
            let dz = at(&g, d, row, j) - y.exp() * gsum;
            put(&mut want_dz, d, row, j, dz.truncate(d.order));
        }
    }

    let zd = upload::<B, T>(b, &z);
    let mut yd = b.alloc_zeros::<T>(span).expect("alloc");
    log_softmax_jet(b, d, &zd, &mut yd).expect("log-softmax jet");
    let y = download::<B, T>(b, &yd);
    let what = format!("{:?} {d:?}", T::DTYPE);
    // Coefficients are O(1) but gather sums over a row.
    let scale = vec![30.0; (d.order + 1) * d.rows * d.cols];
    let tol = 8.0 * eps::<T>();
    assert_close(
        &format!("{what} jet"),
        &planes(&y, d),
        &planes(&want_y, d),
        &scale,
        tol,
    );

    // The reverse rule reads the output jet; feed it the oracle's, rounded to T.
    let yd = upload::<B, T>(b, &want_y);
    let mut dzd = b.alloc_zeros::<T>(span).expect("alloc");
    log_softmax_jet_vjp(b, d, &yd, &upload::<B, T>(b, &g), &mut dzd).expect("vjp");
    let dz = download::<B, T>(b, &dzd);
    assert_close(
        &format!("{what} vjp"),
        &planes(&dz, d),
        &planes(&want_dz, d),
        &scale,
        tol,
    );

    let lb = b.upload(&labels).expect("labels");
    let mut loss = b.alloc_zeros::<f64>(d.order + 1).expect("alloc");
    cross_entropy(b, d, &upload::<B, T>(b, &want_y), &lb, &mut loss).expect("cross-entropy");
    let got = b.download(&loss).expect("download");
    let want: Vec<f64> = (0..=d.order)
        .map(|k| {
            let rows = d.rows as f64;
            -(0..d.rows)
                .map(|row| {
                    T::from_f64(want_y[k * d.stride + row * d.cols + labels[row] as usize]).into()
                })
                .sum::<f64>()
                / rows
        })
        .collect();
    assert_close(
        &format!("{what} cross-entropy"),
        &got,
        &want,
        &vec![30.0; want.len()],
        1e-12,
    );

    let rows = d.rows as f64;
    let mut dzd = b.alloc_zeros::<T>(d.rows * d.cols).expect("alloc");
    let logp = upload::<B, T>(b, &want_y[..d.rows * d.cols]);
    cross_entropy_grad(
        b,
        (d.rows, d.cols),
        &logp,
        &lb,
        T::from_f64(1.0 / rows),
        &mut dzd,
    )
    .expect("grad");
    let want: Vec<f64> = (0..d.rows * d.cols)
        .map(|e| {
            let onehot = if (e % d.cols) as i64 == labels[e / d.cols] {
                1.0
            } else {
                0.0
            };
            (want_y[e].exp() - onehot) / rows
        })
        .collect();
    let got = download::<B, T>(b, &dzd);
    assert_close(
        &format!("{what} cross-entropy grad"),
        &got,
        &want,
        &vec![1.0; want.len()],
        tol,
    );

    if T::DTYPE == DType::F64 {
        against_engine(d, &z, &y);
    }
}

/// The CPU engine's log-softmax jet gives the same numbers.
fn against_engine(d: &SoftmaxDims, z: &[f64], y: &[f64]) {
    let n = d.rows * d.cols;
    let plane = |k: usize| {
        Tensor::from_vec(
            vec![d.rows, d.cols],
            z[k * d.stride..k * d.stride + n].to_vec(),
        )
        .expect("tensor")
    };
    let jet = Jet {
        coeffs: (0..=d.order).map(|k| Some(plane(k))).collect(),
    };
    let y0 = LogSoftmax.forward(&[&plane(0)]).expect("forward");
    let out = LogSoftmax.jet(&[&jet], &y0).expect("engine jet");
    for k in 0..=d.order {
        let want = out
            .get(k)
            .map(|t| t.data().to_vec())
            .unwrap_or(vec![0.0; n]);
        let got = &y[k * d.stride..k * d.stride + n];
        assert_close(
            &format!("log-softmax coefficient {k} vs engine"),
            got,
            &want,
            &vec![30.0; n],
            1e-13,
        );
    }
}

/// Rows of one and of several thread-strides, every order, packed and strided planes; a bad
/// label gives NaN.
pub fn check<B: Backend>(b: &B) {
    let mut seed = 0;
    for (rows, cols) in [(3, 7), (2, 300), (5, 1)] {
        for order in 0..=3 {
            for stride in [rows * cols, rows * cols + 3] {
                seed += 1;
                let d = SoftmaxDims {
                    rows,
                    cols,
                    stride,
                    order,
                };
                check_case::<B, f32>(b, &d, seed);
                check_case::<B, f64>(b, &d, seed);
            }
        }
    }
    let d = SoftmaxDims::dense(2, 3, 0);
    let logp = b.alloc_zeros::<f32>(6).expect("alloc");
    let labels = b.upload(&[0i64, 3]).expect("labels");
    let mut loss = b.alloc_zeros::<f64>(1).expect("alloc");
    cross_entropy(b, &d, &logp, &labels, &mut loss).expect("launch");
    assert!(b.download(&loss).expect("download")[0].is_nan());
    let mut dz = b.alloc_zeros::<f32>(6).expect("alloc");
    cross_entropy_grad(b, (2, 3), &logp, &labels, 0.5, &mut dz).expect("launch");
    let dz = b.download(&dz).expect("download");
    assert!(dz[..3].iter().all(|v| v.is_finite()) && dz[3..].iter().all(|v| v.is_nan()));
}
