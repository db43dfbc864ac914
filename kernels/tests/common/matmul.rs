//! The tiled GEMM against a plain triple loop: random shapes (including edges that are not
//! multiples of the 64 x 64 tiles), transposes, batches, sums, alpha/beta, and the jet rule.

use jetnewton_kernels::ops::matmul::{gemm, matmul, matmul_jet, Gemm, JetMatmul};
use jetnewton_kernels::{Backend, KernelError, Real};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{assert_close, download, eps, rng, uniform, upload};

/// `(value, sum of |terms|)` of entry (i, j) of op(A) op(B) for the matrices at `oa`, `ob`.
fn entry(g: &Gemm, a: &[f64], oa: isize, b: &[f64], ob: isize, i: usize, j: usize) -> (f64, f64) {
    let (mut v, mut s) = (0.0, 0.0);
    for l in 0..g.k {
        let ai = if g.trans_a {
            l * g.lda + i
        } else {
            i * g.lda + l
        };
        let bi = if g.trans_b {
            j * g.ldb + l
        } else {
            l * g.ldb + j
        };
        let t = a[(oa + ai as isize) as usize] * b[(ob + bi as isize) as usize];
        v += t;
        s += t.abs();
    }
    (v, s)
}

/// C after `g` with `alpha`, `beta`, and the error scale of each entry, by the definition.
fn reference(
    g: &Gemm,
    alpha: f64,
    a: &[f64],
    b: &[f64],
    beta: f64,
    c: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let (mut out, mut scale) = (c.to_vec(), vec![0.0; c.len()]);
    for z in 0..g.batch {
        let terms = g.terms + z as isize * g.terms_step;
        let cz = g.offset_c as isize + z as isize * g.batch_c;
        for i in 0..g.m {
            for j in 0..g.n {
                let (mut v, mut s) = (0.0, 0.0);
                for p in 0..terms.max(0) {
                    let oa = g.offset_a as isize + z as isize * g.batch_a + p * g.term_a;
                    let ob = g.offset_b as isize + z as isize * g.batch_b + p * g.term_b;
                    let (tv, ts) = entry(g, a, oa, b, ob, i, j);
                    v += tv;
                    s += ts;
                }
                let at = (cz + (i * g.ldc + j) as isize) as usize;
                out[at] = alpha * v + beta * c[at];
                scale[at] = alpha.abs() * s + beta.abs() * c[at].abs();
            }
        }
    }
    (out, scale)
}

/// Runs `g` in `T` on random operands of the given lengths and compares with [`reference`].
fn run_case<B: Backend, T: Real>(
    b: &B,
    g: &Gemm,
    lens: (usize, usize, usize),
    alpha: f64,
    beta: f64,
    seed: u64,
) -> Result<(), KernelError> {
    let mut r = rng(seed);
    let round = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|&x| T::from_f64(x).into()).collect() };
    let a = round(uniform(&mut r, lens.0, -1.0, 1.0));
    let bm = round(uniform(&mut r, lens.1, -1.0, 1.0));
    let c = round(uniform(&mut r, lens.2, -1.0, 1.0));
    let (ab, bb) = (upload::<B, T>(b, &a), upload::<B, T>(b, &bm));
    let mut cb = upload::<B, T>(b, &c);
    gemm(
        b,
        g,
        T::from_f64(alpha),
        &ab,
        &bb,
        T::from_f64(beta),
        &mut cb,
    )?;
    let got = download::<B, T>(b, &cb);
    let (want, scale) = reference(g, alpha, &a, &bm, beta, &c);
    let what = format!("{:?} {g:?} alpha {alpha} beta {beta}", T::DTYPE);
    assert_close(&what, &got, &want, &scale, 4.0 * eps::<T>());
    Ok(())
}

/// Random plain and transposed products.
fn random_shapes<B: Backend>(b: &B) {
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let shapes = (
        1usize..140,
        1usize..140,
        0usize..80,
        any::<bool>(),
        any::<bool>(),
    );
    runner
        .run(&shapes, |(m, n, k, ta, tb)| {
            let mut g = Gemm::new(m, n, k);
            if ta {
                g = g.trans_a();
            }
            if tb {
                g = g.trans_b();
            }
            let lens = (m * k, k * n, m * n);
            run_case::<B, f32>(b, &g, lens, 1.0, 0.0, (m * 1000 + n) as u64).expect("f32");
            run_case::<B, f64>(b, &g, lens, 1.0, 0.0, (n * 1000 + m) as u64).expect("f64");
            prop_assert!(true);
            Ok(())
        })
        .expect("random shapes");
}

