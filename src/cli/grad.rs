//! `jetnewton grad`: the gradient of a model on the embedded digits, one line per parameter tensor.

use clap::Args;
use jetnewton_engine::{Graph, Tensor};
use jetnewton_nets::data::{digits, Batch, MinibatchSampler};
use jetnewton_nets::{Model, NetsError};

use crate::cli::sizes::{check_batch_size, check_memory};
use crate::cli::Result;

/// Arguments of `jetnewton grad`.
#[derive(Debug, Args)]
pub struct GradArgs {
    /// Model spec; its input must take 8×8 images (64 features).
    #[arg(long, default_value = "mlp:64-128-64-10:tanh")]
    pub model: String,
    /// Minibatch size.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// Seed of the initialisation and of the minibatch.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Prints the loss and the norm of each parameter's gradient.
pub fn run(a: &GradArgs) -> Result<()> {
    let model = Model::from_spec(&a.model)?;
    let data = digits().map_err(NetsError::from)?;
    check_batch_size(a.batch_size, Some(data.len()))?;
    check_memory(&a.model, &model, 4, Some(("batch-size", a.batch_size)))?;
    let mut sampler =
        MinibatchSampler::new(data.len(), a.batch_size, a.seed).map_err(NetsError::from)?;
    let mut batch = Batch::new();
    sampler
        .next_batch(&data, &mut batch)
        .map_err(NetsError::from)?;
    let mut params = model.init_params::<f32>(a.seed);
    let mut x = Tensor::from_vec(batch.shape().to_vec(), batch.inputs().to_vec())?;
    // With `--device`, the pass runs on tensors resident on the device.
    if let Some(device) = jetnewton_engine::device::current_compute() {
        (params, x) = (params.to_device(&device)?, x.to_device(&device)?);
    }
    let graph = Graph::new();
    let (loss, ids) = model.loss(&graph, &params, x, batch.labels())?;
    let nodes: Vec<usize> = ids.iter().map(|(_, id)| *id).collect();
    let grads = graph.grad(loss.id(), &nodes)?;
    println!(
        "model {}  batch {} of the embedded UCI digits  loss {:.6}",
        a.model,
        a.batch_size,
        loss.value().item()?
    );
    println!("{:<12} {:>16} {:>14}", "tensor", "shape", "|grad|");
    for ((name, _), g) in ids.iter().zip(&grads) {
        println!(
            "{:<12} {:>16} {:>14.6e}",
            name,
            format!("{:?}", g.shape()),
            g.norm_f64()
        );
    }
    Ok(())
}
