//! 2-D convolution (NCHW input, `[O, C, kh, kw]` weight, stride, zero padding, no bias) and its two
//! adjoints, as im2col (`cu/conv.cu`) + the tiled GEMM, a run of samples at a time so that the
//! column matrix stays within [`ConvOptions::col_budget`]. The same three products as the CPU
//! engine (`engine/src/ops/conv`): `y = Conv(x, w)`, `x̄ = ConvIn(ȳ, w)`, `w̄ = ConvW(x, ȳ)`, so
//! the jet rules of the engine apply unchanged (each is bilinear: a jet product is a sum of these
//! with `accumulate`).

use super::matmul::{gemm, Gemm};
use super::{grid_stride, int, invalid, need};
use crate::backend::{Backend, KernelArgs, KernelRecord};
use crate::elem::Real;
use crate::entries;
use crate::error::KernelError;

/// Every size of one convolution, checked by [`ConvDims::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvDims {
    /// Batch size.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub o: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride `(vertical, horizontal)`.
    pub stride: (usize, usize),
    /// Zero padding `(vertical, horizontal)` on both sides.
    pub padding: (usize, usize),
    /// Output height.
    pub ho: usize,
    /// Output width.
    pub wo: usize,
}

impl ConvDims {
    /// The convolution of an `[n, c, h, w]` input with an `[o, c, kh, kw]` weight.
    pub fn new(
        [n, c, h, w]: [usize; 4],
        [o, c2, kh, kw]: [usize; 4],
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Result<Self, KernelError> {
        const OP: &str = "conv2d";
        if c != c2 {
            return Err(invalid(
                OP,
                format!("input has {c} channels, the weight {c2}"),
            ));
        }
        if stride.0 == 0 || stride.1 == 0 || kh == 0 || kw == 0 {
            return Err(invalid(
                OP,
                format!("stride {stride:?} and kernel {kh}x{kw} must be positive"),
            ));
        }
        let (hp, wp) = (h + 2 * padding.0, w + 2 * padding.1);
        if kh > hp || kw > wp {
            return Err(invalid(
                OP,
                format!("kernel {kh}x{kw} larger than the padded input {hp}x{wp}"),
            ));
        }
        Ok(Self {
            n,
            c,
            h,
            w,
            o,
            kh,
            kw,
            stride,
            padding,
            ho: (hp - kh) / stride.0 + 1,
            wo: (wp - kw) / stride.1 + 1,
        })
    }

    /// Rows of the column matrix, `c * kh * kw`.
    pub fn ckk(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Output pixels per channel, `ho * wo`.
    pub fn pixels(&self) -> usize {
        self.ho * self.wo
    }
    /// Elements of the input.
    pub fn in_len(&self) -> usize {
        self.n * self.c * self.h * self.w
    }
    /// Elements of the weight.
    pub fn weight_len(&self) -> usize {
        self.o * self.ckk()
    }
    /// Elements of the output.
    pub fn out_len(&self) -> usize {
        self.n * self.o * self.pixels()
    }

    /// The kernel's `ConvArgs` for a run of `samples` samples.
    fn record(&self, samples: usize) -> Result<ConvArgs, KernelError> {
        let i = |v: usize| int("conv2d", v);
        Ok(ConvArgs {
            n: i(samples)?,
            c: i(self.c)?,
            h: i(self.h)?,
            w: i(self.w)?,
            o: i(self.o)?,
            kh: i(self.kh)?,
            kw: i(self.kw)?,
            sh: i(self.stride.0)?,
            sw: i(self.stride.1)?,
            ph: i(self.padding.0)?,
            pw: i(self.padding.1)?,
            ho: i(self.ho)?,
            wo: i(self.wo)?,
        })
    }

    /// Samples per run and the number of runs, for a column matrix of at most `budget` elements
    /// (one sample per run at least).
    fn runs(&self, budget: usize) -> (usize, usize) {
        let per_sample = (self.ckk() * self.pixels()).max(1);
        let size = (budget / per_sample).clamp(1, self.n.max(1));
        (size, self.n.div_ceil(size))
    }
}

/// The kernel's `ConvArgs`, field for field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
struct ConvArgs {
    n: i64,
    c: i64,
    h: i64,
    w: i64,
    o: i64,
    kh: i64,
    kw: i64,
    sh: i64,
    sw: i64,
    ph: i64,
    pw: i64,
    ho: i64,
    wo: i64,
}
// SAFETY: repr(C), i64 fields only, mirrors `struct ConvArgs` in cu/conv.cu.
unsafe impl KernelRecord for ConvArgs {}

/// Tuning of the convolution wrappers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvOptions {
    /// Most elements of the scratch column matrix: samples are processed in runs that fit.
    pub col_budget: usize,
}

impl Default for ConvOptions {
    fn default() -> Self {
        // 32 Mi elements: 128 MiB in f32, a whole VGG batch of 128 on 32x32 in a few runs.
        Self {
            col_budget: 1 << 25,
        }
    }
}

/// `col = im2col(x[s0 .. s0 + samples])`.
fn im2col<B: Backend, T: Real>(
    backend: &B,
    d: &ConvDims,
    x: &B::Buffer<T>,
    s0: usize,
    samples: usize,
    col: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    let mut args = KernelArgs::new();
    args.record(&d.record(samples)?)
        .input(x, s0 * d.c * d.h * d.w)
        .output(col, 0);
    let total = d.ckk() * samples * d.pixels();
    // SAFETY: the caller checked x; col holds ckk x (samples * pixels) elements (allocated so).
    unsafe { backend.launch(entries::IM2COL.of::<T>(), grid_stride(total), args) }
}

/// `y (+)= Conv(x, w)`: `x` is `[n, c, h, w]`, `w` `[o, c, kh, kw]`, `y` `[n, o, ho, wo]`.
pub fn conv2d<B: Backend, T: Real>(
    backend: &B,
    d: &ConvDims,
    x: &B::Buffer<T>,
    w: &B::Buffer<T>,
    y: &mut B::Buffer<T>,
    accumulate: bool,
    opts: ConvOptions,
) -> Result<(), KernelError> {
    const OP: &str = "conv2d";
    need(OP, "x", x, d.in_len())?;
    need(OP, "w", w, d.weight_len())?;
    need(OP, "y", y, d.out_len())?;
    if d.out_len() == 0 {
        return Ok(());
    }
    let (size, runs) = d.runs(opts.col_budget);
    let (p, ckk) = (d.pixels(), d.ckk());
    let mut col = backend.alloc_zeros::<T>(ckk * size * p)?;
    let beta = T::from_f64(if accumulate { 1.0 } else { 0.0 });
    for run in 0..runs {
        let s0 = run * size;
        let samples = size.min(d.n - s0);
        im2col(backend, d, x, s0, samples, &mut col)?;
        // Per sample: y_s [o, p] = W [o, ckk] · col_s [ckk, p], col_s being p columns of col.
        let mut g = Gemm::new(d.o, p, ckk).batched(samples, 0, p as isize, (d.o * p) as isize);
        g.ldb = samples * p;
        g.offset_c = s0 * d.o * p;
        gemm(backend, &g, T::from_f64(1.0), w, &col, beta, y)?;
    }
    Ok(())
}

/// `x (+)= ConvIn(g, w)`, the adjoint of [`conv2d`] in its input: `g` is `[n, o, ho, wo]`.
pub fn conv2d_input_grad<B: Backend, T: Real>(
    backend: &B,
    d: &ConvDims,
    g: &B::Buffer<T>,
    w: &B::Buffer<T>,
    x: &mut B::Buffer<T>,
    accumulate: bool,
    opts: ConvOptions,
) -> Result<(), KernelError> {
    const OP: &str = "conv2d input grad";
    need(OP, "g", g, d.out_len())?;
    need(OP, "w", w, d.weight_len())?;
    need(OP, "x", x, d.in_len())?;
    if d.in_len() == 0 {
        return Ok(());
    }
    let (size, runs) = d.runs(opts.col_budget);
    let (p, ckk) = (d.pixels(), d.ckk());
    let mut col = backend.alloc_zeros::<T>(ckk * size * p)?;
    for run in 0..runs {
        let s0 = run * size;
        let samples = size.min(d.n - s0);
        // Per sample: col_s [ckk, p] = Wᵀ [ckk, o] · g_s [o, p].
        let mut gm =
            Gemm::new(ckk, p, d.o)
                .trans_a()
                .batched(samples, 0, (d.o * p) as isize, p as isize);
        gm.offset_b = s0 * d.o * p;
        gm.ldc = samples * p;
        gemm(
            backend,
            &gm,
            T::from_f64(1.0),
            w,
            g,
            T::from_f64(0.0),
            &mut col,
        )?;
        let mut args = KernelArgs::new();
        args.record(&d.record(samples)?)
            .input(&col, 0)
            .output(x, s0 * d.c * d.h * d.w)
            .int(i64::from(accumulate));
        let total = samples * d.c * d.h * d.w;
        // SAFETY: col holds this run's columns; x was checked for all n samples.
        unsafe { backend.launch(entries::COL2IM.of::<T>(), grid_stride(total), args)? };
    }
    Ok(())
}

/// `wbar (+)= ConvW(x, g)`, the adjoint of [`conv2d`] in its weight: `wbar` is `[o, c, kh, kw]`.
pub fn conv2d_weight_grad<B: Backend, T: Real>(
    backend: &B,
    d: &ConvDims,
    x: &B::Buffer<T>,
    g: &B::Buffer<T>,
    wbar: &mut B::Buffer<T>,
    accumulate: bool,
    opts: ConvOptions,
) -> Result<(), KernelError> {
    const OP: &str = "conv2d weight grad";
    need(OP, "x", x, d.in_len())?;
    need(OP, "g", g, d.out_len())?;
    need(OP, "wbar", wbar, d.weight_len())?;
    if d.weight_len() == 0 {
        return Ok(());
    }
    let (size, runs) = d.runs(opts.col_budget);
    let (p, ckk) = (d.pixels(), d.ckk());
    let mut col = backend.alloc_zeros::<T>(ckk * size * p)?;
    for run in 0..runs.max(1) {
        let s0 = run * size;
        let samples = size.min(d.n.saturating_sub(s0));
        if samples > 0 {
            im2col(backend, d, x, s0, samples, &mut col)?;
        }
        // wbar [o, ckk] (+)= sum_s g_s [o, p] · col_sᵀ [p, ckk]; the first run overwrites
        // unless accumulating (and with no sample at all, that writes zeros).
        let mut gm =
            Gemm::new(d.o, ckk, p)
                .trans_b()
                .summed(samples, (d.o * p) as isize, p as isize);
        gm.offset_a = s0 * d.o * p;
        gm.ldb = (samples * p).max(p);
        let beta = T::from_f64(if accumulate || run > 0 { 1.0 } else { 0.0 });
        gemm(backend, &gm, T::from_f64(1.0), g, &col, beta, wbar)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_follow_pytorch() {
        let d = ConvDims::new([2, 3, 7, 5], [4, 3, 3, 2], (2, 1), (1, 0)).expect("fits");
        assert_eq!((d.ho, d.wo), (4, 4));
        assert!(ConvDims::new([1, 3, 2, 2], [1, 2, 1, 1], (1, 1), (0, 0)).is_err());
        assert!(ConvDims::new([1, 1, 2, 2], [1, 1, 3, 3], (1, 1), (0, 0)).is_err());
    }

    #[test]
    fn runs_fit_the_budget() {
        let d = ConvDims::new([10, 2, 4, 4], [3, 2, 3, 3], (1, 1), (1, 1)).expect("fits");
        // 18 rows x 16 pixels = 288 elements per sample.
        assert_eq!(d.runs(1000), (3, 4));
        assert_eq!(d.runs(1), (1, 10));
        assert_eq!(d.runs(usize::MAX), (10, 1));
    }
}
