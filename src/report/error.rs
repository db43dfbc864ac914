//! What can stop `jetnewton report`: every variant names the file it is about.

use std::path::PathBuf;

use thiserror::Error;

/// Why pictures could not be made.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The directory holds no `run.json`, so it is not a run directory (or the run never started).
    #[error("{}: not a run directory (no run.json)", dir.display())]
    MissingRunInfo {
        /// The directory given.
        dir: PathBuf,
    },
    /// A file that cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A whole-file JSON record (`run.json`, an hbar snapshot) that does not parse.
    #[error("{}: not a valid record: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde_json found.
        source: serde_json::Error,
    },
    /// A line of a `.jsonl` file that does not parse and is not a truncated last line.
    #[error("{}, line {line}: corrupted record: {source}", path.display())]
    CorruptedLine {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What serde_json found.
        source: serde_json::Error,
    },
    /// An hbar snapshot whose matrices do not match the run's groups.
    #[error("{}: {reason}", path.display())]
    BadSnapshot {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Plotters refused to draw.
    #[error("{}: drawing failed: {reason}", path.display())]
    Draw {
        /// The picture being drawn.
        path: PathBuf,
        /// Plotters' message.
        reason: String,
    },
    /// The PNG encoder failed.
    #[error("{}: PNG encoding failed: {source}", path.display())]
    Png {
        /// The picture being written.
        path: PathBuf,
        /// The encoder's error.
        source: png::EncodingError,
    },
    /// The font compiled into the binary was rejected (a build problem, not an input problem).
    #[error("the embedded font could not be loaded")]
    Font,
    /// A comparison of no runs.
    #[error("no run directories given")]
    NoRuns,
}

impl ReportError {
    /// An I/O error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
