//! Jets of the activations, forward and lifted reverse rule (`cu/elementwise_jet.cu`).

use super::{grid_stride, int, need, JetLayout};
use crate::backend::{Backend, KernelArgs};
use crate::elem::Real;
use crate::entries::{self, Pair};
use crate::error::KernelError;

/// An activation with jet kernels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// ELU with the given `alpha`: `x` for `x > 0`, `alpha (e^x - 1)` otherwise.
    Elu {
        /// Scale of the negative branch.
        alpha: f64,
    },
    /// `max(x, 0)`, with derivative 0 at 0.
    Relu,
    /// `e^x` (not a layer's activation: the reverse rule of log-softmax needs it).
    Exp,
}

impl Activation {
    /// The forward and reverse entry points, and the `alpha` argument (read by ELU only).
    fn entries(self) -> (Pair, Pair, f64) {
        match self {
            Self::Tanh => (entries::TANH_JET, entries::TANH_JET_VJP, 0.0),
            Self::Sigmoid => (entries::SIGMOID_JET, entries::SIGMOID_JET_VJP, 0.0),
            Self::Elu { alpha } => (entries::ELU_JET, entries::ELU_JET_VJP, alpha),
            Self::Relu => (entries::RELU_JET, entries::RELU_JET_VJP, 0.0),
            Self::Exp => (entries::EXP_JET, entries::EXP_JET_VJP, 0.0),
        }
    }
}

/// `y = f(x)` on jets laid out as `layout` (order <= 3): every coefficient of `y` is written.
pub fn activation_jet<B: Backend, T: Real>(
    backend: &B,
    f: Activation,
    layout: JetLayout,
    x: &B::Buffer<T>,
    y: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "activation jet";
    layout.check(OP)?;
    need(OP, "x", x, layout.span())?;
    need(OP, "y", y, layout.span())?;
    let (forward, _, alpha) = f.entries();
    let mut args = KernelArgs::new();
    args.input(x, 0)
        .output(y, 0)
        .int(int(OP, layout.len)?)
        .int(int(OP, layout.stride)?)
        .int(int(OP, layout.order)?)
        .real(T::from_f64(alpha));
    // SAFETY: the arguments follow `<fn>_jet(x, y, n, stride, order, alpha)`; both buffers
    // hold the layout's span.
    unsafe { backend.launch(forward.of::<T>(), grid_stride(layout.len), args) }
}

/// `dx = g * f'(x)` on jets (the reverse rule lifted to jets): `x` is the input jet, `g` the
/// cotangent jet of the output; every coefficient of `dx` is written.
pub fn activation_jet_vjp<B: Backend, T: Real>(
    backend: &B,
    f: Activation,
    layout: JetLayout,
    x: &B::Buffer<T>,
    g: &B::Buffer<T>,
    dx: &mut B::Buffer<T>,
) -> Result<(), KernelError> {
    const OP: &str = "activation jet vjp";
    layout.check(OP)?;
    need(OP, "x", x, layout.span())?;
    need(OP, "g", g, layout.span())?;
    need(OP, "dx", dx, layout.span())?;
    let (_, reverse, alpha) = f.entries();
    let mut args = KernelArgs::new();
    args.input(x, 0)
        .input(g, 0)
        .output(dx, 0)
        .int(int(OP, layout.len)?)
        .int(int(OP, layout.stride)?)
        .int(int(OP, layout.order)?)
        .real(T::from_f64(alpha));
    // SAFETY: the arguments follow `<fn>_jet_vjp(x, g, dx, n, stride, order, alpha)`; every
    // buffer holds the layout's span.
    unsafe { backend.launch(reverse.of::<T>(), grid_stride(layout.len), args) }
}
