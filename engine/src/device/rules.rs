//! The building blocks of the ops' device rules: where an op runs, fresh resident results, and the arithmetic
//! every rule shares (linear combinations, products, GEMM, packed jets), each turning a device's message into an
//! [`EngineError::Device`] that names the op.
//!
//! An op runs on the device of its first input when that input is resident ([`device_of`]); other inputs are
//! brought there ([`on`]: free when they already are, an upload otherwise).

use std::sync::Arc;

use super::compute::{
    ComputeDevice, ConvProduct, DeviceActivation, DeviceBuffer, DeviceResult, MidDims, PackedJet,
};
use super::GemmCall;
use crate::cpu::conv::ConvDims;
use crate::error::{EngineError, Result};
use crate::float::Float;
use crate::jet::Jet;
use crate::tensor::{numel, Tensor};

/// The device an op on this one input runs on: the input's, if resident.
pub(crate) fn device_of<F: Float>(first: &Tensor<F>) -> Option<Arc<dyn ComputeDevice>> {
    first.device().cloned()
}

/// The device an op with these inputs runs on: the first resident input's (the others are brought there), so
/// that a host batch meeting resident parameters is uploaded once rather than the parameters downloaded.
pub(crate) fn device_of_any<F: Float>(inputs: &[&Tensor<F>]) -> Option<Arc<dyn ComputeDevice>> {
    inputs.iter().find_map(|t| t.device()).cloned()
}

/// Turns a device's message into an error naming `op`.
fn failed(device: &Arc<dyn ComputeDevice>, op: &str) -> impl FnOnce(String) -> EngineError {
    let device = device.describe();
    let op = op.to_string();
    move |message| EngineError::Device {
        device,
        message: format!("{op}: {message}"),
    }
}

/// `t` resident on `device` (uploaded if it is not).
pub(crate) fn on<F: Float>(t: &Tensor<F>, device: &Arc<dyn ComputeDevice>) -> Result<Tensor<F>> {
    t.to_device(device)
}

/// The buffer of a tensor known to be resident (callers pass results of [`on`]).
fn buffer<'t, F: Float>(t: &'t Tensor<F>, op: &'static str) -> Result<&'t DeviceBuffer> {
    t.device_buffer().ok_or_else(|| EngineError::Device {
        device: "host".into(),
        message: format!("{op}: an operand expected on the device is in host memory"),
    })
}

/// A resident tensor of zeros.
pub(crate) fn zeros<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    shape: &[usize],
    op: &'static str,
) -> Result<Tensor<F>> {
    let buffer = device
        .zeros(F::DTYPE, numel(shape))
        .map_err(failed(device, op))?;
    Ok(Tensor::from_device(shape.to_vec(), device.clone(), buffer))
}

/// The buffer of `acc` for writing in place: its own when unshared, else a fresh copy that replaces it.
fn writable<'t, F: Float>(
    device: &Arc<dyn ComputeDevice>,
    acc: &'t mut Tensor<F>,
    op: &'static str,
) -> Result<&'t mut DeviceBuffer> {
    if acc.unique_device_buffer().is_none() {
        let src = on(acc, device)?;
        let mut copy = zeros::<F>(device, src.shape(), op)?;
        let n = src.numel();
        let dst = copy
            .unique_device_buffer()
            .expect("a fresh buffer is unshared");
        device
            .axpby(n, 1.0, (buffer(&src, op)?, 0), 0.0, (dst, 0))
            .map_err(failed(device, op))?;
        *acc = copy;
    }
    Ok(acc.unique_device_buffer().expect("made unshared above"))
}

/// `acc = alpha·x + beta·acc` on `device` (`acc` moves there if it is not).
pub(crate) fn axpby_resident<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    acc: &mut Tensor<F>,
    alpha: F,
    x: &Tensor<F>,
    beta: F,
) -> Result<()> {
    const OP: &str = "axpby";
    let x = on(x, device)?;
    let n = x.numel();
    let (alpha, beta) = (alpha.to_f64_lossless(), beta.to_f64_lossless());
    let dst = writable(device, acc, OP)?;
    device
        .axpby(n, alpha, (buffer(&x, OP)?, 0), beta, (dst, 0))
        .map_err(failed(device, OP))
}

/// `Σ aᵢ xᵢ` over tensors of one shape, resident on `device`.
pub(crate) fn combination<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    terms: &[(f64, &Tensor<F>)],
    op: &'static str,
) -> Result<Tensor<F>> {
    let shape = terms[0].1.shape();
    let mut out = zeros::<F>(device, shape, op)?;
    for &(a, x) in terms {
        x.check_same_shape(terms[0].1, op)?;
        let x = on(x, device)?;
        let dst = out
            .unique_device_buffer()
            .expect("a fresh buffer is unshared");
        device
            .axpby(x.numel(), a, (buffer(&x, op)?, 0), 1.0, (dst, 0))
            .map_err(failed(device, op))?;
    }
    Ok(out)
}

