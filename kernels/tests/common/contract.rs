//! Batched dot products against f64 sums, including a shared vector (stride 0) and vectors long
//! enough to be split over several blocks.

use jetnewton_kernels::ops::contract::{dots_to_host, Dots};
use jetnewton_kernels::{Backend, Real};

use super::{assert_close, rng, uniform, upload};

fn check_case<B: Backend, T: Real>(b: &B, d: &Dots, seed: u64) {
    let mut r = rng(seed);
    let round = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|&x| T::from_f64(x).into()).collect() };
    let a = round(uniform(
        &mut r,
        (d.pairs.max(1) - 1) * d.stride_a + d.n,
        -1.0,
        1.0,
    ));
    let bv = round(uniform(
        &mut r,
        (d.pairs.max(1) - 1) * d.stride_b + d.n,
        -1.0,
        1.0,
    ));
    let got = dots_to_host(b, d, &upload::<B, T>(b, &a), &upload::<B, T>(b, &bv)).expect("dots");
    let (mut want, mut scale) = (vec![], vec![]);
    for t in 0..d.pairs {
        let terms = (0..d.n).map(|i| a[t * d.stride_a + i] * bv[t * d.stride_b + i]);
        want.push(terms.clone().sum::<f64>());
        scale.push(terms.map(f64::abs).sum::<f64>());
    }
    // Products of T values are exact in f64, so only the f64 sums round.
    assert_close(&format!("{:?} {d:?}", T::DTYPE), &got, &want, &scale, 1e-14);
}

/// Short and long vectors, many pairs, a shared partner.
pub fn check<B: Backend>(b: &B) {
    let cases = [
        Dots {
            n: 1,
            pairs: 1,
            stride_a: 0,
            stride_b: 0,
        },
        Dots {
            n: 100,
            pairs: 7,
            stride_a: 100,
            stride_b: 0,
        },
        Dots {
            n: 5000,
            pairs: 3,
            stride_a: 5003,
            stride_b: 5000,
        },
        Dots {
            n: 0,
            pairs: 2,
            stride_a: 0,
            stride_b: 0,
        },
        Dots {
            n: 33,
            pairs: 40,
            stride_a: 40,
            stride_b: 33,
        },
    ];
    for (seed, d) in cases.iter().enumerate() {
        check_case::<B, f32>(b, d, seed as u64);
        check_case::<B, f64>(b, d, seed as u64 + 50);
    }
}
