//! Many dot products at once (`cu/contract.cu`): the contractions `<a_t, b_t>` that make the
//! summaries gbar, hbar and d3, accumulated in f64 in a fixed order.

use super::{int, invalid, need, MAX_GRID_YZ, THREADS};
use crate::backend::{Backend, KernelArgs, LaunchDims};
use crate::elem::Real;
use crate::entries;
use crate::error::KernelError;

/// Most blocks one dot product is split over (their partial sums are added by a second pass).
const MAX_SPLIT: usize = 256;
/// Elements each thread handles at least before a dot product is split over more blocks.
const PER_THREAD: usize = 8;

/// `pairs` dot products of `n` elements: `a_t` starts `t * stride_a` into `a`, `b_t` likewise;
/// a stride of 0 dots the same vector with every partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dots {
    /// Elements per product.
    pub n: usize,
    /// Number of products (at most 65 535 per launch).
    pub pairs: usize,
    /// Offset between the `a_t`.
    pub stride_a: usize,
    /// Offset between the `b_t`.
    pub stride_b: usize,
}

impl Dots {
    /// Blocks per product: enough to fill a GPU for long vectors, one for short ones.
    fn split(&self) -> usize {
        self.n
            .div_ceil(THREADS as usize * PER_THREAD)
            .clamp(1, MAX_SPLIT)
    }
}

/// `out[t] = <a_t, b_t>` for every pair, in f64.
pub fn dots<B: Backend, T: Real>(
    backend: &B,
    d: &Dots,
    a: &B::Buffer<T>,
    b: &B::Buffer<T>,
    out: &mut B::Buffer<f64>,
) -> Result<(), KernelError> {
    dots_at(backend, d, a, b, out, 0)
}

/// `out[at + t] = <a_t, b_t>` for every pair, in f64: many contractions gathered in one buffer, read back at once.
pub fn dots_at<B: Backend, T: Real>(
    backend: &B,
    d: &Dots,
    a: &B::Buffer<T>,
    b: &B::Buffer<T>,
    out: &mut B::Buffer<f64>,
    at: usize,
) -> Result<(), KernelError> {
    const OP: &str = "dots";
    if d.pairs == 0 {
        return Ok(());
    }
    if d.pairs > MAX_GRID_YZ {
        return Err(invalid(
            OP,
            format!("{} pairs exceed {MAX_GRID_YZ} per launch", d.pairs),
        ));
    }
    need(OP, "a", a, (d.pairs - 1) * d.stride_a + d.n)?;
    need(OP, "b", b, (d.pairs - 1) * d.stride_b + d.n)?;
    need(OP, "out", out, at + d.pairs)?;
    let split = d.split();
    let mut partial = backend.alloc_zeros::<f64>(split * d.pairs)?;
    let mut args = KernelArgs::new();
    args.input(a, 0)
        .input(b, 0)
        .output(&mut partial, 0)
        .int(int(OP, d.n)?)
        .int(int(OP, d.stride_a)?)
        .int(int(OP, d.stride_b)?);
    let dims = LaunchDims {
        grid: [split as u32, d.pairs as u32, 1],
        block: [THREADS, 1, 1],
    };
    // SAFETY: a and b hold every pair's span, partial holds split x pairs sums.
    unsafe { backend.launch(entries::DOT_PARTIALS.of::<T>(), dims, args)? };
    let mut args = KernelArgs::new();
    args.input(&partial, 0)
        .output(out, at)
        .int(int(OP, d.pairs)?)
        .int(int(OP, split)?);
    // SAFETY: partial is pairs x split, out holds pairs values.
    unsafe { backend.launch(entries::SUM_ROWS_F64, super::per_row(d.pairs), args) }
}

/// [`dots`], returned to the host.
pub fn dots_to_host<B: Backend, T: Real>(
    backend: &B,
    d: &Dots,
    a: &B::Buffer<T>,
    b: &B::Buffer<T>,
) -> Result<Vec<f64>, KernelError> {
    let mut out = backend.alloc_zeros::<f64>(d.pairs)?;
    dots(backend, d, a, b, &mut out)?;
    let mut host = backend.download(&out)?;
    host.truncate(d.pairs);
    Ok(host)
}
