//! Conversions between the engine's device vocabulary and the kernels': typed buffers out of type-erased ones,
//! activations, GEMM, convolution and log-softmax dimensions, indices, errors.

use jetnewton_engine::cpu::conv::ConvDims as EngineConvDims;
use jetnewton_engine::cpu::gemm::Layout;
use jetnewton_engine::device::{DeviceActivation, DeviceBuffer, DeviceResult, GemmCall, PackedJet};

use crate::backend::Backend;
use crate::elem::Real;
use crate::error::KernelError;
use crate::ops::conv::ConvDims;
use crate::ops::elementwise::Activation;
use crate::ops::matmul::Gemm;
use crate::ops::softmax::SoftmaxDims;

/// The backend's buffer of `T` inside `buffer`, or a message saying it is not one.
pub(super) fn typed<B: Backend, T: Real>(buffer: &DeviceBuffer) -> DeviceResult<&B::Buffer<T>>
where
    B::Buffer<T>: 'static,
{
    buffer.handle::<B::Buffer<T>>().ok_or_else(|| {
        format!(
            "a {:?} buffer that this device did not make",
            buffer.dtype()
        )
    })
}

/// The same, mutably.
pub(super) fn typed_mut<B: Backend, T: Real>(
    buffer: &mut DeviceBuffer,
) -> DeviceResult<&mut B::Buffer<T>>
where
    B::Buffer<T>: 'static,
{
    let dtype = buffer.dtype();
    buffer
        .handle_mut::<B::Buffer<T>>()
        .ok_or_else(|| format!("a {dtype:?} buffer that this device did not make"))
}

/// The kernels' activation for the engine's.
pub(super) fn activation(f: DeviceActivation) -> Activation {
    match f {
        DeviceActivation::Tanh => Activation::Tanh,
        DeviceActivation::Sigmoid => Activation::Sigmoid,
        DeviceActivation::Elu(alpha) => Activation::Elu { alpha },
        DeviceActivation::Relu => Activation::Relu,
        DeviceActivation::Exp => Activation::Exp,
    }
}

/// The kernels' GEMM description of an engine product.
pub(crate) fn gemm_of(call: &GemmCall) -> Gemm {
    let mut g = Gemm::new(call.m, call.n, call.k);
    if call.a == Layout::Transposed {
        g = g.trans_a();
    }
    if call.b == Layout::Transposed {
        g = g.trans_b();
    }
    g
}

/// The kernels' dimensions of an engine convolution.
pub(super) fn conv_dims(d: &EngineConvDims) -> DeviceResult<ConvDims> {
    ConvDims::new(
        [d.n, d.c, d.h, d.w],
        [d.o, d.c, d.kh, d.kw],
        (d.sh, d.sw),
        (d.ph, d.pw),
    )
    .map_err(message)
}

/// The kernels' log-softmax dimensions of a packed jet of rows of `cols` elements.
pub(super) fn softmax_dims(cols: usize, jet: PackedJet) -> DeviceResult<SoftmaxDims> {
    if cols == 0 || jet.len % cols != 0 {
        return Err(format!(
            "log-softmax over rows of {cols} of {} elements",
            jet.len
        ));
    }
    Ok(SoftmaxDims::dense(jet.len / cols, cols, jet.order))
}

/// Indices as the kernels' `long long`.
pub(super) fn as_i64(indices: &[usize]) -> DeviceResult<Vec<i64>> {
    indices
        .iter()
        .map(|&i| i64::try_from(i).map_err(|_| format!("index {i} does not fit in an i64")))
        .collect()
}

/// Runs `$body` with `$T` the element type of `$dtype`.
macro_rules! by_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::F32 => {
                type $T = f32;
                $body
            }
            DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

/// A kernel error as the device trait's message.
pub(super) fn message(e: KernelError) -> String {
    e.to_string()
}

pub(super) use by_dtype;
