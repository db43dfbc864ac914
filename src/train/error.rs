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
