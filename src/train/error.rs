//! [`TrainError`]: what can stop a training run, each naming the file, key or step at fault.

use std::path::PathBuf;

use thiserror::Error;

/// An error of `jetnewton train` and its records.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A config file that cannot be parsed (syntax, unknown key, wrong type).
    #[error("{path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// toml's message, with the key and line.
        reason: String,
    },
    /// A config value outside its domain.
    #[error("config key `{key}`: {reason}")]
    Value {
        /// The key (`newton.lr`).
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A run whose estimated memory is more than the machine's, refused before anything of its size is
    /// allocated; the message lists the estimate's parts from the largest, each with its key.
    #[error("{key}: {reason}")]
    TooLarge {
        /// The key (with its flag and value) of the largest part.
        key: String,
        /// The estimate, the machine's memory, and every part that counts.
        reason: String,
    },
    /// A file or directory that cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Models, data, partitions, weights.
    #[error("{0}")]
    Nets(#[from] jetnewton_nets::NetsError),
    /// An optimiser's or oracle's error.
    #[error("{0}")]
    Optim(#[from] jetnewton_optim::OptimError),
    /// An op refused its operands.
    #[error("{0}")]
    Engine(#[from] jetnewton_engine::EngineError),
    /// A checkpoint that cannot be used.
    #[error("checkpoint {path}: {reason}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A run directory that cannot be resumed or reported.
    #[error("run directory {path}: {reason}")]
    RunDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The numerical guard gave up.
    #[error(
        "training diverged at step {step}: {reason}; the last good checkpoint is in {checkpoint}"
    )]
    Diverged {
        /// The step.
        step: u64,
        /// The last rejection's reason.
        reason: String,
        /// Where the last good state was saved.
        checkpoint: PathBuf,
    },
    /// Method 1's solver failed the same way at every retry: `hbar` is singular on groups whose `d3` vanishes,
    /// so no step size helps (the loss has not moved).
    #[error(
        "Method 1 cannot take a step at step {step}: {reason}. Halving the step size cannot help: hbar is \
         singular on groups whose d3 vanishes (typically vanishing gradients, or units that never activate). \
         Remedies: a coarser partition that merges those groups (--partition weights-biases or trivial), \
         another initialisation (--seed) or model, or newton-diag; the last good checkpoint is in {checkpoint}"
    )]
    Stalled {
        /// The step.
        step: u64,
        /// The solver's error.
        reason: String,
        /// Where the last good state was saved.
        checkpoint: PathBuf,
    },
    /// A signal stopped the run.
    #[error("interrupted by a signal {}", interrupted_where(*.step, .checkpoint.as_deref()))]
    Interrupted {
        /// The steps done, when the run had started.
        step: Option<u64>,
        /// The checkpoint written, to resume from.
        checkpoint: Option<PathBuf>,
    },
    /// The run directory cannot be taken (locked, not jetnewton's, already holding a run).
    #[error("{0}")]
    Claim(#[from] crate::run::claim::ClaimError),
}

fn interrupted_where(step: Option<u64>, checkpoint: Option<&std::path::Path>) -> String {
    match (step, checkpoint) {
        (Some(step), Some(ck)) => {
            let dir = ck.parent().unwrap_or(ck);
            format!(
                "after step {step}: checkpoint written to {}; continue with `jetnewton train --resume {}`",
                ck.display(),
                dir.display()
            )
        }
        _ => "before the run started: nothing was written".into(),
    }
}

impl TrainError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// Result alias of training.
pub type Result<T> = std::result::Result<T, TrainError>;
