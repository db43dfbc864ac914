//! The summaries `gbar`, `hbar` and diag `D³` of a model whose weights PyTorch exported, along the gradient, by
//! jets, checked against double backward.
//!
//! ```text
//! cargo run --release -p jetnewton-nets --example pytorch_summaries -- SPEC WEIGHTS.safetensors BATCH.safetensors
//! ```
//! `WEIGHTS` is what `safetensors.torch.save_file(model.state_dict(), path)` writes for the `nn.Sequential` that
//! `SPEC` describes (e.g. `lenet5:3x32x32`), and `BATCH` holds `x` and `y`. Without arguments it writes the
//! seeded initial weights of `mlp:8-16-4:tanh` in the same format and uses a synthetic batch.

use jetnewton_engine::summaries::{
    double_backward_summaries, gradient_direction, jet_summaries, SummaryOptions,
};
use jetnewton_engine::{Graph, Tensor};
use jetnewton_nets::data::synthetic;
use jetnewton_nets::{load_batch, load_params, save_params, Model, PartitionSpec};

type AnyError = Box<dyn std::error::Error>;

/// The weights of `model` from `path`, or, without a path, its seeded initial weights written and read back.
fn weights(model: &Model, path: Option<&String>) -> Result<jetnewton_nets::Params<f64>, AnyError> {
    if let Some(path) = path {
        return Ok(load_params(path, model)?);
    }
    let file = std::env::temp_dir().join(format!("jetnewton-{}.safetensors", std::process::id()));
    save_params(&file, &model.init_params::<f64>(0))?;
    let params = load_params(&file, model);
    std::fs::remove_file(&file)?;
    Ok(params?)
}

/// The batch in `path`, or a synthetic batch of 64 samples.
fn batch(model: &Model, path: Option<&String>) -> Result<(Tensor<f64>, Vec<usize>), AnyError> {
    if let Some(path) = path {
        let b = load_batch::<f64>(path, model)?;
        return Ok((b.x, b.y));
    }
    let data = synthetic(64, model.input_shape(), model.num_classes(), 1)?;
    let mut shape = vec![data.len()];
    shape.extend_from_slice(model.input_shape());
    let x = Tensor::<f32>::from_vec(shape, data.inputs().to_vec())?.cast();
    Ok((x, data.labels().iter().map(|&l| usize::from(l)).collect()))
}

fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run(&args)
}

/// The example with its command-line arguments.
pub fn run(args: &[String]) -> Result<(), AnyError> {
    let model = Model::from_spec(args.first().map_or("mlp:8-16-4:tanh", String::as_str))?;
    let params = weights(&model, args.get(1))?;
    let (x, labels) = batch(&model, args.get(2))?;
    let graph = Graph::new();
    let (loss, ids) = model.loss(&graph, &params, x, &labels)?;
    let groups = PartitionSpec::Canonical.engine_groups(&graph, &ids)?;
    let direction = gradient_direction(&graph, loss.id(), &groups)?;
    let opts = SummaryOptions::default();
    let jets = jet_summaries(&graph, loss.id(), &groups, &direction, opts)?;
    let reference = double_backward_summaries(&graph, loss.id(), &groups, &direction, opts)?;
    println!(
        "loss {:.6}\ngbar {:?}\nhbar {:?}\nd3 {:?}",
        jets.loss, jets.gbar, jets.hbar, jets.d3
    );
    // Both are exact in f64; they differ only by rounding, relative to the largest entry of each summary.
    let close = |a: &[f64], b: &[f64]| {
        let scale = b.iter().fold(1e-300_f64, |m, v| m.max(v.abs()));
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9 * scale)
    };
    let agree = close(&jets.gbar, &reference.gbar)
        && close(&jets.hbar.concat(), &reference.hbar.concat())
        && close(&jets.d3, &reference.d3);
    if !agree {
        return Err("jets and double backward disagree".into());
    }
    println!("jets agree with double backward (1e-9 relative)");
    Ok(())
}
