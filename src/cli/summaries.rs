//! `jetnewton summaries`: the exchange point with other tools. Reads weights, a batch and optionally a direction
//! (safetensors, PyTorch names), prints `{"groups", "loss", "gbar", "hbar", "d3", "timing"}` as one JSON object.

use std::path::PathBuf;

use clap::Args;
use jetnewton_engine::device::DeviceCounters;
use jetnewton_engine::summaries::{
    double_backward_summaries, jet_summaries, Summaries, SummaryOptions,
};
use jetnewton_engine::{Float, Graph};
use jetnewton_kernels::Real;
use jetnewton_nets::{
    check_finite_params, check_finite_tensor, load_batch, load_direction, load_params, BatchData,
    Model, NetsError, Params, PartitionSpec,
};
use serde_json::json;

use crate::cli::eta::{check_lambda_int, eta_json};
use crate::cli::measure::median_ms;
use crate::cli::order::{check_order, dd_json};
use crate::cli::sizes::{check_memory, check_repeat};
use crate::cli::{CliError, Dtype, Method, OpenDevice, Result};
use crate::workload::{direction_or_gradient, Workload};

/// Arguments of `jetnewton summaries`.
#[derive(Debug, Args)]
pub struct SummariesArgs {
    /// Model spec: `mlp:784-1024-200-100-10:tanh`, `lenet5:3x32x32:tanh`, `vgg11p:3x32x32`, `bigmlp`.
    #[arg(long)]
    pub model: String,
    /// Weights: safetensors with PyTorch names `{i}.weight`, `{i}.bias` (f32 or f64).
    #[arg(long)]
    pub weights: PathBuf,
    /// Batch: safetensors with `x` (float, `[B, in]` or `[B, C, H, W]`) and `y` (int64 labels).
    #[arg(long)]
    pub batch: PathBuf,
    /// Direction u: same names and shapes as the weights (default: the gradient on the batch).
    #[arg(long)]
    pub direction: Option<PathBuf>,
    /// Partition: canonical, trivial, weights-biases, blocks-K, alternate-K, chunks-K.
    #[arg(long, default_value = "canonical")]
    pub partition: String,
    /// Precision of the computation (f64 matches PyTorch double-backward fixtures to ~1e-12).
    #[arg(long, value_enum, default_value_t = Dtype::F64)]
    pub dtype: Dtype,
    /// Jets (default) or double backward.
    #[arg(long, value_enum, default_value_t = Method::Jet)]
    pub method: Method,
    /// Timed repeats (after one warm-up); timings are medians. At most 10 000.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
    /// Also output `d3_slices[s][t] = ∇³L[u_s, u_s, u_t]`.
    #[arg(long)]
    pub d3_slices: bool,
    /// Also solve Method 1's cubic-regularised problem on these summaries with this λ_int (0: the unregularised
    /// Newton step): adds `"eta"` (η* per group, `null` when the solver refuses) and `"solver"` (its outcome).
    #[arg(long, value_name = "L", allow_negative_numbers = true)]
    pub lambda_int: Option<f64>,
    /// Also the full symmetric D^d of this order (1 to 4), from jets: `"dd": {"order", "indices", "values"}`,
    /// one value per non-decreasing tuple of group indices.
    #[arg(long, value_name = "D")]
    pub order: Option<usize>,
}

/// Runs the command. On a kernels device (`device`: a GPU or its emulation), an MLP's jet summaries (without slices) run resident on the device.
pub fn run(a: &SummariesArgs, device: Option<&OpenDevice>) -> Result<()> {
    check_repeat(a.repeat)?;
    if let Some(l) = a.lambda_int {
        check_lambda_int(l)?;
    }
    if let Some(d) = a.order {
        check_order(d)?;
    }
    match a.dtype {
        Dtype::F32 => run_typed::<f32>(a, device),
        Dtype::F64 => run_typed::<f64>(a, device),
    }
}

/// The summaries of `inputs` along `named` by the engine (on the device when they are resident).
fn engine_summaries<F: Float>(
    method: Method,
    inputs: &Workload<'_, F>,
    named: &Params<F>,
    opts: SummaryOptions,
) -> Result<Summaries> {
    let g = Graph::new();
    let b = inputs.build(&g)?;
    let dir = b.direction(&g, named)?;
    Ok(match method {
        Method::Jet => jet_summaries(&g, b.loss, &b.groups, &dir, opts)?,
        Method::DoubleBackward => double_backward_summaries(&g, b.loss, &b.groups, &dir, opts)?,
    })
}

/// A device's copies and launches over `repeat` summaries passes, per pass: how much of a pass still crosses
/// between host and device, and how many kernels it launches.
fn per_pass_json(used: &DeviceCounters, repeat: usize) -> serde_json::Value {
    let per = |n: u64| n as f64 / repeat.max(1) as f64;
    json!({
        "uploads": per(used.uploads),
        "downloads": per(used.downloads),
        "bytes": per(used.bytes),
        "launches": per(used.launches),
    })
}

/// The median time and the summaries resident on the device, when the model is an MLP and jets without slices
/// were asked for.
fn resident<F: Float + Real>(
    a: &SummariesArgs,
    device: Option<&OpenDevice>,
    inputs: &Workload<'_, F>,
    named: &Params<F>,
) -> Result<Option<(f64, Summaries)>> {
    match device.filter(|_| a.method == Method::Jet && !a.d3_slices) {
        Some(device) => device.resident_summaries(inputs, named, a.repeat),
        None => Ok(None),
    }
}

