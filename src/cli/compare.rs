//! `jetnewton compare CONFIG…`: trains several configs (each into its own run directory under `--out`) and
//! writes one comparison report: loss and accuracy curves of every run on shared axes, and a summary table.

use std::path::PathBuf;

use clap::Args;

use crate::cli::progress::{LogMode, TrainProgress};
use crate::cli::train::{in_file, install_signal_handlers, set_threads};
use crate::cli::{CliError, Result};
use crate::run::claim::ClaimError;
use crate::run::dir::files;
use crate::run::lock::RunLock;
use crate::run::records::{RunInfo, RunStatus};
use crate::train::{self, TrainConfig, TrainError};

/// Arguments of `jetnewton compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The configs to run (TOML, as for `jetnewton train --config`).
    #[arg(required = true, value_name = "CONFIG")]
    pub configs: Vec<PathBuf>,
    /// Directory of the runs and the report.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overrides applied to every config, as KEY=VALUE (`epochs=1`); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Train again even when a run of that name already completed in `--out`.
    #[arg(long)]
    pub force: bool,
    /// Progress display.
    #[arg(long, value_enum, default_value_t = LogMode::Bar)]
    pub log: LogMode,
}

/// Whether `dir` holds a completed run.
fn completed(dir: &std::path::Path) -> bool {
    std::fs::read(dir.join(files::RUN))
        .ok()
        .and_then(|b| serde_json::from_slice::<RunInfo>(&b).ok())
        .is_some_and(|i| i.status == RunStatus::Completed)
}

/// Runs `jetnewton compare`.
pub fn run(args: &CompareArgs, threads: Option<usize>) -> Result<()> {
    let mut configs = Vec::new();
    for path in &args.configs {
        let mut c = TrainConfig::from_file(path)?;
        for s in &args.set {
            c.set(s)?;
        }
        if threads.is_some() {
            c.threads = threads;
        }
        c.validate().map_err(|e| in_file(path, e))?;
        configs.push(c);
    }
    let mut names: Vec<String> = configs.iter().map(TrainConfig::run_slug).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(CliError::Flag {
            flag: "configs",
            reason: format!(
                "two configs are both named {:?}: give each a distinct `name`",
                w[0]
            ),
        });
    }
    set_threads(configs.iter().find_map(|c| c.threads))?;
    install_signal_handlers()?;
    if args.out.exists() && !args.out.is_dir() {
        return Err(CliError::Flag {
            flag: "out",
            reason: format!("{}: exists and is not a directory", args.out.display()),
        });
    }
    std::fs::create_dir_all(&args.out).map_err(|source| CliError::Io {
        path: args.out.clone(),
        source,
    })?;
    // Two comparisons into one directory would race for its runs and its report: the second one stops here.
    let _lock = RunLock::acquire(&args.out)
        .map_err(ClaimError::from)
        .map_err(TrainError::from)?;
    let mut dirs = Vec::new();
    for mut c in configs {
        c.threads = Some(rayon::current_num_threads());
        let dir = args.out.join(c.run_slug());
        let mut progress = TrainProgress::new(args.log);
        if args.force {
            // Only a directory jetnewton made is cleared, and only of a run's files (see `run::claim`).
            train::train_into(&c, &dir, true, &mut progress)?;
        } else if completed(&dir) {
            if args.log == LogMode::Bar {
                println!("{}: already trained in {}", c.run_name(), dir.display());
            }
        } else if dir.join(files::CHECKPOINT).exists() {
            train::resume(&dir, &mut progress)?;
        } else {
            // New, or a run stopped before its first checkpoint (started again in place).
            train::train(&c, &dir, &mut progress)?;
        }
        dirs.push(dir);
    }
    let written = crate::report::plot_compare(&dirs, &args.out).map_err(CliError::from)?;
    if args.log != LogMode::Quiet {
        for p in written {
            println!("{}", p.display());
        }
    }
    Ok(())
}
