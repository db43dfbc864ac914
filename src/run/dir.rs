//! [`RunDir`]: the directory a training run writes its records into.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::run::atomic::write_atomic;
use crate::run::records::{EpochRecord, HbarSnapshot, ProbeRecord, RunInfo, StepRecord};

/// An open run directory. Record files are appended to (a line per record, flushed at each line so that `tail
/// -f` follows); [`RunDir::sync`] makes them durable, and a checkpoint remembers their lengths so that a resumed
/// run can cut off the lines written after it.
pub struct RunDir {
    path: PathBuf,
    steps: BufWriter<File>,
    epochs: BufWriter<File>,
}

/// The file names inside a run directory.
pub mod files {
    /// The resolved config.
    pub const CONFIG: &str = "config.toml";
    /// [`crate::run::records::RunInfo`].
    pub const RUN: &str = "run.json";
    /// One [`crate::run::records::StepRecord`] per line.
    pub const STEPS: &str = "steps.jsonl";
    /// One [`crate::run::records::EpochRecord`] per line.
    pub const EPOCHS: &str = "epochs.jsonl";
    /// One probe per line (`train --probe-every N`).
    pub const PROBES: &str = "probes.jsonl";
    /// The probes' fixed set (`x`, `y`), as `jetnewton summaries --batch` reads it.
    pub const PROBE_SET: &str = "probe-set.safetensors";
    /// The direction of the latest probe, in the model's PyTorch names (`summaries --direction`).
    pub const PROBE_DIRECTION: &str = "probe-direction.safetensors";
    /// The latest checkpoint.
    pub const CHECKPOINT: &str = "checkpoint.safetensors";
    /// The final weights, in the model's PyTorch names.
    pub const FINAL_WEIGHTS: &str = "final.safetensors";
    /// `hbar` snapshots, `epoch-NNNN.json`.
    pub const HBAR_DIR: &str = "hbar";
    /// The name of epoch `epoch`'s snapshot inside [`HBAR_DIR`].
    pub fn hbar_snapshot(epoch: u32) -> String {
        format!("epoch-{epoch:04}.json")
    }
    /// Pictures.
    pub const PLOTS_DIR: &str = "plots";
}

impl RunDir {
    /// Creates a fresh run directory at `path` (which must not hold a run already) with its config and info.
    pub fn create(path: &Path, config_toml: &str, info: &RunInfo) -> std::io::Result<Self> {
        if path.join(files::RUN).exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "already holds a run (resume it with --resume, or choose another --run-dir)",
            ));
        }
        fs::create_dir_all(path.join(files::HBAR_DIR))?;
        write_atomic(&path.join(files::CONFIG), config_toml.as_bytes())?;
        let dir = Self::open_files(path, true)?;
        dir.write_info(info)?;
        Ok(dir)
    }

    /// Opens an existing run directory to continue it, cutting its record files to the lengths a checkpoint
    /// recorded (the lines after it belong to steps that will be redone).
    ///
    /// Every record file is checked before any is changed: one shorter than the checkpoint says lost lines that
    /// the checkpoint counts on (cut, replaced or copied from elsewhere), and is refused rather than padded.
    pub fn reopen(path: &Path, steps_len: u64, epochs_len: u64) -> std::io::Result<Self> {
        let records = [(files::STEPS, steps_len), (files::EPOCHS, epochs_len)];
        for (name, len) in records {
            let found = fs::metadata(path.join(name))?.len();
            if found < len {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{}: {found} bytes, shorter than the {len} the checkpoint recorded: records were cut \
                         or replaced after it, so this run cannot be resumed",
                        path.join(name).display()
                    ),
                ));
            }
        }
        for (name, len) in records {
            let file = OpenOptions::new().write(true).open(path.join(name))?;
            file.set_len(len)?;
            file.sync_all()?;
        }
        fs::create_dir_all(path.join(files::HBAR_DIR))?;
        Self::open_files(path, false)
    }

    fn open_files(path: &Path, truncate: bool) -> std::io::Result<Self> {
        let open = |name: &str| {
            let mut o = OpenOptions::new();
            if truncate {
                o.write(true).create(true).truncate(true);
            } else {
                o.append(true);
            }
            o.open(path.join(name)).map(BufWriter::new)
        };
        Ok(Self {
            path: path.to_path_buf(),
            steps: open(files::STEPS)?,
            epochs: open(files::EPOCHS)?,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rewrites `run.json` atomically.
    pub fn write_info(&self, info: &RunInfo) -> std::io::Result<()> {
        write_atomic(&self.path.join(files::RUN), &to_json_pretty(info)?)
    }

    /// Appends a step's record.
    pub fn append_step(&mut self, record: &StepRecord) -> std::io::Result<()> {
        append_line(&mut self.steps, record)
    }

    /// Appends an epoch's record.
    pub fn append_epoch(&mut self, record: &EpochRecord) -> std::io::Result<()> {
        append_line(&mut self.epochs, record)
    }

    /// Appends a probe's line to `probes.jsonl` (opened for each probe: probes are rare).
    pub fn append_probe(&mut self, line: &ProbeRecord) -> std::io::Result<()> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path.join(files::PROBES))?;
        append_line(&mut BufWriter::new(file), line)
    }

    /// Keeps the lines of `probes.jsonl` up to step `last_step` (a resumed run redoes the later ones), rewriting
    /// the file atomically; a line that does not parse (cut by a crash) goes too.
    pub fn cut_probes(&self, last_step: u64) -> std::io::Result<()> {
        let path = self.path.join(files::PROBES);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let kept: String = text
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v["step"].as_u64())
                    .is_some_and(|s| s <= last_step)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        write_atomic(&path, kept.as_bytes())
    }

    /// Writes `hbar/epoch-NNNN.json` atomically.
    pub fn write_hbar(&self, snapshot: &HbarSnapshot) -> std::io::Result<()> {
        let path = self
            .path
            .join(files::HBAR_DIR)
            .join(files::hbar_snapshot(snapshot.epoch));
        write_atomic(&path, &to_json_pretty(snapshot)?)
    }

    /// Flushes the record files to disk and returns their lengths `(steps, epochs)`, for a checkpoint.
    pub fn sync(&mut self) -> std::io::Result<(u64, u64)> {
        let mut lens = [0; 2];
        for (len, w) in lens.iter_mut().zip([&mut self.steps, &mut self.epochs]) {
            w.flush()?;
            w.get_ref().sync_all()?;
            *len = w.get_ref().metadata()?.len();
        }
        Ok((lens[0], lens[1]))
    }
}

fn to_json_pretty<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn append_line<T: Serialize>(w: &mut BufWriter<File>, record: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, record).map_err(std::io::Error::other)?;
    w.write_all(b"\n")?;
    w.flush()
}