/// Padded strides, offsets, batches, sums over terms, negative term strides, alpha and beta.
fn strided_batched<B: Backend>(b: &B) {
    // Three products, operands with padded rows, C accumulated with beta.
    let mut g = Gemm::new(70, 65, 33).batched(3, 70 * 40, 0, 70 * 80);
    (g.lda, g.ldb, g.ldc) = (40, 70, 80);
    g.offset_b = 5;
    run_case::<B, f32>(b, &g, (3 * 70 * 40, 5 + 33 * 70, 3 * 70 * 80), 0.5, 2.0, 1).expect("f32");
    run_case::<B, f64>(b, &g, (3 * 70 * 40, 5 + 33 * 70, 3 * 70 * 80), 0.5, 2.0, 2).expect("f64");
    // Entry z sums 2 + z products; B walked backwards (as the jet rule does).
    let mut g = Gemm::new(20, 17, 9)
        .trans_b()
        .batched(3, 0, 17 * 9, 20 * 17);
    (g.terms, g.terms_step, g.term_a, g.term_b) = (2, 1, 20 * 9, -(17 * 9));
    g.offset_b = 17 * 9;
    run_case::<B, f64>(b, &g, (4 * 20 * 9, 6 * 17 * 9, 3 * 20 * 17), 1.0, 0.0, 3).expect("f64");
    // k = 0: C = beta C.
    let g = Gemm::new(5, 6, 0);
    run_case::<B, f32>(b, &g, (0, 0, 30), 1.0, 0.5, 4).expect("k = 0");
}

/// The bilinear jet rule in one launch against the Cauchy product of plain products.
fn jet_rule<B: Backend>(b: &B) {
    let (m, n, k) = (33, 70, 21);
    let mut seed = 10;
    for order in 0..=3 {
        for from in 0..=order {
            for (ac, bc) in [
                (order + 1, order + 1),
                (1, order + 1),
                (order + 1, 1),
                (1, 1),
            ] {
                for (ta, tb) in [(false, false), (true, true)] {
                    seed += 1;
                    let j = JetMatmul {
                        m,
                        n,
                        k,
                        order,
                        from,
                        a_coeffs: ac,
                        b_coeffs: bc,
                        trans_a: ta,
                        trans_b: tb,
                    };
                    jet_case::<B, f64>(b, &j, seed);
                    jet_case::<B, f32>(b, &j, seed);
                }
            }
        }
    }
}

fn jet_case<B: Backend, T: Real>(b: &B, j: &JetMatmul, seed: u64) {
    let (m, n, k) = (j.m, j.n, j.k);
    let mut r = rng(seed);
    let round = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|&x| T::from_f64(x).into()).collect() };
    let a = round(uniform(&mut r, j.a_coeffs * m * k, -1.0, 1.0));
    let bm = round(uniform(&mut r, j.b_coeffs * k * n, -1.0, 1.0));
    let sentinel = 7.0;
    let mut cb = upload::<B, T>(b, &vec![sentinel; (j.order + 1) * m * n]);
    matmul_jet(
        b,
        j,
        &upload::<B, T>(b, &a),
        &upload::<B, T>(b, &bm),
        &mut cb,
    )
    .expect("jet");
    let got = download::<B, T>(b, &cb);
    let mut plain = Gemm::new(m, n, k);
    (plain.trans_a, plain.trans_b) = (j.trans_a, j.trans_b);
    (plain.lda, plain.ldb) = (if j.trans_a { m } else { k }, if j.trans_b { k } else { n });
    // Planes below `from` keep the sentinel; the others are sums of products (or zeros).
    let (mut want, mut scale) = (vec![sentinel; got.len()], vec![0.0; got.len()]);
    for kk in j.from..=j.order {
        want[kk * m * n..(kk + 1) * m * n].fill(0.0);
        for i in 0..=kk {
            if i >= j.a_coeffs || kk - i >= j.b_coeffs {
                continue;
            }
            let (oa, ob) = ((i * m * k) as isize, ((kk - i) * k * n) as isize);
            for row in 0..m {
                for col in 0..n {
                    let (v, s) = entry(&plain, &a, oa, &bm, ob, row, col);
                    want[kk * m * n + row * n + col] += v;
                    scale[kk * m * n + row * n + col] += s;
                }
            }
        }
    }
    assert_close(
        &format!("{:?} {j:?}", T::DTYPE),
        &got,
        &want,
        &scale,
        4.0 * eps::<T>(),
    );
}

/// Every check of the GEMM, then the argument checks.
pub fn check<B: Backend>(b: &B) {
    random_shapes(b);
    strided_batched(b);
    jet_rule(b);
    let a = b.alloc_zeros::<f32>(6).expect("alloc");
    let mut c = b.alloc_zeros::<f32>(4).expect("alloc");
    matmul(b, (2, 2, 3), &a, &a, &mut c).expect("fits");
    assert!(matches!(
        matmul(b, (2, 3, 3), &a, &a, &mut c),
        Err(KernelError::BufferTooSmall { .. })
    ));
}