/// A file's error, prefixed with the flag that named the file.
fn from_flag(flag: &'static str) -> impl Fn(NetsError) -> CliError {
    move |e| CliError::Flag {
        flag,
        reason: e.to_string(),
    }
}

/// Reads the weights, the batch and the direction, refusing non-finite values (which would make every summary
/// NaN) with the flag, the file, the tensor and the index.
fn read_inputs<F: Float>(a: &SummariesArgs, model: &Model) -> Result<Inputs<F>> {
    let params = load_params::<F>(&a.weights, model)?;
    check_finite_params(&a.weights, &params).map_err(from_flag("weights"))?;
    let batch = load_batch::<F>(&a.batch, model)?;
    check_finite_tensor(&a.batch, "x", &batch.x).map_err(from_flag("batch"))?;
    let direction = match &a.direction {
        Some(path) => {
            let d = load_direction::<F>(path, model)?;
            check_finite_params(path, &d).map_err(from_flag("direction"))?;
            Some(d)
        }
        None => None,
    };
    Ok((params, batch, direction))
}

/// The weights, the batch and the direction (when given) of a `summaries` call.
type Inputs<F> = (Params<F>, BatchData<F>, Option<Params<F>>);

/// The first non-finite value of the summaries, described, or `None` when all are finite.
fn first_non_finite(s: &Summaries) -> Option<String> {
    let named = |what: &str, xs: &[f64]| {
        xs.iter()
            .position(|v| !v.is_finite())
            .map(|i| format!("{what}[{i}] = {}", xs[i]))
    };
    let hbar = s.hbar.concat();
    named("loss", &[s.loss])
        .or_else(|| named("gbar", &s.gbar))
        .or_else(|| named("hbar (flat)", &hbar))
        .or_else(|| named("d3", &s.d3))
        .or_else(|| {
            let slices: Vec<f64> = s.d3_slices.iter().flatten().flatten().copied().collect();
            named("d3_slices (flat)", &slices)
        })
}

fn run_typed<F: Float + Real>(a: &SummariesArgs, device: Option<&OpenDevice>) -> Result<()> {
    let model = Model::from_spec(&a.model)?;
    check_memory(&a.model, &model, std::mem::size_of::<F>(), None)?;
    let partition: PartitionSpec = a.partition.parse()?;
    let (params, batch, given) = read_inputs::<F>(a, &model)?;
    let inputs = Workload {
        model: &model,
        params,
        x: batch.x,
        labels: batch.y,
        partition,
    };
    let g = Graph::new();
    let built = inputs.build(&g)?;
    let named = direction_or_gradient(&g, &built, given)?;
    let opts = SummaryOptions {
        d3_slices: a.d3_slices,
    };
    let on_device = resident(a, device, &inputs, &named)?;
    let computed_on = match (device, &on_device) {
        (None, _) => String::new(),
        (Some(d), Some(_)) => format!("{} (resident MLP)", d.describe()),
        (Some(d), None) => format!("{} (resident tensors)", d.describe()),
    };
    // Off the MLP fast path, the general engine runs on tensors resident on the device.
    let (inputs, named) = match device {
        Some(d) if on_device.is_none() => (
            inputs.to_device(d.compute())?,
            named.to_device(d.compute())?,
        ),
        _ => (inputs, named),
    };
    let (gradient_ms, _) = median_ms(a.repeat, || Ok(inputs.gradient()?))?;
    let before = device.map(|d| d.compute().counters());
    let (summaries_ms, s): (f64, Summaries) = match on_device {
        Some(r) => r,
        None => median_ms(a.repeat, || {
            engine_summaries(a.method, &inputs, &named, opts)
        })?,
    };
    let per_pass = device
        .zip(before)
        .map(|(d, before)| per_pass_json(&d.compute().counters().since(&before), a.repeat));
    if let Some(bad) = first_non_finite(&s) {
        return Err(CliError::NonFinite(format!(
            "the summaries are not finite ({bad}) although the weights, the batch and the direction are: the \
             model's values overflow {} at these weights; nothing was printed",
            F::NAME
        )));
    }
    let mut out = json!({
        "model": a.model,
        "partition": a.partition,
        "dtype": F::NAME,
        "method": match a.method { Method::Jet => "jet", Method::DoubleBackward => "double-backward" },
        "groups": built.names,
        "loss": s.loss,
        "gbar": s.gbar,
        "hbar": s.hbar,
        "d3": s.d3,
        "timing": {"gradient_ms": gradient_ms, "summaries_ms": summaries_ms, "repeat": a.repeat},
    });
    // The exchange format of the CPU is unchanged; a run on a kernels device says where it ran.
    if device.is_some() {
        out["device"] = json!(computed_on);
        out["device_work_per_pass"] = json!(per_pass);
    }
    if let Some(l) = a.lambda_int {
        let (eta, solver) = eta_json(&s, l);
        out["eta"] = json!(eta);
        out["solver"] = solver;
    }
    if let Some(sl) = s.d3_slices {
        out["d3_slices"] = json!(sl);
    }
    if let Some(d) = a.order {
        out["dd"] = dd_json(&inputs, &named, d)?;
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
