//! [`Claim`]: taking a run directory for one session, so that nothing is ever deleted that jetnewton cannot prove
//! it created.
//!
//! A run directory made by jetnewton holds a marker file, [`MARKER`], written before anything else and holding
//! the run's id. Only a directory with that marker is ever cleaned, and only of the files a run writes (the names
//! in [`crate::run::dir::files`] and this module's); whatever else a user put there stays. A fresh run goes into
//! a directory that does not exist, an empty one, or one of jetnewton's that stopped before its first checkpoint
//! (then it starts again in place); any other directory is refused.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::run::dir::files;
use crate::run::lock::{LockError, RunLock, LOCK_FILE};

/// The marker of a directory that jetnewton created for a run; it holds the run id.
pub const MARKER: &str = ".jetnewton-run";

/// Why a directory cannot be taken for a run.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Locked by another process.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A run with a checkpoint (or one jetnewton cannot prove it made) is there already.
    #[error(
        "run directory {0}: already holds a run (resume it with --resume, or choose another --run-dir)"
    )]
    HoldsRun(PathBuf),
    /// A directory with other files in it.
    #[error(
        "run directory {0}: not empty and not a jetnewton run directory; jetnewton only writes runs into new or \
         empty directories (choose another --run-dir, --out or name)"
    )]
    Foreign(PathBuf),
    /// The path names a file, not a directory.
    #[error("run directory {0}: exists and is not a directory")]
    NotADirectory(PathBuf),
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClaimError + '_ {
    move |source| ClaimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A run directory locked by this process for one session.
#[derive(Debug)]
pub struct Claim {
    lock: RunLock,
    /// This process created the directory itself.
    created_dir: bool,
}

impl Claim {
    /// Takes `dir` for a fresh run: creates it if need be, locks it, and checks that it is new, empty, or a
    /// jetnewton run that never reached a checkpoint (whose files are then removed, to start again in place).
    pub fn fresh(dir: &Path) -> Result<Self, ClaimError> {
        Self::fresh_or_replacing(dir, false)
    }

    /// [`Claim::fresh`], but a jetnewton run with a checkpoint is removed too (`compare --force`): only its
    /// files, and only in a directory carrying the marker.
    pub fn replacing(dir: &Path) -> Result<Self, ClaimError> {
        Self::fresh_or_replacing(dir, true)
    }

    fn fresh_or_replacing(dir: &Path, replace: bool) -> Result<Self, ClaimError> {
        if dir.exists() && !dir.is_dir() {
            return Err(ClaimError::NotADirectory(dir.to_path_buf()));
        }
        let created_dir = !dir.exists();
        fs::create_dir_all(dir).map_err(io(dir))?;
        let claim = Self {
            lock: RunLock::acquire(dir)?,
            created_dir,
        };
        if claim.is_ours() {
            if dir.join(files::CHECKPOINT).exists() && !replace {
                return Err(ClaimError::HoldsRun(dir.to_path_buf()));
            }
            claim.remove_run_files()?;
        } else if dir.join(files::RUN).exists() || dir.join(files::CHECKPOINT).exists() {
            return Err(ClaimError::HoldsRun(dir.to_path_buf()));
        } else if !claim.is_empty()? {
            return Err(ClaimError::Foreign(dir.to_path_buf()));
        }
        Ok(claim)
    }

