//! Setting a session up: the oracle over the training data, the optimiser, the parameters, the run's description,
//! and its run directory, either fresh (a new run id and the marker) or resumed from a checkpoint that was checked
//! before anything in the directory changed.

use std::path::Path;

use jetnewton_engine::{Float, Tensor};
use jetnewton_nets::data::MinibatchSampler;
use jetnewton_nets::{Model, NamedGroup, NetsError, PartitionSpec};
use jetnewton_optim::Optimizer;

use crate::oracle::ModelOracle;
use crate::report::load::read_jsonl;
use crate::run::atomic::write_atomic;
use crate::run::checkpoint::{Checkpoint, Progress};
use crate::run::claim::Claim;
use crate::run::dir::files;
use crate::run::records::{EpochRecord, GroupInfo, GroupKind, RunInfo, RunStatus};
use crate::run::RunDir;
use crate::train::build;
use crate::train::config::TrainConfig;
use crate::train::data::RunData;
use crate::train::error::{Result, TrainError};
use crate::train::identity::new_run_id;
use crate::train::placement;
use crate::train::probe::Probe;
use crate::train::restore::{check_identity, restore};
use crate::train::session::{Session, Start};

/// The run directory and the loop's state it starts from.
type Opened = (RunDir, Progress, Vec<EpochRecord>);

impl<'d, F: Float> Session<'d, F> {
    /// Builds the oracle, optimiser and parameters, and opens the run directory; restores the checkpoint when
    /// resuming.
    pub(crate) fn open(
        config: &'d TrainConfig,
        model: Model,
        data: &'d RunData,
        claim: &Claim,
        start: Start,
    ) -> Result<Self> {
        let (mut oracle, steps_per_epoch) = oracle_for(config, &model, data)?;
        let partition: PartitionSpec = config.partition.parse()?;
        let named = partition.named_groups(&model)?;
        let groups = oracle.groups(&partition)?;
        let names = oracle.names().to_vec();
        let probe = Probe::new(
            &config.probe,
            config.newton.lambda_int,
            data,
            groups.clone(),
        )?;
        let mut opt = build::optimizer::<F>(config, oracle.layout(), groups, steps_per_epoch)?;
        let mut params = oracle.initial_params::<F>(config.seed);
        let mut info = run_info(config, &model, &named, steps_per_epoch);
        let total_steps = config.total_steps(steps_per_epoch)?;
        let (dir, progress, epochs) = match start {
            Start::Resume { rewrite_config } => {
                let state = Resumed {
                    names: &names,
                    params: &mut params,
                    opt: &mut *opt,
                    oracle: &mut oracle,
                };
                reopen(claim.dir(), config, &mut info, state, rewrite_config)?
            }
            Start::Fresh => create(claim, config, &mut info)?,
        };
        // Placed only now: a checkpoint restores into host tensors.
        let device = placement::installed();
        if let Some(device) = &device {
            placement::keep_on(device, &mut params)?;
        }
        if let Some(p) = &probe {
            p.save_set(dir.path())?;
        }
        Ok(Self {
            config,
            model,
            data,
            oracle,
            opt,
            params,
            names,
            info,
            dir,
            progress,
            epochs,
            total_steps,
            probe,
            device,
        })
    }
}

/// The oracle over the training set, with its two seeded samplers (`D_g` and `D_newt`), and the steps per epoch.
fn oracle_for<'d>(
    config: &TrainConfig,
    model: &Model,
    data: &'d RunData,
) -> Result<(ModelOracle<'d>, usize)> {
    let train = &data.train;
    let steps_per_epoch = train.len() / config.batch_size;
    if steps_per_epoch == 0 {
        return Err(TrainError::Value {
            key: "batch_size".into(),
            reason: format!(
                "{} is larger than the training set ({} samples)",
                config.batch_size,
                train.len()
            ),
        });
    }
    let newton_batch = config.newton.summary_batch_size.min(train.len());
    let sampler = |b, stream| {
        MinibatchSampler::new(train.len(), b, sampler_seed(config.seed, stream))
            .map_err(NetsError::from)
    };
    let oracle = ModelOracle::new(
        model.clone(),
        train,
        sampler(config.batch_size, 1)?,
        sampler(newton_batch, 2)?,
    )?;
    Ok((oracle, steps_per_epoch))
}

