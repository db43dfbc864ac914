//! Pooling against the definition; the adjoints also by `<P x, g> = <x, Pᵀ g>`.

use jetnewton_kernels::ops::pool::{
    avg_pool, avg_pool_adjoint, gather, max_pool, max_pool_adjoint, PoolDims,
};
use jetnewton_kernels::{Backend, Real};

use super::{assert_close, download, eps, rng, uniform, upload};

/// Flat indices into x of window (plane, oy, ox).
fn window(d: &PoolDims, plane: usize, oy: usize, ox: usize) -> Vec<usize> {
    let mut at = Vec::new();
    for i in 0..d.kernel {
        for j in 0..d.kernel {
            at.push((plane * d.h + oy * d.stride + i) * d.w + ox * d.stride + j);
        }
    }
    at
}

fn check_case<B: Backend, T: Real>(b: &B, d: &PoolDims, seed: u64) {
    let mut r = rng(seed);
    let round = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|&x| T::from_f64(x).into()).collect() };
    // Few distinct values, so ties happen and the first-maximum rule is exercised.
    let mut x: Vec<f64> = uniform(&mut r, d.in_len(), 0.0, 4.0)
        .iter()
        .map(|v| v.floor())
        .collect();
    if d.in_len() > 5 {
        x[5] = f64::NAN;
    }
    // Average pooling of a NaN is NaN everywhere it reaches: it gets its own NaN-free input.
    let finite: Vec<f64> = x
        .iter()
        .map(|v| if v.is_nan() { 1.5 } else { *v })
        .collect();
    let g = round(uniform(&mut r, d.out_len(), -1.0, 1.0));
    let (mut want_max, mut want_arg, mut want_avg) = (vec![], vec![], vec![]);
    let (mut want_max_adj, mut want_avg_adj) = (vec![0.0; d.in_len()], vec![0.0; d.in_len()]);
    let inv = 1.0 / (d.kernel * d.kernel) as f64;
    for plane in 0..d.planes {
        for oy in 0..d.ho {
            for ox in 0..d.wo {
                let o = (plane * d.ho + oy) * d.wo + ox;
                let win = window(d, plane, oy, ox);
                let mut best = win[0];
                for &at in &win {
                    if x[at] > x[best] || (x[at].is_nan() && !x[best].is_nan()) {
                        best = at;
                    }
                }
                want_arg.push(best as i64);
                want_max.push(x[best]);
                want_avg.push(win.iter().map(|&at| finite[at]).sum::<f64>() * inv);
                want_max_adj[best] += g[o];
                win.iter().for_each(|&at| want_avg_adj[at] += g[o] * inv);
            }
        }
    }
    let (xd, gd) = (upload::<B, T>(b, &x), upload::<B, T>(b, &g));
    let mut y = b.alloc_zeros::<T>(d.out_len()).expect("alloc");
    let mut arg = b.alloc_zeros::<i64>(d.out_len()).expect("alloc");
    max_pool(b, d, &xd, &mut y, &mut arg).expect("max pool");
    let what = format!("{:?} {d:?}", T::DTYPE);
    let ones = vec![1.0; d.in_len().max(d.out_len())];
    assert_eq!(
        b.download(&arg).expect("download"),
        want_arg,
        "{what} argmax"
    );
    let got = download::<B, T>(b, &y);
    assert_close(&format!("{what} max"), &got, &want_max, &ones, 0.0);

    let mut xa = upload::<B, T>(b, &vec![9.0; d.in_len()]);
    max_pool_adjoint(b, d, &arg, &gd, &mut xa).expect("max adjoint");
    let got = download::<B, T>(b, &xa);
    assert_close(
        &format!("{what} max adjoint"),
        &got,
        &want_max_adj,
        &ones,
        4.0 * eps::<T>(),
    );

    // The argmax carries a second coefficient plane, as for a jet.
    let x1 = round(uniform(&mut r, d.in_len(), -1.0, 1.0));
    let mut both = x.clone();
    both.extend_from_slice(&x1);
    let mut y1 = b.alloc_zeros::<T>(d.out_len()).expect("alloc");
    // SAFETY: argmax indexes one plane of x, and x_offset leaves one full plane after it.
    unsafe { gather(b, &upload::<B, T>(b, &both), d.in_len(), &arg, &mut y1) }.expect("gather");
    let want: Vec<f64> = want_arg.iter().map(|&i| x1[i as usize]).collect();
    assert_close(
        &format!("{what} gather"),
        &download::<B, T>(b, &y1),
        &want,
        &ones,
        0.0,
    );

    let mut ya = b.alloc_zeros::<T>(d.out_len()).expect("alloc");
    avg_pool(b, d, &upload::<B, T>(b, &finite), &mut ya).expect("avg pool");
    let got = download::<B, T>(b, &ya);
    let scale = vec![4.0; want_avg.len()];
    assert_close(
        &format!("{what} avg"),
        &got,
        &want_avg,
        &scale,
        4.0 * eps::<T>(),
    );

    let mut xg = upload::<B, T>(b, &vec![9.0; d.in_len()]);
    avg_pool_adjoint(b, d, &gd, &mut xg).expect("avg adjoint");
    let got = download::<B, T>(b, &xg);
    assert_close(
        &format!("{what} avg adjoint"),
        &got,
        &want_avg_adj,
        &ones,
        4.0 * eps::<T>(),
    );
    // <AvgPool x, g> = <x, AvgPoolᵀ g>.
    let lhs: f64 = want_avg.iter().zip(&g).map(|(a, b)| a * b).sum();
    let rhs: f64 = finite.iter().zip(&got).map(|(a, b)| a * b).sum();
    assert!(
        (lhs - rhs).abs() <= 1e-4 * (1.0 + lhs.abs()),
        "{what}: adjoint identity {lhs} vs {rhs}"
    );
}

/// Non-overlapping, overlapping and strided windows, ragged edges.
pub fn check<B: Backend>(b: &B) {
    let cases = [
        (6, 8, 8, 2, 2),
        (3, 7, 5, 3, 1),
        (4, 9, 9, 3, 2),
        (2, 5, 7, 2, 3),
    ];
    for (seed, (planes, h, w, k, s)) in cases.into_iter().enumerate() {
        let d = PoolDims::new(planes, h, w, k, s).expect("fits");
        check_case::<B, f32>(b, &d, seed as u64);
        check_case::<B, f64>(b, &d, seed as u64 + 10);
    }
    assert!(PoolDims::new(1, 2, 2, 3, 1).is_err());
}
