//! `jetnewton train`: trains a model from flags and/or a TOML config, or resumes a run; shows progress, leaves a
//! run directory with records, pictures, checkpoints and the final weights, and ends with a summary table.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::progress::{LogMode, TrainProgress};
use crate::cli::{CliError, Result};
use crate::resources::MAX_THREADS;
use crate::run::dir::files;
use crate::run::records::EpochRecord;
use crate::train::probe::{ProbeDirection, ProbeSet};
use crate::train::{
    self, DatasetKind, Longer, OptimizerKind, RunOutcome, SaveDtype, ScheduleKind, TrainConfig,
    TrainDtype, TrainError,
};

/// Arguments of `jetnewton train`. Precedence: flags, then `--set`, then the config file, then defaults.
///
/// Negative numbers are values (`--lr -0.1` reaches validation, which names `--lr`), not flags.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct TrainArgs {
    /// A TOML config (see `experiments/`); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Continue the run in this directory from its last checkpoint, with its own config (only `--epochs` and
    /// `--steps` may change it, to train longer).
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Where the run's records go (default: runs/NAME, with a numeric suffix when taken).
    #[arg(long, value_name = "DIR")]
    pub run_dir: Option<PathBuf>,
    /// The run's name (legends, default directory).
    #[arg(long)]
    pub name: Option<String>,
    /// Model spec (`mlp:784-1024-200-100-10:tanh`, `lenet5:1x28x28`, `vgg11p:3x32x32`, `bigmlp`, …).
    #[arg(long)]
    pub model: Option<String>,
    /// Data set.
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetKind>,
    /// Directory of the data set's files (MNIST, Fashion-MNIST, CIFAR-10).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Optimiser.
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate of the chosen optimiser (λ_1 for Method 1).
    #[arg(long)]
    pub lr: Option<f64>,
    /// Method 1's internal damping λ_int (0: no regularisation).
    #[arg(long)]
    pub lambda_int: Option<f64>,
    /// Method 1's schedule of λ_int and λ_t: the paper's algorithm 4 (default), `adaptive` (self-tuning: λ_int by
    /// adaptive cubic regularisation, λ_t steered by each period's realised decrease) or `adaptive-damping`
    /// (λ_int only).
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleKind>,
    /// Partition of the parameters into groups (`canonical`, `trivial`, `weights-biases`, `blocks-K`, …).
    #[arg(long)]
    pub partition: Option<String>,
    /// Epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Stop after this many steps.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Minibatch size of the gradient (B_g).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Minibatch size of Method 1's summaries (B).
    #[arg(long)]
    pub summary_batch_size: Option<usize>,
    /// Seed of the initialisation and the samplers.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Precision.
    #[arg(long, value_enum)]
    pub dtype: Option<TrainDtype>,
    /// The float type of `final.safetensors` (default: `--dtype`); `bf16` or `f16` to exchange with PyTorch in
    /// half precision (rounded to nearest; a weight f16 cannot hold is an error, and nothing is written).
    #[arg(long, value_enum)]
    pub save_dtype: Option<SaveDtype>,
    /// Probe the summaries every N steps (0: never) on a fixed probe set, whatever the optimiser: `probes.jsonl`.
    #[arg(long, value_name = "N")]
    pub probe_every: Option<u64>,
    /// The probe set: `train` (a fixed subset of at most 10 000 training samples, the default), `validation`, or a
    /// number of training samples.
    #[arg(long, value_name = "SET")]
    pub probe_set: Option<ProbeSet>,
    /// The probes' direction: the optimiser's last update (default) or the probe set's gradient.
    #[arg(long, value_enum)]
    pub probe_direction: Option<ProbeDirection>,
    /// Steps between checkpoints (0: at the end of each epoch only).
    #[arg(long)]
    pub checkpoint_every: Option<u64>,
    /// Any config key, as KEY=VALUE (`newton.eta_momentum=0.3`); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Progress display: a bar with epoch lines (default), JSON Lines on stdout, or nothing but errors.
    #[arg(long, value_enum, default_value_t = LogMode::Bar)]
    pub log: LogMode,
    /// Shorthand for `--log quiet`.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw the pictures at the end.
    #[arg(long)]
    pub no_plots: bool,
}

