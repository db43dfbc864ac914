//! Jets of the activations against their Taylor series (and, in f64, the CPU engine's jets).

use jetnewton_engine::ops::elementwise::{Unary, UnaryFn};
use jetnewton_engine::{Jet, Op, Tensor};
use jetnewton_kernels::ops::elementwise::{activation_jet, activation_jet_vjp, Activation};
use jetnewton_kernels::{Backend, DType, JetLayout, Real};

use super::series::Series;
use super::{assert_close, download, eps, rng, uniform, upload};

const ALPHA: f64 = 0.7;
const ACTIVATIONS: [Activation; 5] = [
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::Elu { alpha: ALPHA },
    Activation::Relu,
    Activation::Exp,
];

/// `f(x(t))` as a series.
fn apply(f: Activation, x: Series) -> Series {
    match f {
        Activation::Tanh => x.tanh(),
        Activation::Sigmoid => x.sigmoid(),
        Activation::Exp => x.exp(),
        Activation::Elu { alpha } if x.0[0] <= 0.0 => {
            Series::constant(alpha) * (x.exp() - Series::constant(1.0))
        }
        Activation::Relu if x.0[0] <= 0.0 => Series::constant(0.0),
        Activation::Elu { .. } | Activation::Relu => x,
    }
}

/// `f'(x(t))` as a series, from identities of each function.
fn slope(f: Activation, x: Series) -> Series {
    let one = Series::constant(1.0);
    match f {
        Activation::Tanh => one - x.tanh() * x.tanh(),
        Activation::Sigmoid => x.sigmoid() * (one - x.sigmoid()),
        Activation::Exp => x.exp(),
        Activation::Elu { alpha } if x.0[0] <= 0.0 => Series::constant(alpha) * x.exp(),
        Activation::Relu if x.0[0] <= 0.0 => Series::constant(0.0),
        Activation::Elu { .. } | Activation::Relu => one,
    }
}

/// Element i of a jet stored as planes `stride` apart, truncated to `order`.
fn series_at(data: &[f64], l: &JetLayout, i: usize) -> Series {
    Series(std::array::from_fn(|k| {
        if k <= l.order {
            data[k * l.stride + i]
        } else {
            0.0
        }
    }))
}

/// Runs both rules for one activation, order and layout, in `T`.
fn check_one<B: Backend, T: Real>(b: &B, f: Activation, l: JetLayout, seed: u64) {
    let mut r = rng(seed);
    let span = l.span();
    // Coefficient 0 spans both branches of ELU and ReLU; the kinks themselves are avoided.
    let mut x = uniform(&mut r, span, -0.9, 0.9);
    for v in x.iter_mut().take(l.len) {
        *v = *v * 3.0 + if *v >= 0.0 { 0.05 } else { -0.05 };
    }
    let g = uniform(&mut r, span, -1.0, 1.0);
    let (xb, gb) = (upload::<B, T>(b, &x), upload::<B, T>(b, &g));
    let mut y = b.alloc_zeros::<T>(span).expect("alloc");
    let mut dx = b.alloc_zeros::<T>(span).expect("alloc");
    activation_jet(b, f, l, &xb, &mut y).expect("jet launch");
    activation_jet_vjp(b, f, l, &xb, &gb, &mut dx).expect("vjp launch");
    let (y, dx) = (download::<B, T>(b, &y), download::<B, T>(b, &dx));
    // The kernel sees x rounded to T: build the oracle from the same values.
    let x: Vec<f64> = x.iter().map(|&v| T::from_f64(v).into()).collect();
    let g: Vec<f64> = g.iter().map(|&v| T::from_f64(v).into()).collect();
    let (mut want_y, mut want_dx) = (vec![0.0; span], vec![0.0; span]);
    for i in 0..l.len {
        let xs = series_at(&x, &l, i);
        let ys = apply(f, xs).truncate(l.order);
        let ds = (series_at(&g, &l, i) * slope(f, xs)).truncate(l.order);
        for k in 0..=l.order {
            want_y[k * l.stride + i] = ys.0[k];
            want_dx[k * l.stride + i] = ds.0[k];
        }
    }
    let what = format!("{f:?} order {} {:?}", l.order, T::DTYPE);
    let tol = 20.0 * eps::<T>();
    // Series coefficients of order 3 gather a few dozen products of O(1) terms.
    let scale = vec![10.0; span];
    let planes = |v: &[f64]| -> Vec<f64> {
        (0..=l.order)
            .flat_map(|k| v[k * l.stride..k * l.stride + l.len].to_vec())
            .collect()
    };
    assert_close(
        &format!("{what} forward"),
        &planes(&y),
        &planes(&want_y),
        &scale,
        tol,
    );
    assert_close(
        &format!("{what} vjp"),
        &planes(&dx),
        &planes(&want_dx),
        &scale,
        tol,
    );
    if T::DTYPE == DType::F64 {
        against_engine(f, &l, &x, &y);
    }
}

/// The CPU engine's jet of the same op gives the same numbers.
fn against_engine(f: Activation, l: &JetLayout, x: &[f64], y: &[f64]) {
    let op = Unary::of(match f {
        Activation::Tanh => UnaryFn::Tanh,
        Activation::Sigmoid => UnaryFn::Sigmoid,
        Activation::Elu { alpha } => UnaryFn::Elu(alpha),
        Activation::Relu => UnaryFn::Relu,
        Activation::Exp => UnaryFn::Exp,
    });
    let plane = |k: usize| {
        Tensor::from_vec(vec![l.len], x[k * l.stride..k * l.stride + l.len].to_vec())
            .expect("tensor")
    };
    let jet = Jet {
        coeffs: (0..=l.order).map(|k| Some(plane(k))).collect(),
    };
    let y0 = op.forward(&[&plane(0)]).expect("forward");
    let out = op.jet(&[&jet], &y0).expect("engine jet");
    for k in 0..=l.order {
        let got = &y[k * l.stride..k * l.stride + l.len];
        let want = out
            .get(k)
            .map(|t| t.data().to_vec())
            .unwrap_or(vec![0.0; l.len]);
        assert_close(
            &format!("{f:?} order {} coefficient {k} vs engine", l.order),
            got,
            &want,
            &vec![10.0; l.len],
            1e-13,
        );
    }
}

/// Every activation, order 0..=3, packed and strided planes, f32 and f64; bad layouts rejected.
pub fn check<B: Backend>(b: &B) {
    let mut seed = 0;
    for f in ACTIVATIONS {
        for order in 0..=3 {
            // 600 elements: three blocks, so the grid-stride loop crosses blocks.
            for l in [
                JetLayout::dense(600, order),
                JetLayout {
                    len: 37,
                    stride: 41,
                    order,
                },
            ] {
                seed += 1;
                check_one::<B, f32>(b, f, l, seed);
                check_one::<B, f64>(b, f, l, seed);
            }
        }
    }
    let x = b.alloc_zeros::<f32>(10).expect("alloc");
    let mut y = b.alloc_zeros::<f32>(10).expect("alloc");
    let too_high = JetLayout::dense(2, 4);
    assert!(activation_jet(b, Activation::Tanh, too_high, &x, &mut y).is_err());
    let too_long = JetLayout::dense(6, 1);
    assert!(activation_jet(b, Activation::Tanh, too_long, &x, &mut y).is_err());
}
