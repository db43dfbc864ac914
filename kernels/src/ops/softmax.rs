//! Log-softmax over the last axis of `[rows, cols]`, its jet and lifted reverse rule, and the
//! mean cross-entropy of integer labels with its gradient (`cu/log_softmax.cu`).

use super::{grid_stride, int, invalid, need, per_row, JetLayout};
use crate::backend::{Backend, KernelArgs, LaunchDims};
use crate::elem::Real;
use crate::entries;
use crate::error::KernelError;

/// Rows and columns of a log-softmax, with the jet layout of its `rows * cols` elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxDims {
    /// Rows (the batch).
    pub rows: usize,
    /// Columns (the classes), at least one.
    pub cols: usize,
    /// Elements between coefficient planes (at least `rows * cols`).
    pub stride: usize,
    /// Highest coefficient, at most 3.
    pub order: usize,
}

impl SoftmaxDims {
    /// Packed planes of a jet of order `order`.
    pub fn dense(rows: usize, cols: usize, order: usize) -> Self {
        Self {
            rows,
            cols,
            stride: rows * cols,
            order,
        }
    }

    fn layout(&self, op: &'static str) -> Result<JetLayout, KernelError> {
        if self.cols == 0 {
            return Err(invalid(op, "log-softmax needs at least one column".into()));
        }
        let layout = JetLayout {
            len: self.rows * self.cols,
            stride: self.stride,
            order: self.order,
        };
        layout.check(op)?;
        Ok(layout)
    }

    /// `rows, cols, stride, order` as kernel arguments.
    fn push(&self, op: &'static str, args: &mut KernelArgs<'_>) -> Result<(), KernelError> {
        args.int(int(op, self.rows)?)
            .int(int(op, self.cols)?)
            .int(int(op, self.stride)?)
            .int(int(op, self.order)?);
        Ok(())
    }
}

/// `y = log_softmax(z)` on jets (order 0 is the plain log-softmax).
pub fn log_softmax_jet<B: Backend, T: Real>(
    backend: &B,
    d: &SoftmaxDims,
    z: &B::Buffer<T>,
    y: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "log-softmax jet";
    let layout = d.layout(OP)?;
    need(OP, "z", z, layout.span())?;
    need(OP, "y", y, layout.span())?;
    let mut args = KernelArgs::new();
    args.input(z, 0).output(y, 0);
    d.push(OP, &mut args)?;
    // SAFETY: both buffers hold the layout's span; `(z, y, rows, cols, stride, order)`.
    unsafe { backend.launch(entries::LOG_SOFTMAX_JET.of::<T>(), per_row(d.rows), args) }
}

/// `dz = g - softmax(z) * rowsum(g)` lifted to jets, from the output jet `y` of
/// [`log_softmax_jet`] and the cotangent jet `g`.
pub fn log_softmax_jet_vjp<B: Backend, T: Real>(
    backend: &B,
    d: &SoftmaxDims,
    y: &B::Buffer<T>,
    g: &B::Buffer<T>,
    dz: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "log-softmax jet vjp";
    let layout = d.layout(OP)?;
    need(OP, "y", y, layout.span())?;
    need(OP, "g", g, layout.span())?;
    need(OP, "dz", dz, layout.span())?;
    let mut args = KernelArgs::new();
    args.input(y, 0).input(g, 0).output(dz, 0);
    d.push(OP, &mut args)?;
    // SAFETY: every buffer holds the layout's span; `(y, g, dz, rows, cols, stride, order)`.
    unsafe {
        backend.launch(
            entries::LOG_SOFTMAX_JET_VJP.of::<T>(),
            per_row(d.rows),
            args,
        )
    }
}

/// `loss[k] = -(1/rows) sum_r logp_k[r, labels[r]]` for every coefficient `k <= order` of the
/// log-probability jet `logp`, in f64; a label outside `0..cols` makes its coefficient NaN.
pub fn cross_entropy<B: Backend, T: Real>(
    backend: &B,
    d: &SoftmaxDims,
    logp: &B::Buffer<T>,
    labels: &B::Buffer<i64>,
    loss: &mut B::Buffer<f64>,
) -> Result<(), KernelError> {
    const OP: &str = "cross-entropy";
    let layout = d.layout(OP)?;
    need(OP, "logp", logp, layout.span())?;
    need(OP, "labels", labels, d.rows)?;
    need(OP, "loss", loss, d.order + 1)?;
    let mut args = KernelArgs::new();
    args.input(logp, 0).input(labels, 0).output(loss, 0);
    d.push(OP, &mut args)?;
    let one_block = LaunchDims {
        grid: [1, 1, 1],
        block: [super::THREADS, 1, 1],
    };
    // SAFETY: buffers checked; labels are bounds-checked in the kernel before use.
    unsafe { backend.launch(entries::CROSS_ENTROPY.of::<T>(), one_block, args) }
}

/// `dz = scale * (softmax(z) - onehot(labels))` from `logp = log_softmax(z)` (order 0): the
/// gradient of the mean cross-entropy for `scale = 1 / rows`. A row with a label outside
/// `0..cols` becomes NaN.
pub fn cross_entropy_grad<B: Backend, T: Real>(
    backend: &B,
    (rows, cols): (usize, usize),
    logp: &B::Buffer<T>,
    labels: &B::Buffer<i64>,
    scale: T,
    dz: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "cross-entropy grad";
    need(OP, "logp", logp, rows * cols)?;
    need(OP, "labels", labels, rows)?;
    need(OP, "dz", dz, rows * cols)?;
    let mut args = KernelArgs::new();
    args.input(logp, 0)
        .input(labels, 0)
        .output(dz, 0)
        .int(int(OP, rows)?)
        .int(int(OP, cols)?)
        .real(scale);
    // SAFETY: buffers checked; labels are bounds-checked in the kernel before use.
    unsafe {
        backend.launch(
            entries::CROSS_ENTROPY_GRAD.of::<T>(),
            grid_stride(rows * cols),
            args,
        )
    }
}
