//! Checks shared by the host tests (`tests/host.rs`) and the GPU tests (`tests/gpu.rs`): each
//! family's `check` runs every wrapper of that family on a backend, in f32 and f64, against an
//! independent oracle written here in plain Rust (and, in f64, against the CPU engine).

pub mod contract;
pub mod conv;
pub mod elementwise;
pub mod matmul;
pub mod mlp;
pub mod pool;
pub mod series;
pub mod softmax;

use jetnewton_kernels::{Backend, Real};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded generator, so every failure replays.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `len` values uniform in `[lo, hi)`.
pub fn uniform(rng: &mut ChaCha8Rng, len: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..len).map(|_| rng.random_range(lo..hi)).collect()
}

/// Rounds to `T`.
pub fn cast<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// Back to f64.
pub fn widen<T: Real>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| x.into()).collect()
}

/// Relative tolerance of one elementary operation in `T`, with room for a few dozen roundings.
pub fn eps<T: Real>() -> f64 {
    match T::DTYPE {
        jetnewton_kernels::DType::F32 => 2e-6,
        jetnewton_kernels::DType::F64 => 1e-14,
    }
}

/// Asserts `|got - want| <= tol * (1 + scale)` element by element, naming the first failure.
/// `scale[i]` is the magnitude the error is relative to (e.g. the sum of |terms| of a dot product).
pub fn assert_close(what: &str, got: &[f64], want: &[f64], scale: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, ((g, w), s)) in got.iter().zip(want).zip(scale).enumerate() {
        let bound = tol * (1.0 + s.abs());
        assert!(
            (g - w).abs() <= bound || (g.is_nan() && w.is_nan()),
            "{what}: element {i}: got {g}, want {w} (|diff| {} > {bound})",
            (g - w).abs()
        );
    }
}

/// Uploads `host` rounded to `T`.
pub fn upload<B: Backend, T: Real>(b: &B, host: &[f64]) -> B::Buffer<T> {
    b.upload(&cast::<T>(host)).expect("upload")
}

/// Downloads to f64.
pub fn download<B: Backend, T: Real>(b: &B, buf: &B::Buffer<T>) -> Vec<f64> {
    widen(&b.download(buf).expect("download"))
}
