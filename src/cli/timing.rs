//! `jetnewton timing`: gradient, summaries by jets and by double backward, timed in one run on a seeded synthetic
//! batch — the figures of the README's speed table.

use clap::Args;
use jetnewton_engine::summaries::{double_backward_summaries, jet_summaries, SummaryOptions};
use jetnewton_engine::{Float, Graph};
use jetnewton_nets::{Model, PartitionSpec};
use serde_json::json;

use crate::cli::measure::median_ms;
use crate::cli::{Dtype, Result};
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
    /// Timed runs per measurement (after one warm-up); the median is reported.
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

/// Runs the measurement and prints one JSON object.
pub fn run(a: &TimingArgs) -> Result<()> {
    match a.dtype {
        Dtype::F32 => run_typed::<f32>(a),
        Dtype::F64 => run_typed::<f64>(a),
    }
}

fn run_typed<F: Float>(a: &TimingArgs) -> Result<()> {
    let model = Model::from_spec(&a.model)?;
    let partition: PartitionSpec = a.partition.parse()?;
    let inputs = Workload::<F>::synthetic(&model, a.batch_size, partition, a.seed)?;
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
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
