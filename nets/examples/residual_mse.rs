//! A model the spec language cannot express, a residual MLP with a mean-squared-error loss, written on the graph
//! API and trained with Method 1 and with Adam through [`GraphOracle`].
//!
//! Run with `cargo run --release -p jetnewton-nets --example residual_mse`.

use jetnewton_engine::{EngineError, Graph, Tensor, Var};
use jetnewton_nets::data::{SampleBatch, Samples};
use jetnewton_nets::{Batches, GraphOracle};
use jetnewton_optim::{Adam, AdamConfig, Method1, Method1Config, Optimizer, ParamLayout};

/// The model `x + W2·tanh(W1·x + b1) + b2` on a minibatch, and its mean squared error against the targets.
fn residual_mse<'g>(
    graph: &'g Graph<f64>,
    p: &[Var<'g, f64>],
    batch: &SampleBatch<Vec<f64>, Vec<f64>>,
) -> Result<Var<'g, f64>, EngineError> {
    let x = graph.constant(batch.input_rows()?);
    let y = graph.constant(batch.target_rows()?);
    let h = x.matmul_t(p[0])?.add_bias(p[1])?.tanh()?;
    h.matmul_t(p[2])?.add_bias(p[3])?.add(x)?.mse(y)
}

/// 512 samples of `y = x + 0.5·tanh(A·x)` for `x` uniform in `[-1, 1]^4` and a fixed random `A`.
fn regression_data() -> Result<Samples<Vec<f64>, Vec<f64>>, Box<dyn std::error::Error>> {
    let x = Tensor::<f64>::uniform(&[512, 4], -1.0, 1.0, 7);
    let a = Tensor::<f64>::randn(&[4, 4], 8);
    let g = Graph::new();
    let y = g.constant(x.clone());
    let y = y
        .matmul_t(g.constant(a))?
        .tanh()?
        .scale(0.5)?
        .add(y)?
        .value();
    let rows = |t: &Tensor<f64>| t.data().chunks(4).map(<[f64]>::to_vec).collect();
    Ok(Samples::new(rows(&x), rows(&y))?)
}

/// Trains a fresh copy of `init` with `optimizer` for `steps` steps; returns the loss on the whole data set.
fn train(
    optimizer: &mut dyn Optimizer<f64>,
    oracle: &mut GraphOracle<
        '_,
        Vec<f64>,
        Vec<f64>,
        impl jetnewton_nets::LossFn<f64, Vec<f64>, Vec<f64>>,
    >,
    init: &[Tensor<f64>],
    everything: &SampleBatch<Vec<f64>, Vec<f64>>,
    steps: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut params = init.to_vec();
    for _ in 0..steps {
        optimizer.step(&mut params, oracle)?;
    }
    Ok(oracle.loss_on(&params, everything)?)
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = regression_data()?;
    let everything = data.batch_of(&(0..data.len()).collect::<Vec<_>>())?;
    // The glue between "model on the graph" and "training loop": parameters, oracle, groups, optimisers.
    let names = ["w1", "b1", "w2", "b2"].map(String::from).to_vec();
    let init = vec![
        Tensor::randn(&[16, 4], 1).scale(0.5),
        Tensor::zeros(&[16]),
        Tensor::randn(&[4, 16], 2).scale(0.25),
        Tensor::zeros(&[4]),
    ];
    let layout = ParamLayout::of(names, &init)?;
    let batches = Batches {
        gradient: 32,
        summaries: 256,
        seed: 0,
    };
    let mut oracle = GraphOracle::new(layout.clone(), &data, batches, &init, residual_mse)?;
    // Method 1 with one group per layer (its weight and bias), at the paper's settings.
    let groups = vec![vec![0, 1], vec![2, 3]];
    let config = Method1Config::paper(oracle.steps_per_epoch());
    let mut method1 = Method1::new(layout.clone(), groups, config)?;
    let mut adam = Adam::new(
        layout,
        AdamConfig {
            lr: 1e-2,
            ..AdamConfig::default()
        },
    )?;
    let start = oracle.loss_on(&init, &everything)?;
    let steps = 300;
    let m1 = train(&mut method1, &mut oracle, &init, &everything, steps)?;
    let adam = train(&mut adam, &mut oracle, &init, &everything, steps)?;
    println!("loss at start {start:.4}; after {steps} steps: Method 1 {m1:.4}, Adam {adam:.4}");
    if !(m1 < 0.5 * start && adam < 0.5 * start) {
        return Err(format!("training did not halve the loss ({start} -> {m1}, {adam})").into());
    }
    Ok(())
}
