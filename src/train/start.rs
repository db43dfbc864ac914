//! Starting a session: [`train`] a fresh run or [`resume`] one, with the run directory claimed (locked, and
//! checked to be one jetnewton may write into) before anything in it is read or changed.

use std::path::Path;

use jetnewton_engine::Float;
use jetnewton_nets::Model;

use crate::run::claim::Claim;
use crate::run::dir::files;
use crate::train::config::{TrainConfig, TrainDtype};
use crate::train::data::{self, RunData};
use crate::train::error::{Result, TrainError};
use crate::train::interrupt;
use crate::train::observer::Observer;
use crate::train::session::{RunOutcome, Session, Start};

/// What a resumed run may change: its length, to train longer (or stop sooner).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Longer {
    /// New `epochs`.
    pub epochs: Option<usize>,
    /// New `steps`.
    pub steps: Option<u64>,
}

/// Trains a fresh run into `run_dir`: a new or empty directory, or one of jetnewton's that stopped before its
/// first checkpoint (it starts again in place). If the run fails before its first checkpoint, the files it
/// wrote are removed again, and the directory too if this call created it.
pub fn train(
    config: &TrainConfig,
    run_dir: &Path,
    observer: &mut dyn Observer,
) -> Result<RunOutcome> {
    train_into(config, run_dir, false, observer)
}

/// [`train`], replacing a finished or checkpointed jetnewton run in `run_dir` when `replace` (`compare --force`):
/// only the files a run writes go, and only from a directory jetnewton made.
pub fn train_into(
    config: &TrainConfig,
    run_dir: &Path,
    replace: bool,
    observer: &mut dyn Observer,
) -> Result<RunOutcome> {
    config.validate()?;
    let model = Model::from_spec(&config.model)?;
    let data = data::load(config, &model)?;
    stop_if_interrupted()?;
    let claim = if replace {
        Claim::replacing(run_dir)?
    } else {
        Claim::fresh(run_dir)?
    };
    let result = by_dtype(config, model, &data, &claim, Start::Fresh, observer);
    if result.is_err() {
        claim.abandon();
    }
    result
}

/// Continues the run in `run_dir` from its checkpoint, with the configuration it was started with; the
/// trajectory is the one an uninterrupted run would have followed.
pub fn resume(run_dir: &Path, observer: &mut dyn Observer) -> Result<RunOutcome> {
    resume_longer(run_dir, Longer::default(), observer)
}

/// [`resume`], training for another length. The directory's `config.toml` is rewritten with the new length only
/// once the checkpoint was accepted. A jetnewton run that stopped before its first checkpoint starts again in
/// place from its `config.toml`.
pub fn resume_longer(
    run_dir: &Path,
    longer: Longer,
    observer: &mut dyn Observer,
) -> Result<RunOutcome> {
    let config_path = run_dir.join(files::CONFIG);
    if !config_path.is_file() {
        return Err(TrainError::RunDir {
            path: run_dir.to_path_buf(),
            reason: format!("no {} here: not a run directory", files::CONFIG),
        });
    }
    // Locked before the config is read, so that no other session can change it in between.
    let claim = Claim::existing(run_dir)?;
    let stored = TrainConfig::from_file(&config_path)?;
    let mut config = stored.clone();
    config.epochs = longer.epochs.unwrap_or(config.epochs);
    config.steps = longer.steps.or(config.steps);
    config.validate()?;
    let model = Model::from_spec(&config.model)?;
    let data = data::load(&config, &model)?;
    stop_if_interrupted()?;
    let start = if run_dir.join(files::CHECKPOINT).exists() {
        Start::Resume {
            rewrite_config: config != stored,
        }
    } else if claim.is_ours() {
        claim.remove_run_files()?;
        Start::Fresh
    } else {
        return Err(TrainError::RunDir {
            path: run_dir.to_path_buf(),
            reason: format!(
                "no {} here: the run stopped before its first checkpoint and this directory was not made by \
                 this version of jetnewton; start it again with `jetnewton train --run-dir` into a new directory",
                files::CHECKPOINT
            ),
        });
    };
    by_dtype(&config, model, &data, &claim, start, observer)
}

/// A signal that came while the data loaded stops the run before it touches a directory.
fn stop_if_interrupted() -> Result<()> {
    if interrupt::requested() {
        return Err(TrainError::Interrupted {
            step: None,
            checkpoint: None,
        });
    }
    Ok(())
}

fn by_dtype(
    config: &TrainConfig,
    model: Model,
    data: &RunData,
    claim: &Claim,
    start: Start,
    observer: &mut dyn Observer,
) -> Result<RunOutcome> {
    match config.dtype {
        TrainDtype::F32 => session::<f32>(config, model, data, claim, start, observer),
        TrainDtype::F64 => session::<f64>(config, model, data, claim, start, observer),
    }
}

fn session<F: Float>(
    config: &TrainConfig,
    model: Model,
    data: &RunData,
    claim: &Claim,
    start: Start,
    observer: &mut dyn Observer,
) -> Result<RunOutcome> {
    let mut s = Session::<F>::open(config, model, data, claim, start)?;
    observer.start(s.info(), s.total_steps(), s.steps_done());
    let result = s.train(observer);
    observer.finish();
    result
}
