//! Resuming from a checkpoint: everything is checked (the run it belongs to, its model and settings, its
//! tensors) before anything of the session or the run directory changes.

use std::path::Path;

use jetnewton_engine::{Float, Tensor};
use jetnewton_optim::Optimizer;

use crate::oracle::ModelOracle;
use crate::run::checkpoint::Checkpoint;
use crate::train::config::TrainConfig;
use crate::train::error::{Result, TrainError};
use crate::train::identity::{config_identity, differing_keys};

/// Checks that the checkpoint at `path` was written by this run: the same model, the same run id as the run
/// directory's `run.json`, and the same settings (but for the run's length and threads).
pub fn check_identity<F: Float>(
    ck: &Checkpoint<F>,
    path: &Path,
    config: &TrainConfig,
    run_id: Option<&str>,
) -> Result<()> {
    let bad = |reason: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    if ck.meta.model != config.model {
        return Err(bad(format!(
            "it is for model {}, the run trains {}",
            ck.meta.model, config.model
        )));
    }
    if ck.meta.run_id.as_deref() != run_id {
        let name = |id: Option<&str>| id.map_or_else(|| "none".to_string(), str::to_string);
        return Err(bad(format!(
            "it belongs to another run (run id {}; this directory's run.json says {}): a checkpoint copied from \
             elsewhere would mix two trajectories",
            name(ck.meta.run_id.as_deref()),
            name(run_id)
        )));
    }
    if let Some(stored) = &ck.meta.config {
        let keys = differing_keys(stored, &config_identity(config));
        if !keys.is_empty() {
            return Err(bad(format!(
                "it was written with other settings than this run's config.toml ({} differ)",
                keys.join(", ")
            )));
        }
    }
    Ok(())
}

/// Puts a checkpoint's parameters, optimiser state and sampler positions in place, checking that they fit this
/// run's model and optimiser (after [`check_identity`]).
pub fn restore<F: Float>(
    ck: &Checkpoint<F>,
    path: &Path,
    names: &[String],
    params: &mut [Tensor<F>],
    opt: &mut dyn Optimizer<F>,
    oracle: &mut ModelOracle<'_>,
) -> Result<()> {
    let bad = |reason: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        reason,
    };
    for (name, slot) in names.iter().zip(params.iter_mut()) {
        let (_, t) = ck
            .params
            .iter()
            .find(|(n, _)| n == name)
            .ok_or_else(|| bad(format!("no parameter {name}")))?;
        if t.shape() != slot.shape() {
            return Err(bad(format!(
                "parameter {name} has shape {:?}, the model {:?}",
                t.shape(),
                slot.shape()
            )));
        }
        *slot = t.clone();
    }
    if ck.params.len() != names.len() {
        return Err(bad(format!(
            "{} parameters, the model has {}",
            ck.params.len(),
            names.len()
        )));
    }
    opt.load_state(&ck.optimizer)
        .map_err(|e| bad(e.to_string()))?;
    match ck.meta.samplers.as_slice() {
        [g, n] => oracle
            .restore_samplers((*g).into(), (*n).into())
            .map_err(|e| bad(e.to_string())),
        other => Err(bad(format!("{} sampler states, expected 2", other.len()))),
    }
}