/// `acc (+)= a ⊙ b` on the device: into a fresh result when there is no accumulator.
pub(crate) fn mul_resident<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    a: &Tensor<F>,
    b: &Tensor<F>,
    acc: Option<&mut Tensor<F>>,
) -> Result<Option<Tensor<F>>> {
    const OP: &str = "mul";
    a.check_same_shape(b, OP)?;
    let (a, b) = (on(a, device)?, on(b, device)?);
    let (ab, bb, n) = (buffer(&a, OP)?, buffer(&b, OP)?, a.numel());
    product_on(device, OP, a.shape(), acc, |dst, accumulate| {
        device.mul(n, ab, bb, dst, accumulate)
    })
}

/// `acc (+)= op(a)·op(b)` as `call` on the device: into a fresh `m×n` result when there is no accumulator.
pub(crate) fn gemm_resident<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    call: GemmCall,
    a: &Tensor<F>,
    b: &Tensor<F>,
    acc: Option<&mut Tensor<F>>,
) -> Result<Option<Tensor<F>>> {
    const OP: &str = "matmul";
    let (a, b) = (on(a, device)?, on(b, device)?);
    let (ab, bb) = (buffer(&a, OP)?, buffer(&b, OP)?);
    product_on(device, OP, &[call.m, call.n], acc, |dst, accumulate| {
        device.gemm(&GemmCall { accumulate, ..call }, ab, bb, dst)
    })
}

/// `acc (+)= product` for a product of `out_shape` computed by `run(out, accumulate)` on the device: into a fresh
/// result when there is no accumulator. The shared tail of every bilinear op's device rule.
pub(crate) fn product_on<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    op: &'static str,
    out_shape: &[usize],
    acc: Option<&mut Tensor<F>>,
    run: impl FnOnce(&mut DeviceBuffer, bool) -> DeviceResult<()>,
) -> Result<Option<Tensor<F>>> {
    match acc {
        Some(acc) => {
            if acc.shape() != out_shape {
                return Err(EngineError::ShapeMismatch {
                    op,
                    lhs: acc.shape().to_vec(),
                    rhs: out_shape.to_vec(),
                });
            }
            run(writable(device, acc, op)?, true).map_err(failed(device, op))?;
            Ok(None)
        }
        None => {
            let mut out = zeros::<F>(device, out_shape, op)?;
            run(out.unique_device_buffer().expect("fresh"), false).map_err(failed(device, op))?;
            Ok(Some(out))
        }
    }
}

/// `acc (+)=` one product of a convolution (see [`ConvProduct`]) of `a` and `b`, on the device.
pub(crate) fn conv_resident<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    product: ConvProduct,
    dims: &ConvDims,
    (a, b): (&Tensor<F>, &Tensor<F>),
    out_shape: &[usize],
    acc: Option<&mut Tensor<F>>,
) -> Result<Option<Tensor<F>>> {
    const OP: &str = "conv2d";
    let (a, b) = (on(a, device)?, on(b, device)?);
    let (ab, bb) = (buffer(&a, OP)?, buffer(&b, OP)?);
    product_on(device, OP, out_shape, acc, |out, accumulate| {
        device.conv(product, dims, ab, bb, out, accumulate)
    })
}

/// `x` broadcast over the outer and inner axes of `dims` (`Some(big)`), or summed down to `[mid]` (`None`), on
/// the device.
pub(crate) fn mid_resident<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    dims: MidDims,
    x: &Tensor<F>,
    out_shape: &[usize],
    broadcast: bool,
) -> Result<Tensor<F>> {
    let op = if broadcast { "broadcast" } else { "sum_to" };
    map_resident(device, op, x, out_shape, |xb, out| {
        if broadcast {
            device.broadcast(dims, xb, out)
        } else {
            device.sum_to(dims, xb, out)
        }
    })
}

/// A linear map of `x` into a fresh resident tensor of `out_shape`, computed by `run(x, out)` on the device.
pub(crate) fn map_resident<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    op: &'static str,
    x: &Tensor<F>,
    out_shape: &[usize],
    run: impl FnOnce(&DeviceBuffer, &mut DeviceBuffer) -> DeviceResult<()>,
) -> Result<Tensor<F>> {
    let x = on(x, device)?;
    let xb = buffer(&x, op)?;
    let out = product_on(device, op, out_shape, None, |out, _| run(xb, out))?;
    Ok(out.expect("a fresh result"))
}

/// Coefficients `0..=order` of a jet packed into one resident buffer, planes `len` apart (zero tags as zeros).
fn pack<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    coeffs: &[Option<&Tensor<F>>],
    len: usize,
    op: &'static str,
) -> Result<Tensor<F>> {
    let mut packed = zeros::<F>(device, &[coeffs.len() * len], op)?;
    for (k, c) in coeffs.iter().enumerate() {
        if let Some(c) = c {
            let c = on(c, device)?;
            let dst = packed.unique_device_buffer().expect("fresh");
            device
                .axpby(len, 1.0, (buffer(&c, op)?, 0), 0.0, (dst, k * len))
                .map_err(failed(device, op))?;
        }
    }
    Ok(packed)
}

