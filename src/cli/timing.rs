//! `jetnewton timing`: gradient, summaries by jets and by double backward, timed in one run on a seeded synthetic
//! batch — the figures of the README's speed table.

use clap::Args;
use jetnewton_engine::summaries::{double_backward_summaries, jet_summaries, SummaryOptions};
use jetnewton_engine::{Float, Graph};
use jetnewton_nets::{Model, PartitionSpec};
use serde_json::json;

use jetnewton_engine::summaries::Summaries;
use jetnewton_kernels::Real;

use crate::cli::measure::median_ms;
use crate::cli::sizes::{check_batch_size, check_memory, check_repeat};
use crate::cli::{Dtype, OpenDevice, Result};
use crate::workload::Workload;

/// Arguments of `jetnewton timing`.
#[derive(Debug, Args)]
pub struct TimingArgs {
    /// Model spec, e.g. `mlp:784-1024-200-100-10:tanh`, `lenet5:3x32x32:tanh`, `vgg11p:3x32x32`, `bigmlp`.
    #[arg(long, default_value = "mlp:784-1024-200-100-10:tanh")]
    pub model: String,
    /// Batch size.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Partition of the parameters.
    #[arg(long, default_value = "canonical")]
    pub partition: String,
    /// Timed runs per measurement (after one warm-up); the median is reported. At most 10 000.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Precision.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    pub dtype: Dtype,
    /// Skip the double-backward baseline (slow on deep models).
    #[arg(long)]
    pub skip_double_backward: bool,
    /// Seed of the weights and of the batch.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Runs the measurement and prints one JSON object. On a kernels device (`device`), an MLP's summaries are also timed
/// resident on the device, and checked against the engine's.
pub fn run(a: &TimingArgs, device: Option<&OpenDevice>) -> Result<()> {
    check_repeat(a.repeat)?;
    match a.dtype {
        Dtype::F32 => run_typed::<f32>(a, device),
        Dtype::F64 => run_typed::<f64>(a, device),
    }
}

/// The resident MLP summaries on the device: their median time, and their largest difference from the engine's
/// `reference` relative to the largest entry. `None` for other models.
fn resident_timing<F: Float + Real>(
    a: &TimingArgs,
    device: &OpenDevice,
    inputs: &Workload<'_, F>,
    direction: &jetnewton_nets::Params<F>,
    reference: &Summaries,
) -> Result<Option<(f64, f64)>> {
    let Some((ms, s)) = device.resident_summaries(inputs, direction, a.repeat)? else {
        return Ok(None);
    };
    let pairs = [(&s.gbar, &reference.gbar), (&s.d3, &reference.d3)];
    let flat = (s.hbar.concat(), reference.hbar.concat());
    let (mut diff, mut scale) = (0.0f64, 0.0f64);
    for (x, y) in pairs.into_iter().chain([(&flat.0, &flat.1)]) {
        for (p, q) in x.iter().zip(y.iter()) {
            diff = diff.max((p - q).abs());
            scale = scale.max(q.abs());
        }
    }
    Ok(Some((ms, diff / scale.max(f64::MIN_POSITIVE))))
}

fn run_typed<F: Float + Real>(a: &TimingArgs, device: Option<&OpenDevice>) -> Result<()> {
    let model = Model::from_spec(&a.model)?;
    check_batch_size(a.batch_size, None)?;
    check_memory(
        &a.model,
        &model,
        std::mem::size_of::<F>(),
        Some(("batch-size", a.batch_size)),
    )?;
    let partition: PartitionSpec = a.partition.parse()?;
    let inputs = Workload::<F>::synthetic(&model, a.batch_size, partition, a.seed)?;
    // On a device every timed pass runs on resident tensors, as `train` runs them.
    let inputs = match device {
        Some(d) => inputs.to_device(d.compute())?,
        None => inputs,
    };
    let (gradient_ms, _) = median_ms(a.repeat, || Ok(inputs.gradient()?))?;
    let direction = inputs.gradient_direction()?;
    let (jet_ms, s) = median_ms(a.repeat, || {
        let g = Graph::new();
        let b = inputs.build(&g)?;
        let dir = b.direction(&g, &direction)?;
        Ok(jet_summaries(
            &g,
            b.loss,
            &b.groups,
            &dir,
            SummaryOptions::default(),
        )?)
    })?;
    let db_ms = if a.skip_double_backward {
        None
    } else {
        Some(
            median_ms(a.repeat, || {
                let g = Graph::new();
                let b = inputs.build(&g)?;
                let dir = b.direction(&g, &direction)?;
                Ok(double_backward_summaries(
                    &g,
                    b.loss,
                    &b.groups,
                    &dir,
                    SummaryOptions::default(),
                )?)
            })?
            .0,
        )
    };
    let resident = match device {
        Some(d) => resident_timing(a, d, &inputs, &direction, &s)?,
        None => None,
    };
    let out = json!({
        "model": a.model,
        "batch_size": a.batch_size,
        "partition": a.partition,
        "groups": s.gbar.len(),
        "dtype": F::NAME,
        "threads": rayon::current_num_threads(),
        "device": jetnewton_engine::device::current()
            .map_or_else(|| "cpu".to_string(), |d| d.describe()),
        "repeat": a.repeat,
        "gradient_ms": gradient_ms,
        "jet_summaries_ms": jet_ms,
        "double_backward_ms": db_ms,
        "jet_over_gradient": jet_ms / gradient_ms,
        "double_backward_over_gradient": db_ms.map(|d| d / gradient_ms),
        "double_backward_over_jet": db_ms.map(|d| d / jet_ms),
        "resident_jet_summaries_ms": resident.map(|r| r.0),
        "resident_over_gradient": resident.map(|r| r.0 / gradient_ms),
        "resident_relative_difference": resident.map(|r| r.1),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