    /// Takes an existing run directory to continue it (the caller checks what it holds).
    pub fn existing(dir: &Path) -> Result<Self, ClaimError> {
        Ok(Self {
            lock: RunLock::acquire(dir)?,
            created_dir: false,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        self.lock.dir()
    }

    /// Whether the directory carries jetnewton's marker.
    pub fn is_ours(&self) -> bool {
        self.dir().join(MARKER).is_file()
    }

    /// The run id in the marker, if there is one.
    pub fn marked_id(&self) -> Option<String> {
        fs::read_to_string(self.dir().join(MARKER))
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Writes the marker with the run's id: the first file of a new run.
    pub fn mark(&self, run_id: &str) -> Result<(), ClaimError> {
        let path = self.dir().join(MARKER);
        crate::run::atomic::write_atomic(&path, format!("{run_id}\n").as_bytes()).map_err(io(&path))
    }

    fn is_empty(&self) -> Result<bool, ClaimError> {
        let dir = self.dir();
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            if entry.file_name() != LOCK_FILE {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Removes the files a run writes (never anything else), in a directory carrying the marker; the marker goes
    /// last, so that a crash half-way leaves a directory that is still recognisably jetnewton's.
    pub fn remove_run_files(&self) -> Result<(), ClaimError> {
        let dir = self.dir();
        if !self.is_ours() {
            return Ok(());
        }
        for name in [
            files::CONFIG,
            files::RUN,
            files::STEPS,
            files::EPOCHS,
            files::CHECKPOINT,
            files::FINAL_WEIGHTS,
            files::PROBES,
            files::PROBE_SET,
            files::PROBE_DIRECTION,
        ] {
            remove_file(&dir.join(name))?;
        }
        remove_matching(&dir.join(files::HBAR_DIR), |n| {
            n.starts_with("epoch-") && n.ends_with(".json")
        })?;
        remove_matching(&dir.join(files::PLOTS_DIR), is_plot_name)?;
        // Temporary files of an atomic write that a kill interrupted.
        remove_matching(dir, |n| n.starts_with('.') && n.ends_with(".tmp"))?;
        remove_file(&dir.join(MARKER))
    }

    /// Undoes a fresh run that failed before its first checkpoint: its files go, and the directory too if this
    /// process created it and nothing else is left in it.
    pub fn abandon(self) {
        if self.dir().join(files::CHECKPOINT).exists() {
            return;
        }
        if self.remove_run_files().is_err() {
            return;
        }
        let dir = self.dir().to_path_buf();
        if self.created_dir && self.is_empty().unwrap_or(false) {
            let _ = fs::remove_file(dir.join(LOCK_FILE));
            // Fails, harmlessly, if another process put something there meanwhile.
            let _ = fs::remove_dir(&dir);
        }
    }
}

/// The names `jetnewton report` gives its pictures.
fn is_plot_name(name: &str) -> bool {
    matches!(
        name,
        "loss.png" | "accuracy.png" | "eta.png" | "step-size.png" | "probe-eta.png"
    ) || ((name.starts_with("hbar-epoch-") || name.starts_with("probe-hbar-step-"))
        && name.ends_with(".png"))
}

fn remove_file(path: &Path) -> Result<(), ClaimError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(io(path)(e)),
        _ => Ok(()),
    }
}

/// Removes the regular files of `dir` whose names pass `wanted`, then `dir` itself if that emptied it and it is
/// the run's `hbar/` or `plots/` folder.
fn remove_matching(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<(), ClaimError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let is_file = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        if is_file && entry.file_name().to_str().is_some_and(&wanted) {
            remove_file(&entry.path())?;
        }
    }
    if dir.file_name().is_some_and(|n| {
        n == std::ffi::OsStr::new(files::HBAR_DIR) || n == std::ffi::OsStr::new(files::PLOTS_DIR)
    }) {
        // Only if empty: a user's file kept there keeps the folder.
        let _ = fs::remove_dir(dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_folder_is_refused_and_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("mine");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("config.toml"), "precious").unwrap();
        let e = Claim::fresh(&dir).unwrap_err();
        assert!(matches!(e, ClaimError::Foreign(_)), "{e}");
        assert_eq!(fs::read(dir.join("config.toml")).unwrap(), b"precious");
    }

    #[test]
    fn abandon_removes_only_run_files_and_only_a_created_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        let claim = Claim::fresh(&dir).unwrap();
        claim.mark("abc").unwrap();
        fs::write(dir.join(files::CONFIG), "x").unwrap();
        fs::create_dir(dir.join(files::PLOTS_DIR)).unwrap();
        fs::write(dir.join(files::PLOTS_DIR).join("loss.png"), "x").unwrap();
        fs::write(dir.join(files::PLOTS_DIR).join("mine.png"), "keep").unwrap();
        claim.abandon();
        assert!(dir.join(files::PLOTS_DIR).join("mine.png").exists());
        assert!(!dir.join(files::CONFIG).exists() && !dir.join(MARKER).exists());

        let gone = root.path().join("gone");
        let claim = Claim::fresh(&gone).unwrap();
        claim.mark("abc").unwrap();
        fs::write(gone.join(files::STEPS), "x").unwrap();
        claim.abandon();
        assert!(!gone.exists());
    }

    #[test]
    fn a_run_without_checkpoint_starts_again_in_place_but_one_with_a_checkpoint_is_kept() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("run");
        let claim = Claim::fresh(&dir).unwrap();
        claim.mark("abc").unwrap();
        fs::write(dir.join(files::RUN), "{}").unwrap();
        drop(claim);
        let claim = Claim::fresh(&dir).unwrap();
        assert!(!dir.join(files::RUN).exists() && !claim.is_ours());
        claim.mark("def").unwrap();
        fs::write(dir.join(files::CHECKPOINT), "x").unwrap();
        drop(claim);
        assert!(matches!(
            Claim::fresh(&dir).unwrap_err(),
            ClaimError::HoldsRun(_)
        ));
        assert!(dir.join(files::CHECKPOINT).exists());
    }
}
