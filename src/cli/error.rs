//! Errors of the command line, each with the exit code a script can test.

use std::path::PathBuf;

use thiserror::Error;

/// What can stop a command.
#[derive(Debug, Error)]
pub enum CliError {
    /// Models, data, weights, partitions: the input named in the message is wrong.
    #[error("{0}")]
    Nets(#[from] jetnewton_nets::NetsError),
    /// An op refused its operands (shapes, ranges).
    #[error("{0}")]
    Engine(#[from] jetnewton_engine::EngineError),
    /// A kernel or the GPU refused or failed.
    #[error("{0}")]
    Kernel(#[from] jetnewton_kernels::KernelError),
    /// A computation resident on the GPU could not be set up.
    #[error("{0}")]
    Resident(#[from] crate::resident::ResidentError),
    /// A flag whose value does not make sense.
    #[error("--{flag}: {reason}")]
    Flag {
        /// The flag, without dashes.
        flag: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// A file that cannot be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A training run that cannot start, continue or finish.
    #[error("{0}")]
    Train(#[from] crate::train::TrainError),
    /// Pictures that cannot be drawn from a run directory.
    #[error("{0}")]
    Report(#[from] crate::report::ReportError),
    /// A computation that came out non-finite from finite inputs (values that overflow at these weights).
    #[error("{0}")]
    NonFinite(String),
    /// Output that cannot be serialised.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    /// 2 for bad input (flags, files, shapes): the convention of command-line tools, and clap's own for usage.
    /// 1 for a run that diverged or stalled, or a computation that overflowed (the input was well-formed; the
    /// optimiser gave up or the numbers gave out).
    /// 130 for a run stopped by a signal (128 + SIGINT, whatever the signal: see [`crate::train::interrupt`]).
    pub fn exit_code(&self) -> u8 {
        use crate::train::TrainError;
        match self {
            CliError::Train(TrainError::Diverged { .. } | TrainError::Stalled { .. })
            | CliError::NonFinite(_) => 1,
            CliError::Train(TrainError::Interrupted { .. }) => crate::train::interrupt::EXIT_CODE,
            _ => 2,
        }
    }
}

/// Result alias of the command line.
pub type Result<T> = std::result::Result<T, CliError>;
