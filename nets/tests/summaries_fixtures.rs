//! The exchange format end to end: PyTorch fixtures (`shared/fixtures/summaries/*`: weights, batch, optional
//! direction, and the summaries PyTorch's double backward gave in f64) read with this crate's loaders, the model
//! built from the fixture's spec, and the engine's jet summaries compared to 1e-10 relative.

use std::path::PathBuf;

use jetnewton_engine::summaries::{
    double_backward_summaries, gradient_direction, jet_summaries, Summaries, SummaryOptions,
};
use jetnewton_engine::Graph;
use jetnewton_nets::{
    direction_from_params, load_batch, load_direction, load_params, Model, PartitionSpec,
};
use serde_json::Value;

/// `shared/fixtures/summaries/<name>` next to the repository, or `None` after printing a "skipped" line when it is
/// absent (a checkout without the shared fixtures must still pass its tests).
fn fixture(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/summaries"
    ))
    .join(name);
    if dir.join("expected.json").exists() {
        Some(dir)
    } else {
        eprintln!("skipped: no fixture at {}", dir.display());
        None
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// Asserts `|got − want| ≤ 1e-10·|want|` entrywise (measured: at most 3e-14 on these fixtures).
fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-10 * w.abs();
        assert!(
            (g - w).abs() <= tol,
            "{what}[{i}]: got {g:e}, want {w:e} (diff {:e})",
            (g - w).abs()
        );
    }
}

/// Loads the fixture `name`, computes its summaries by jets and by double backward, and compares both with
/// `expected.json`.
fn check_fixture(name: &str) {
    let Some(dir) = fixture(name) else { return };
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    let model = Model::from_spec(expected["model"].as_str().unwrap()).unwrap();
    assert_eq!(expected["dtype"], "f64");
    let params = load_params::<f64>(dir.join("weights.safetensors"), &model).unwrap();
    let batch = load_batch::<f64>(dir.join("batch.safetensors"), &model).unwrap();
    let partition: PartitionSpec = expected["partition"].as_str().unwrap().parse().unwrap();
    let want_groups: Vec<Vec<String>> = serde_json::from_value(expected["groups"].clone()).unwrap();
    assert_eq!(partition.groups(&model).unwrap(), want_groups);

    let graph = Graph::<f64>::new();
    let (loss, ids) = model.loss(&graph, &params, batch.x, &batch.y).unwrap();
    let groups = partition.engine_groups(&graph, &ids).unwrap();
    let direction_file = dir.join("direction.safetensors");
    let dir_u = if direction_file.exists() {
        assert_eq!(expected["direction"], "direction.safetensors");
        let u = load_direction::<f64>(&direction_file, &model).unwrap();
        direction_from_params(&graph, &u, &ids).unwrap()
    } else {
        gradient_direction(&graph, loss.id(), &groups).unwrap()
    };
    let check = |how: &str, s: Summaries| {
        assert_close(
            &format!("{name} {how} loss"),
            &[s.loss],
            &[expected["loss"].as_f64().unwrap()],
        );
        assert_close(
            &format!("{name} {how} gbar"),
            &s.gbar,
            &floats(&expected["gbar"]),
        );
        let want_h: Vec<f64> = expected["hbar"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        let got_h: Vec<f64> = s.hbar.concat();
        assert_close(&format!("{name} {how} hbar"), &got_h, &want_h);
        assert_close(&format!("{name} {how} d3"), &s.d3, &floats(&expected["d3"]));
    };
    let opts = SummaryOptions::default();
    check(
        "jets",
        jet_summaries(&graph, loss.id(), &groups, &dir_u, opts).unwrap(),
    );
    check(
        "double backward",
        double_backward_summaries(&graph, loss.id(), &groups, &dir_u, opts).unwrap(),
    );
}

#[test]
fn mlp_tanh_fixture_matches_pytorch() {
    check_fixture("mlp-tanh");
}

#[test]
fn lenet5_small_fixture_matches_pytorch() {
    check_fixture("lenet5-small");
}
