//! Shared set-up for the criterion benchmarks in `benches/`: seeded workloads of the paper's models, and the
//! floating-point operation count of a gradient (to report GFLOP/s).

use jetnewton::cli::{DeviceSpec, OpenDevice, Result as CliResult};
use jetnewton::workload::Workload;
use jetnewton_engine::summaries::{
    double_backward_summaries, jet_summaries, Summaries, SummaryOptions,
};
use jetnewton_engine::Graph;
use jetnewton_nets::{Layer, Model, NetsError, Params, PartitionSpec};

/// The models of the benchmarks: (name, spec, batch size). Batches follow DESIGN.md's peer table where it has one;
/// VGG-11' uses a small batch so that its double backward fits a benchmark run on two cores.
pub const CASES: [(&str, &str, usize); 4] = [
    ("mlp", "mlp:784-1024-200-100-10:tanh", 1000),
    ("lenet5", "lenet5:3x32x32:tanh", 1000),
    ("bigmlp", "mlp:3072-1024x20-10:elu", 100),
    ("vgg11p", "vgg11p:3x32x32", 32),
];

/// The environment variable naming the device the benchmarks run on: `cpu` (default), `cuda` or `cuda:N`.
pub const DEVICE_VAR: &str = "JETNEWTON_DEVICE";

/// Opens the device named by [`DEVICE_VAR`] for as long as the guard lives, and the prefix of the benchmark
/// groups (`cpu`, `cuda:0`), so that results on different devices never share a name.
pub fn device_from_env() -> CliResult<(String, Option<OpenDevice>)> {
    let spec: DeviceSpec = match std::env::var(DEVICE_VAR) {
        Ok(v) => v.parse().map_err(|reason| jetnewton::cli::CliError::Flag {
            flag: "device",
            reason: format!("{DEVICE_VAR}={v}: {reason}"),
        })?,
        Err(_) => DeviceSpec::Cpu,
    };
    Ok((spec.to_string(), spec.open()?))
}

/// Builds the model of `spec`.
pub fn model(spec: &str) -> Result<Model, NetsError> {
    Model::from_spec(spec)
}

/// A seeded f32 workload of `model` on a synthetic batch, canonical partition.
pub fn workload(model: &Model, batch: usize) -> Result<Workload<'_, f32>, NetsError> {
    Workload::synthetic(model, batch, PartitionSpec::Canonical, 0)
}

/// Forward and backward once (the unit of the ratios).
pub fn gradient(w: &Workload<'_, f32>) -> Result<(), NetsError> {
    w.gradient().map(|_| ())
}

/// The summaries of `w` along `dir`, by jets or by double backward.
pub fn summaries(
    w: &Workload<'_, f32>,
    dir: &Params<f32>,
    jets: bool,
) -> Result<Summaries, NetsError> {
    let g = Graph::new();
    let b = w.build(&g)?;
    let d = b.direction(&g, dir)?;
    let opts = SummaryOptions::default();
    Ok(if jets {
        jet_summaries(&g, b.loss, &b.groups, &d, opts)?
    } else {
        double_backward_summaries(&g, b.loss, &b.groups, &d, opts)?
    })
}

/// Floating-point operations of one forward and backward pass of the linear and convolution layers (multiply and
/// add counted separately, the input gradient of the first layer skipped as PyTorch skips it).
pub fn gradient_flops(model: &Model, batch: usize) -> u64 {
    let mut total = 0u64;
    let mut first = true;
    for (layer, out_shape) in model.layers().iter().zip(model.layer_shapes().iter()) {
        let macs_per_sample = match *layer {
            Layer::Linear {
                in_features,
                out_features,
            } => (in_features * out_features) as u64,
            Layer::Conv2d {
                in_ch,
                out_ch,
                kernel,
                ..
            } => {
                let spatial: usize = out_shape.iter().skip(1).product();
                (in_ch * kernel * kernel * out_ch * spatial) as u64
            }
            _ => continue,
        };
        let passes = if first { 2 } else { 3 };
        first = false;
        total += 2 * passes * macs_per_sample * batch as u64;
    }
    total
}