/// Plane `k` of a packed jet as a resident tensor of `shape`.
fn plane<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    packed: &Tensor<F>,
    k: usize,
    shape: &[usize],
    op: &'static str,
) -> Result<Tensor<F>> {
    let len = numel(shape);
    let mut out = zeros::<F>(device, shape, op)?;
    let dst = out.unique_device_buffer().expect("fresh");
    device
        .axpby(len, 1.0, (buffer(packed, op)?, k * len), 0.0, (dst, 0))
        .map_err(failed(device, op))?;
    Ok(out)
}

/// A kernel on packed jets: `jets` (each coefficients `0..=order`, zero tags allowed) are packed into one buffer
/// each, `run(layout, inputs, out)` writes the packed result, and its planes come back as resident tensors of
/// `shape`, coefficients `0..=order` (an order-0 result is the output buffer itself, not a copy).
pub(crate) fn packed<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    op: &'static str,
    jets: &[&[Option<&Tensor<F>>]],
    shape: &[usize],
    run: impl FnOnce(PackedJet, &[&DeviceBuffer], &mut DeviceBuffer) -> DeviceResult<()>,
) -> Result<Vec<Tensor<F>>> {
    let jet = PackedJet {
        len: numel(shape),
        order: jets[0].len() - 1,
    };
    let inputs = jets
        .iter()
        .map(|j| match j {
            [Some(only)] => on(only, device),
            _ => pack(device, j, jet.len, op),
        })
        .collect::<Result<Vec<_>>>()?;
    let buffers = inputs
        .iter()
        .map(|t| buffer(t, op))
        .collect::<Result<Vec<_>>>()?;
    let mut out = zeros::<F>(device, &[jet.span()], op)?;
    run(jet, &buffers, out.unique_device_buffer().expect("fresh")).map_err(failed(device, op))?;
    if jet.order == 0 {
        return Ok(vec![out.reshape(shape)?]);
    }
    (0..=jet.order)
        .map(|k| plane(device, &out, k, shape, op))
        .collect()
}

/// `y = f(x)` on jets (coefficients `0..=order`): coefficients `1..=order` of `y`, each resident.
pub(crate) fn activation_jet<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    f: DeviceActivation,
    x: &[Option<&Tensor<F>>],
    shape: &[usize],
) -> Result<Vec<Tensor<F>>> {
    let planes = packed(device, "activation jet", &[x], shape, |jet, ins, out| {
        device.activation_jet(f, jet, ins[0], out)
    })?;
    Ok(planes.into_iter().skip(1).collect())
}

/// `dx = g · f'(x)` on jets: coefficients `1..=order` of `dx`, each resident.
pub(crate) fn activation_jet_vjp<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    f: DeviceActivation,
    x: &[Option<&Tensor<F>>],
    g: &[Option<&Tensor<F>>],
    shape: &[usize],
) -> Result<Vec<Tensor<F>>> {
    let planes = packed(
        device,
        "activation jet vjp",
        &[x, g],
        shape,
        |jet, ins, out| device.activation_jet_vjp(f, jet, ins[0], ins[1], out),
    )?;
    Ok(planes.into_iter().skip(1).collect())
}

/// `f(x)` for one resident tensor: the order-0 case of [`activation_jet`].
pub(crate) fn activation<F: Float>(
    device: &Arc<dyn ComputeDevice>,
    f: DeviceActivation,
    x: &Tensor<F>,
) -> Result<Tensor<F>> {
    let mut planes = packed(
        device,
        "activation",
        &[&[Some(x)]],
        x.shape(),
        |jet, ins, out| device.activation_jet(f, jet, ins[0], out),
    )?;
    Ok(planes.swap_remove(0))
}

/// `<x, y>` in `f64` on the device of `x`.
pub(crate) fn dot<F: Float>(x: &Tensor<F>, y: &Tensor<F>) -> Result<f64> {
    const OP: &str = "dot";
    let device = device_of(x).expect("called for resident tensors");
    let y = on(y, &device)?;
    device
        .dot(x.numel(), buffer(x, OP)?, buffer(&y, OP)?)
        .map_err(failed(&device, OP))
}

/// `out`, moved to the device of the first resident tensor among `inputs` when it is in host memory: an op
/// without a device rule hands its result back (one counted upload), so that the ops after it stay resident.
pub(crate) fn follow<F: Float>(inputs: &[&Tensor<F>], out: Tensor<F>) -> Result<Tensor<F>> {
    if out.device().is_some() {
        return Ok(out);
    }
    match inputs.iter().find_map(|t| t.device()) {
        Some(device) => out.to_device(&device.clone()),
        None => Ok(out),
    }
}

/// Every coefficient of `jet` on `device` (when there is one): [`follow`] for the jets of ops without device
/// rules.
pub(crate) fn follow_jet<F: Float>(
    device: Option<&Arc<dyn ComputeDevice>>,
    mut jet: Jet<F>,
) -> Result<Jet<F>> {
    if let Some(device) = device {
        for c in jet.coeffs.iter_mut().flatten() {
            if c.device().is_none() {
                *c = c.to_device(device)?;
            }
        }
    }
    Ok(jet)
}