impl TrainArgs {
    /// The configuration: defaults, the file, `--set`, then the flags.
    pub fn resolve(&self, threads: Option<usize>) -> Result<TrainConfig> {
        let mut c = match &self.config {
            Some(path) => TrainConfig::from_file(path)?,
            None => TrainConfig::default(),
        };
        for s in &self.set {
            c.set(s)?;
        }
        macro_rules! flag {
            ($field:ident) => {
                if let Some(v) = &self.$field {
                    c.$field = v.clone().into();
                }
            };
        }
        flag!(name);
        flag!(model);
        flag!(dataset);
        flag!(data_dir);
        flag!(optimizer);
        flag!(partition);
        flag!(epochs);
        flag!(steps);
        flag!(batch_size);
        flag!(seed);
        flag!(dtype);
        flag!(checkpoint_every);
        if let Some(v) = self.probe_every {
            c.probe.every = v;
        }
        if let Some(v) = &self.probe_set {
            c.probe.set = v.clone();
        }
        if let Some(v) = self.probe_direction {
            c.probe.direction = v;
        }
        if let Some(v) = self.save_dtype {
            c.save_dtype = Some(v);
        }
        if threads.is_some() {
            c.threads = threads;
        }
        if let Some(lr) = self.lr {
            match c.optimizer {
                OptimizerKind::Newton | OptimizerKind::NewtonDiag => c.newton.lr = lr,
                OptimizerKind::Adam => c.adam.lr = lr,
                OptimizerKind::Sgd => c.sgd.lr = lr,
                OptimizerKind::Kfac => c.kfac.lr = lr,
            }
        }
        if let Some(v) = self.lambda_int {
            c.newton.lambda_int = v;
        }
        if let Some(v) = self.schedule {
            c.newton.schedule = v;
        }
        if let Some(v) = self.summary_batch_size {
            c.newton.summary_batch_size = v;
        }
        c.validate()
            .map_err(|e| self.name_flag(e, threads.is_some()))?;
        Ok(c)
    }

    /// A config value refused when a flag set it, as an error naming the flag (the config key follows).
    fn name_flag(&self, e: TrainError, threads_given: bool) -> CliError {
        let TrainError::Value { key, reason } = e else {
            // The estimate names its keys; with a config file, name the file too.
            return match (&e, &self.config) {
                (TrainError::TooLarge { .. }, Some(path)) => in_file(path, e).into(),
                _ => e.into(),
            };
        };
        let flag = match key.as_str() {
            "newton.lr" | "adam.lr" | "sgd.lr" | "kfac.lr" if self.lr.is_some() => Some("lr"),
            "newton.lambda_int" if self.lambda_int.is_some() => Some("lambda-int"),
            "newton.summary_batch_size" if self.summary_batch_size.is_some() => {
                Some("summary-batch-size")
            }
            "epochs" if self.epochs.is_some() => Some("epochs"),
            "steps" if self.steps.is_some() => Some("steps"),
            "batch_size" if self.batch_size.is_some() => Some("batch-size"),
            "threads" if threads_given => Some("threads"),
            "probe.set" if self.probe_set.is_some() => Some("probe-set"),
            _ => None,
        };
        let by_set = self
            .set
            .iter()
            .any(|s| s.split_once('=').is_some_and(|(k, _)| k.trim() == key));
        match (flag, by_set, &self.config) {
            (Some(flag), _, _) => CliError::Flag {
                flag,
                reason: format!("{reason} (config key `{key}`)"),
            },
            (None, true, _) => CliError::Flag {
                flag: "set",
                reason: format!("{key}: {reason}"),
            },
            (None, false, Some(path)) => in_file(path, TrainError::Value { key, reason }).into(),
            (None, false, None) => TrainError::Value { key, reason }.into(),
        }
    }

