//! Reading a run directory (the format of [`crate::run::records`]) into memory, tolerating the partial files of a
//! run that is still going or was killed.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::error::ReportError;
use crate::run::records::{EpochRecord, HbarSnapshot, ProbeRecord, RunInfo, StepRecord};

/// The file names inside a run directory (see the table in [`crate::run::records`]).
pub use crate::run::dir::files;

/// A run directory read into memory.
#[derive(Clone, Debug)]
pub struct Run {
    /// The directory.
    pub dir: PathBuf,
    /// `run.json`.
    pub info: RunInfo,
    /// `steps.jsonl`, by step (empty when the file does not exist yet).
    pub steps: Vec<StepRecord>,
    /// `epochs.jsonl`, by epoch (empty when the file does not exist yet).
    pub epochs: Vec<EpochRecord>,
    /// The epochs that have an hbar snapshot, ascending.
    pub hbar_epochs: Vec<u32>,
    /// `probes.jsonl`, by step (empty for a run without probes).
    pub probes: Vec<ProbeRecord>,
}

impl Run {
    /// Reads the run directory `dir`. Snapshots are only listed here; [`Run::load_hbar`] reads one.
    ///
    /// # Errors
    ///
    /// [`ReportError::MissingRunInfo`] without `run.json`; [`ReportError::Json`] or
    /// [`ReportError::CorruptedLine`] for a record that does not parse; [`ReportError::Io`] for a file that
    /// cannot be read.
    pub fn load(dir: &Path) -> Result<Self, ReportError> {
        let info_path = dir.join(files::RUN);
        let info_text = match fs::read(&info_path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(ReportError::MissingRunInfo {
                    dir: dir.to_path_buf(),
                })
            }
            Err(e) => return Err(ReportError::io(info_path, e)),
        };
        let info: RunInfo =
            serde_json::from_slice(&info_text).map_err(|source| ReportError::Json {
                path: info_path,
                source,
            })?;
        // A resumed run rewrites the records after its checkpoint: keep the last record of each step and epoch.
        let steps = last_by_key(read_jsonl(&dir.join(files::STEPS))?, |s: &StepRecord| {
            s.step
        });
        let epochs = last_by_key(read_jsonl(&dir.join(files::EPOCHS))?, |e: &EpochRecord| {
            u64::from(e.epoch)
        });
        let hbar_epochs = list_snapshots(&dir.join(files::HBAR_DIR))?;
        let probes = last_by_key(read_jsonl(&dir.join(files::PROBES))?, |p: &ProbeRecord| {
            p.step
        });
        Ok(Self {
            dir: dir.to_path_buf(),
            info,
            steps,
            epochs,
            hbar_epochs,
            probes,
        })
    }

    /// The path of the snapshot of `epoch`.
    pub fn hbar_path(&self, epoch: u32) -> PathBuf {
        self.dir
            .join(files::HBAR_DIR)
            .join(files::hbar_snapshot(epoch))
    }

    /// Reads the snapshot of `epoch`.
    ///
    /// # Errors
    ///
    /// [`ReportError::Io`] or [`ReportError::Json`], naming the snapshot's file.
    pub fn load_hbar(&self, epoch: u32) -> Result<HbarSnapshot, ReportError> {
        let path = self.hbar_path(epoch);
        let bytes = fs::read(&path).map_err(|e| ReportError::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(|source| ReportError::Json { path, source })
    }

    /// Seconds of training recorded so far (the later of the last step and the last epoch).
    pub fn wall_s(&self) -> Option<f64> {
        let step = self.steps.last().map(|s| s.wall_s);
        let epoch = self.epochs.last().map(|e| e.wall_s);
        match (step, epoch) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Reads one record per line. Blank lines are skipped. A last line without its newline is a write cut short by a
/// kill: it is kept when it parses and skipped otherwise. Any other line that does not parse is an error naming
/// the file and the line. A missing file reads as no records (the run has not written one yet).
///
/// # Errors
///
/// [`ReportError::CorruptedLine`] as above; [`ReportError::Io`] for a file that cannot be read.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReportError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ReportError::io(path, e)),
    };
    let complete = bytes.last() == Some(&b'\n');
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = lines.len() - 1;
    let mut records = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(line) {
            Ok(record) => records.push(record),
            Err(_) if i == last && !complete => {}
            Err(source) => {
                return Err(ReportError::CorruptedLine {
                    path: path.to_path_buf(),
                    line: i + 1,
                    source,
                })
            }
        }
    }
    Ok(records)
}

/// The epochs of the `epoch-NNNN.json` files in `dir`, ascending; other files (such as the hidden temporary files
/// of an atomic write) are ignored, and a missing directory has none.
fn list_snapshots(dir: &Path) -> Result<Vec<u32>, ReportError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ReportError::io(dir, e)),
    };
    let mut epochs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(dir, e))?;
        let name = entry.file_name();
        let epoch = name
            .to_str()
            .and_then(|n| n.strip_prefix("epoch-"))
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u32>().ok());
        if let Some(epoch) = epoch {
            epochs.push(epoch);
        }
    }
    epochs.sort_unstable();
    epochs.dedup();
    Ok(epochs)
}

/// The records ordered by `key`, keeping the last one written for each key.
fn last_by_key<T>(records: Vec<T>, key: impl Fn(&T) -> u64) -> Vec<T> {
    let mut by_key = BTreeMap::new();
    for record in records {
        by_key.insert(key(&record), record);
    }
    by_key.into_values().collect()
}
