//! Every config under `experiments/` parses, validates, and names a model and a partition that exist, so the
//! README's experiment commands fail on data, never on a stale config.

use std::path::{Path, PathBuf};

use jetnewton::nets::{Model, PartitionSpec};
use jetnewton::train::TrainConfig;

fn configs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            configs(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_experiment_config_resolves() {
    let mut found = Vec::new();
    configs(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments"),
        &mut found,
    );
    // The paper's setups, the partitions, the deep MLP and the self-tuning study: dozens of files.
    assert!(found.len() > 40, "only {} configs found", found.len());
    for path in found {
        let config =
            TrainConfig::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        config
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Model::from_spec(&config.model)
            .unwrap_or_else(|e| panic!("{}: model: {e}", path.display()));
        config
            .partition
            .parse::<PartitionSpec>()
            .unwrap_or_else(|e| panic!("{}: partition: {e}", path.display()));
    }
}