    /// The flags that would change a run's configuration, except `--epochs` and `--steps`: refused with
    /// `--resume`, whose run keeps the configuration it started with.
    fn config_flags(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let mut check = |present: bool, flag: &'static str| {
            if present {
                given.push(flag);
            }
        };
        check(self.config.is_some(), "--config");
        check(self.run_dir.is_some(), "--run-dir");
        check(self.name.is_some(), "--name");
        check(self.model.is_some(), "--model");
        check(self.dataset.is_some(), "--dataset");
        check(self.data_dir.is_some(), "--data-dir");
        check(self.optimizer.is_some(), "--optimizer");
        check(self.lr.is_some(), "--lr");
        check(self.lambda_int.is_some(), "--lambda-int");
        check(self.schedule.is_some(), "--schedule");
        check(self.partition.is_some(), "--partition");
        check(self.batch_size.is_some(), "--batch-size");
        check(self.summary_batch_size.is_some(), "--summary-batch-size");
        check(self.seed.is_some(), "--seed");
        check(self.dtype.is_some(), "--dtype");
        check(self.checkpoint_every.is_some(), "--checkpoint-every");
        check(!self.set.is_empty(), "--set");
        given
    }

    fn log_mode(&self) -> LogMode {
        if self.quiet {
            LogMode::Quiet
        } else {
            self.log
        }
    }
}

