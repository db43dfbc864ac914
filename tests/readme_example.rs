//! The library example of README.md, kept compiling and true.

use jetnewton_engine::summaries::{gradient_direction, jet_summaries, SummaryOptions};
use jetnewton_engine::{Graph, Tensor};
use jetnewton_nets::{Model, PartitionSpec};

#[test]
fn readme_library_example_runs() -> Result<(), Box<dyn std::error::Error>> {
    let model = Model::from_spec("mlp:64-32-10:tanh")?;
    let params = model.init_params::<f64>(0);
    let graph = Graph::new();
    let x = Tensor::from_vec(vec![2, 64], vec![0.1; 128])?;
    let (loss, ids) = model.loss(&graph, &params, x, &[3, 7])?;
    let groups = PartitionSpec::Canonical.engine_groups(&graph, &ids)?;
    let u = gradient_direction(&graph, loss.id(), &groups)?;
    let s = jet_summaries(&graph, loss.id(), &groups, &u, SummaryOptions::default())?;
    // With the gradient as direction, gbar[s] = |g_s|² ≥ 0, and hbar is S×S for the 4 tensors.
    assert_eq!(s.gbar.len(), 4);
    assert!(s.gbar.iter().all(|&g| g >= 0.0));
    assert_eq!(s.hbar.len(), 4);
    Ok(())
}
