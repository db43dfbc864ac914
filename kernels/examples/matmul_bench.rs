//! GPU benchmark of the tiled GEMM on the paper's MLP shapes (784-1024-200-100-10, batch 1000),
//! their backward products, one jet product and a square reference; prints a Markdown table of
//! GFLOP/s. Each product is checked on 64 sampled entries against f64 dot products first.
//!
//! ```sh
//! cargo run --release -p jetnewton-kernels --features cuda --example matmul_bench -- [--repeat 50] [--f64]
//! cargo run ... --example matmul_bench -- --list   # the shapes, for the PyTorch comparison
//! ```
//! Exits with status 2, saying why, when no CUDA device is usable (see scripts/gpu-check.sh).
//! `--list` prints `name|m|n|k|trans_a|trans_b|products` per case and needs no device: a case of
//! `products > 1` is the jet rule `C_1 = A_0 B_1 + A_1 B_0`, `C_2 = A_0 B_2 + A_1 B_1 + A_2 B_0`.

use std::process::ExitCode;
use std::time::Instant;

use jetnewton_kernels::ops::matmul::{gemm, Gemm, JetMatmul};
use jetnewton_kernels::{Backend, CudaBackend, KernelError, Real};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One benchmarked product.
struct Case {
    name: &'static str,
    gemm: Gemm,
    /// Products per launch (the jet rule sums several).
    products: usize,
    a_len: usize,
    b_len: usize,
    c_len: usize,
}

fn plain(name: &'static str, m: usize, n: usize, k: usize, ta: bool, tb: bool) -> Case {
    let mut g = Gemm::new(m, n, k);
    if ta {
        g = g.trans_a();
    }
    if tb {
        g = g.trans_b();
    }
    Case {
        name,
        gemm: g,
        products: 1,
        a_len: m * k,
        b_len: k * n,
        c_len: m * n,
    }
}

fn cases() -> Result<Vec<Case>, KernelError> {
    let jet = JetMatmul {
        m: 1000,
        n: 1024,
        k: 784,
        order: 2,
        from: 1,
        a_coeffs: 3,
        b_coeffs: 3,
        trans_a: false,
        trans_b: false,
    };
    Ok(vec![
        plain("fc1 forward  X W1", 1000, 1024, 784, false, false),
        plain("fc2 forward  H1 W2", 1000, 200, 1024, false, false),
        plain("fc3 forward  H2 W3", 1000, 100, 200, false, false),
        plain("fc4 forward  H3 W4", 1000, 10, 100, false, false),
        plain("fc1 weight grad  Xᵀ G1", 784, 1024, 1000, true, false),
        plain("fc2 input grad  G2 W2ᵀ", 1000, 1024, 200, false, true),
        Case {
            name: "fc1 jet, order 2 (5 products)",
            gemm: jet.gemm()?,
            products: 5,
            a_len: 3 * 1000 * 784,
            b_len: 3 * 784 * 1024,
            c_len: 3 * 1000 * 1024,
        },
        plain("square 4096", 4096, 4096, 4096, false, false),
    ])
}

/// Entry (i, j) of op(A) op(B) for a plain product, in f64.
fn reference<T: Real>(g: &Gemm, a: &[T], b: &[T], i: usize, j: usize) -> f64 {
    (0..g.k)
        .map(|l| {
            let av = if g.trans_a {
                a[l * g.lda + i]
            } else {
                a[i * g.lda + l]
            };
            let bv = if g.trans_b {
                b[j * g.ldb + l]
            } else {
                b[l * g.ldb + j]
            };
            av.into() * bv.into()
        })
        .sum()
}

fn run<T: Real>(backend: &CudaBackend, repeat: usize) -> Result<(), KernelError> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    println!("| product | m x n x k | ms | GFLOP/s | max rel. err (64 samples) |");
    println!("|---|---|---:|---:|---:|");
    for case in cases()? {
        let g = &case.gemm;
        let mut fill = |len: usize| -> Vec<T> {
            (0..len)
                .map(|_| T::from_f64(rng.random_range(-1.0..1.0)))
                .collect()
        };
        let (ha, hb) = (fill(case.a_len), fill(case.b_len));
        let a = backend.upload(&ha)?;
        let b = backend.upload(&hb)?;
        let mut c = backend.alloc_zeros::<T>(case.c_len)?;
        let (one, zero) = (T::from_f64(1.0), T::from_f64(0.0));
        gemm(backend, g, one, &a, &b, zero, &mut c)?;
        let err = if case.products == 1 {
            let hc = backend.download(&c)?;
            let mut worst = 0.0f64;
            for _ in 0..64 {
                let (i, j) = (rng.random_range(0..g.m), rng.random_range(0..g.n));
                let want = reference(g, &ha, &hb, i, j);
                let got: f64 = hc[i * g.ldc + j].into();
                worst = worst.max((got - want).abs() / want.abs().max(1.0));
            }
            format!("{worst:.1e}")
        } else {
            "(see tests)".into()
        };
        for _ in 0..3 {
            gemm(backend, g, one, &a, &b, zero, &mut c)?;
        }
        backend.synchronize()?;
        let start = Instant::now();
        for _ in 0..repeat {
            gemm(backend, g, one, &a, &b, zero, &mut c)?;
        }
        backend.synchronize()?;
        let secs = start.elapsed().as_secs_f64() / repeat as f64;
        let flops = 2.0 * (g.m * g.n * g.k * case.products) as f64;
        println!(
            "| {} | {} x {} x {} | {:.3} | {:.0} | {} |",
            case.name,
            g.m,
            g.n,
            g.k,
            secs * 1e3,
            flops / secs / 1e9,
            err
        );
    }
    Ok(())
}

/// Prints the cases, one per line, for scripts/gpu-check.sh.
fn list() -> ExitCode {
    match cases() {
        Ok(cases) => {
            for c in cases {
                let g = &c.gemm;
                println!(
                    "{}|{}|{}|{}|{}|{}|{}",
                    c.name,
                    g.m,
                    g.n,
                    g.k,
                    u8::from(g.trans_a),
                    u8::from(g.trans_b),
                    c.products
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("matmul_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repeat = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let f64_mode = args.iter().any(|a| a == "--f64");
    if args.iter().any(|a| a == "--list") {
        return list();
    }
    let backend = match CudaBackend::new(0) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("matmul_bench: no usable CUDA device: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{} — {}, mean of {repeat} launches after 3 warm-ups\n",
        backend.describe(),
        if f64_mode { "f64" } else { "f32" }
    );
    let result = if f64_mode {
        run::<f64>(&backend, repeat)
    } else {
        run::<f32>(&backend, repeat)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("matmul_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