/// An error of validating the config read from `path`, as an error naming the file.
pub fn in_file(path: &Path, e: TrainError) -> TrainError {
    match e {
        TrainError::Value { .. } | TrainError::TooLarge { .. } | TrainError::Nets(_) => {
            TrainError::Config {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        }
        other => other,
    }
}

/// `runs/NAME`, or `runs/NAME-2`, `-3`, … when taken.
pub fn default_run_dir(name: &str) -> PathBuf {
    let base = Path::new("runs").join(name);
    (1..)
        .map(|i| {
            if i == 1 {
                base.clone()
            } else {
                PathBuf::from(format!("{}-{i}", base.display()))
            }
        })
        .find(|p| !p.exists())
        .unwrap_or(base)
}

/// From here on, SIGINT, SIGTERM and SIGHUP stop a run with a checkpoint (see [`crate::train::interrupt`]).
pub fn install_signal_handlers() -> Result<()> {
    crate::train::interrupt::install().map_err(|source| CliError::Io {
        path: "signal handlers".into(),
        source,
    })
}

/// Refuses a thread count outside `1..=MAX_THREADS` (see [`MAX_THREADS`]), naming `--threads`.
pub fn check_threads(n: Option<usize>) -> Result<()> {
    match n {
        Some(n) if n == 0 || n > MAX_THREADS => Err(CliError::Flag {
            flag: "threads",
            reason: format!("{n} is not between 1 and {MAX_THREADS}"),
        }),
        _ => Ok(()),
    }
}

/// Sets the worker threads of the global pool. Only the first call in a process can: rayon builds its global
/// pool once, and a later call (or one after a parallel op built the default pool) leaves the size it has. A pool
/// that cannot be built (threads that cannot be spawned) is an error naming `--threads`, rather than a panic at
/// the first parallel op.
pub fn set_threads(n: Option<usize>) -> Result<()> {
    let Some(n) = n else {
        return Ok(());
    };
    check_threads(Some(n))?;
    match rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
    {
        // "Already initialised" is the only failure without an underlying cause (rayon's errors carry the
        // operating system's error when spawning fails).
        Err(e) if std::error::Error::source(&e).is_some() => Err(CliError::Flag {
            flag: "threads",
            reason: format!("cannot start {n} worker threads: {e}"),
        }),
        _ => Ok(()),
    }
}

/// Runs `jetnewton train`.
pub fn run(args: &TrainArgs, threads: Option<usize>) -> Result<()> {
    let mode = args.log_mode();
    install_signal_handlers()?;
    let outcome = if let Some(dir) = &args.resume {
        if let Some(flag) = args.config_flags().first() {
            return Err(CliError::Flag {
                flag: "resume",
                reason: format!(
                    "a resumed run keeps its own configuration; {flag} cannot be combined with it (only \
                     --epochs and --steps can, to train longer)"
                ),
            });
        }
        // The pool is sized before the session starts, from the run's own thread count; the session reads the
        // config again under the run directory's lock, and rewrites it only once the checkpoint is accepted.
        let stored = TrainConfig::from_file(&dir.join(files::CONFIG)).map_err(|e| match e {
            TrainError::Io { .. } => TrainError::RunDir {
                path: dir.clone(),
                reason: "no config.toml here: not a run directory".into(),
            },
            other => other,
        })?;
        set_threads(threads.or(stored.threads))?;
        let longer = Longer {
            epochs: args.epochs,
            steps: args.steps,
        };
        let mut progress = TrainProgress::new(mode);
        train::resume_longer(dir, longer, &mut progress)?
    } else {
        let config = args.resolve(threads)?;
        set_threads(config.threads)?;
        let mut config = config;
        config.threads = Some(rayon::current_num_threads());
        let dir = args
            .run_dir
            .clone()
            .unwrap_or_else(|| default_run_dir(&config.run_slug()));
        let mut progress = TrainProgress::new(mode);
        // Values checked against the data (a probe set larger than it) are refused once the data is read.
        train::train(&config, &dir, &mut progress)
            .map_err(|e| args.name_flag(e, threads.is_some()))?
    };
    let plots = if args.no_plots {
        Vec::new()
    } else {
        crate::report::plot_run(&outcome.run_dir, &outcome.run_dir.join(files::PLOTS_DIR))
            .map_err(CliError::from)?
    };
    match mode {
        LogMode::Bar => print_summary(&outcome, &plots),
        LogMode::Json => println!(
            "{}",
            serde_json::json!({
                "event": "done",
                "run_dir": outcome.run_dir,
                "final_weights": outcome.final_weights,
                "final": outcome.epochs.last(),
                "plots": plots,
            })
        ),
        LogMode::Quiet => {}
    }
    Ok(())
}

/// The end-of-run table: every epoch when there are few, else about twenty evenly spaced and the last.
fn print_summary(outcome: &RunOutcome, plots: &[PathBuf]) {
    let info = &outcome.info;
    println!();
    println!(
        "{}: {} on {} with {} ({} groups, {} parameters)",
        info.name,
        info.model,
        info.dataset,
        info.optimizer,
        info.groups.len(),
        info.num_params
    );
    println!(
        "{:>5} {:>7} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7} {:>9} {:>8}",
        "epoch", "step", "train", "acc", "valid", "acc", "test", "acc", "lr", "time s"
    );
    let n = outcome.epochs.len();
    let every = n.div_ceil(20).max(1);
    for (i, e) in outcome.epochs.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            println!("{}", summary_row(e));
        }
    }
    println!("run directory: {}", outcome.run_dir.display());
    println!("final weights: {}", outcome.final_weights.display());
    if !plots.is_empty() {
        println!(
            "pictures: {}",
            outcome.run_dir.join(files::PLOTS_DIR).display()
        );
    }
}

/// One row of the summary table.
pub fn summary_row(e: &EpochRecord) -> String {
    let split = |m: Option<crate::run::records::SplitMetrics>| match m {
        Some(m) => format!("{:>10.4} {:>6.2}%", m.loss, 100.0 * m.accuracy),
        None => format!("{:>10} {:>7}", "-", "-"),
    };
    format!(
        "{:>5} {:>7} {} {} {} {:>9.3e} {:>8.1}",
        e.epoch,
        e.step,
        split(Some(e.train)),
        split(e.validation),
        split(e.test),
        e.lr,
        e.wall_s
    )
}