/// `run.json` of a run starting now (no id yet).
fn run_info(
    config: &TrainConfig,
    model: &Model,
    named: &[NamedGroup],
    steps_per_epoch: usize,
) -> RunInfo {
    RunInfo {
        name: config.run_name(),
        run_id: None,
        model: config.model.clone(),
        dataset: config.dataset.name().into(),
        optimizer: config.optimizer.name().into(),
        partition: config.partition.clone(),
        groups: named
            .iter()
            .map(|g| GroupInfo {
                label: g.name.clone(),
                params: g.tensors.clone(),
                kind: GroupKind::of(&g.tensors),
            })
            .collect(),
        num_params: model.num_params(),
        steps_per_epoch,
        status: RunStatus::Running,
        message: None,
    }
}

/// A fresh run: a new id in the marker (the directory's first file), then the config, `run.json` and empty
/// records.
fn create(claim: &Claim, config: &TrainConfig, info: &mut RunInfo) -> Result<Opened> {
    let run_id = new_run_id();
    claim.mark(&run_id)?;
    info.run_id = Some(run_id);
    let dir = RunDir::create(claim.dir(), &config.to_toml(), info)
        .map_err(TrainError::io(claim.dir()))?;
    Ok((dir, Progress::default(), Vec::new()))
}

/// What a checkpoint is restored into.
struct Resumed<'a, 'd, F: Float> {
    names: &'a [String],
    params: &'a mut [Tensor<F>],
    opt: &'a mut dyn Optimizer<F>,
    oracle: &'a mut ModelOracle<'d>,
}

/// Resumes from the directory's checkpoint: checked (its run, settings, tensors, the records' lengths) and
/// restored before any file changes; then the records are cut back to it and, when the run's length changed,
/// `config.toml` rewritten.
fn reopen<F: Float>(
    run_dir: &Path,
    config: &TrainConfig,
    info: &mut RunInfo,
    state: Resumed<'_, '_, F>,
    rewrite_config: bool,
) -> Result<Opened> {
    let path = run_dir.join(files::CHECKPOINT);
    let ck = Checkpoint::<F>::load(&path).map_err(|e| TrainError::Checkpoint {
        path: e.path,
        reason: e.reason,
    })?;
    info.run_id = stored_run_id(run_dir)?;
    check_identity(&ck, &path, config, info.run_id.as_deref())?;
    restore(
        &ck,
        &path,
        state.names,
        state.params,
        state.opt,
        state.oracle,
    )?;
    let progress = ck.meta.progress;
    let dir = RunDir::reopen(run_dir, progress.steps_len, progress.epochs_len).map_err(|e| {
        TrainError::RunDir {
            path: run_dir.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    // Only now, with the checkpoint accepted, may the run's files change.
    dir.cut_probes(progress.step)
        .map_err(TrainError::io(run_dir.join(files::PROBES)))?;
    if rewrite_config {
        let path = run_dir.join(files::CONFIG);
        write_atomic(&path, config.to_toml().as_bytes()).map_err(TrainError::io(path))?;
    }
    dir.write_info(info)
        .map_err(TrainError::io(run_dir.join(files::RUN)))?;
    let epochs = read_jsonl(&run_dir.join(files::EPOCHS)).map_err(|e| TrainError::RunDir {
        path: run_dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok((dir, progress, epochs))
}

/// The run id in `run.json` (none in runs made before ids existed).
fn stored_run_id(run_dir: &Path) -> Result<Option<String>> {
    let path = run_dir.join(files::RUN);
    let bytes = std::fs::read(&path).map_err(TrainError::io(&path))?;
    let info: RunInfo = serde_json::from_slice(&bytes).map_err(|e| TrainError::RunDir {
        path: run_dir.to_path_buf(),
        reason: format!("{}: {e}", files::RUN),
    })?;
    Ok(info.run_id)
}

/// Distinct sampler seeds from the run's seed, so that `D_g` and `D_newt` are independent.
fn sampler_seed(seed: u64, stream: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream)
}
