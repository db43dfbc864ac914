//! MLP summaries resident on a kernel backend: a [`Workload`] of a multilayer perceptron turned into the
//! [`MlpProblem`] of `jetnewton_kernels::mlp`, so that on a GPU the whole jet pass (not only its products) runs
//! on the device. Other models return `None` and keep the engine's path.
//!
//! [`on_kernels`] finds which kernels device an engine device is (the GPU or, with the `host-kernels` feature,
//! its emulation on the host), so that the CLI and the oracle share one resident path for both.

use jetnewton_engine::device::MatmulDevice;
use jetnewton_engine::Float;
use jetnewton_kernels::mlp::{DenseLayer, MlpJets, MlpParam, MlpProblem};
use jetnewton_kernels::ops::elementwise::Activation as KernelActivation;
#[cfg(feature = "host-kernels")]
use jetnewton_kernels::HostBackend;
use jetnewton_kernels::{Backend, CudaBackend, KernelError, KernelMatmul, Real};
use jetnewton_nets::{Activation, Layer, Model, NetsError, ParamKind, ParamSpec, Params};

use crate::workload::Workload;

/// Why a resident computation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ResidentError {
    /// The workload's partition or direction.
    #[error("{0}")]
    Nets(#[from] NetsError),
    /// The backend or the problem's shapes.
    #[error("{0}")]
    Kernel(#[from] KernelError),
}

/// Work to run on a kernels device, whichever backend it has: a closure cannot be generic over the backend, a
/// trait's method can.
pub trait OnKernels {
    /// What the work gives.
    type Output;
    /// Runs the work on `device`.
    fn run<B: Backend + Send + 'static>(self, device: &KernelMatmul<B>) -> Self::Output;
}

/// Runs `work` on `device` when it is a kernels device of this build (`cuda`, or `emulated` with the
/// `host-kernels` feature); `None` for any other device.
pub fn on_kernels<W: OnKernels>(device: &dyn MatmulDevice, work: W) -> Option<W::Output> {
    let any = device.as_any();
    if let Some(gpu) = any.downcast_ref::<KernelMatmul<CudaBackend>>() {
        return Some(work.run(gpu));
    }
    #[cfg(feature = "host-kernels")]
    if let Some(host) = any.downcast_ref::<KernelMatmul<HostBackend>>() {
        return Some(work.run(host));
    }
    None
}

/// The widths `(in, out)` of each dense layer and the one activation between them, when `model` is an MLP: an
/// optional flatten, then linear layers with the same activation after each but the last.
pub fn mlp_layout(model: &Model) -> Option<(Vec<(usize, usize)>, Activation)> {
    let mut dense = Vec::new();
    let mut activation = None;
    let mut expect_linear = true;
    for (i, layer) in model.layers().iter().enumerate() {
        match *layer {
            Layer::Flatten if i == 0 => {}
            Layer::Linear {
                in_features,
                out_features,
            } if expect_linear => {
                dense.push((in_features, out_features));
                expect_linear = false;
            }
            Layer::Act(a) if !expect_linear && activation.is_none_or(|b| b == a) => {
                activation = Some(a);
                expect_linear = true;
            }
            _ => return None,
        }
    }
    // The logits come straight from the last linear layer; a net of one layer has no activation at all.
    if expect_linear || dense.is_empty() {
        return None;
    }
    Some((dense, activation.unwrap_or(Activation::Tanh)))
}

fn missing(name: &str, reason: &str) -> NetsError {
    NetsError::Param {
        name: name.to_string(),
        reason: reason.to_string(),
    }
}

fn kernel_activation(a: Activation) -> KernelActivation {
    match a {
        Activation::Tanh => KernelActivation::Tanh,
        Activation::Sigmoid => KernelActivation::Sigmoid,
        Activation::Elu => KernelActivation::Elu { alpha: 1.0 },
        Activation::Relu => KernelActivation::Relu,
    }
}

/// An MLP problem in the model's own terms: named tensors, the batch, groups of tensor names.
#[derive(Debug, Clone, Copy)]
pub struct MlpInputs<'a, F: Float> {
    /// The model (only MLPs are taken).
    pub model: &'a Model,
    /// Its parameters.
    pub params: &'a Params<F>,
    /// The batch, `rows × in` values (or `rows × C × H × W`, flattened by the first layer).
    pub x: &'a [F],
    /// The class of each row.
    pub labels: &'a [usize],
    /// The groups, as tensor names.
    pub groups: &'a [Vec<String>],
    /// The direction, with the parameters' names (only the grouped tensors are read).
    pub direction: &'a Params<F>,
}

/// Uploads `inputs` to `backend`, ready for [`MlpJets::summaries`]; `Ok(None)` when the model is not an MLP.
pub fn mlp_jets<'b, B: Backend, F: Float + Real>(
    backend: &'b B,
    inputs: &MlpInputs<'_, F>,
) -> Result<Option<MlpJets<'b, B, F>>, ResidentError> {
    let Some((dense, activation)) = mlp_layout(inputs.model) else {
        return Ok(None);
    };
    inputs.params.check(inputs.model)?;
    let groups = inputs
        .groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|name| match ParamSpec::parse_name(name) {
                    Some((i, ParamKind::Weight)) => Ok(MlpParam::Weight(i)),
                    Some((i, ParamKind::Bias)) => Ok(MlpParam::Bias(i)),
                    None => Err(missing(name, "is not `{layer}.weight` or `{layer}.bias`")),
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let grouped = |p: MlpParam| groups.iter().any(|g| g.contains(&p));
    let tensor = |name: String| {
        inputs
            .params
            .get(&name)
            .map(|t| t.data())
            .ok_or_else(|| missing(&name, "is not in the parameters"))
    };
    let direction = |name: String, p: MlpParam| -> Result<Option<&[F]>, NetsError> {
        if !grouped(p) {
            return Ok(None);
        }
        inputs
            .direction
            .get(&name)
            .map(|t| Some(t.data()))
            .ok_or_else(|| missing(&name, "has no direction"))
    };
    let mut layers = Vec::with_capacity(dense.len());
    for (i, &(in_features, out_features)) in dense.iter().enumerate() {
        layers.push(DenseLayer {
            in_features,
            out_features,
            weight: tensor(format!("{i}.weight"))?,
            bias: Some(tensor(format!("{i}.bias"))?),
            weight_dir: direction(format!("{i}.weight"), MlpParam::Weight(i))?,
            bias_dir: direction(format!("{i}.bias"), MlpParam::Bias(i))?,
        });
    }
    let labels: Vec<i64> = inputs.labels.iter().map(|&l| l as i64).collect();
    let problem = MlpProblem {
        layers,
        activation: kernel_activation(activation),
        x: inputs.x,
        labels: &labels,
        groups,
    };
    Ok(Some(MlpJets::new(backend, &problem)?))
}

/// Uploads `w` (an MLP's workload) and the direction `dir` to `backend`, ready for
/// [`MlpJets::summaries`]; `Ok(None)` when the model is not an MLP.
pub fn resident_mlp<'b, B: Backend, F: Float + Real>(
    backend: &'b B,
    w: &Workload<'_, F>,
    dir: &Params<F>,
) -> Result<Option<MlpJets<'b, B, F>>, ResidentError> {
    if mlp_layout(w.model).is_none() {
        return Ok(None);
    }
    let groups = w.partition.groups(&w.model.param_names())?;
    let inputs = MlpInputs {
        model: w.model,
        params: &w.params,
        x: w.x.data(),
        labels: &w.labels,
        groups: &groups,
        direction: dir,
    };
    mlp_jets(backend, &inputs)
}
