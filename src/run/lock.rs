//! [`RunLock`]: a run directory belongs to one process at a time.
//!
//! The lock is an advisory, exclusive `flock` on `DIR/.jetnewton.lock`, taken without waiting and held until the
//! [`RunLock`] is dropped (or the process dies: the kernel releases it, so a `kill -9` never leaves a directory
//! locked). Every command that writes into a run directory (`train`, `train --resume`, `compare`) takes it before
//! it reads or changes anything there, so two processes can never interleave their records, rename each other's
//! files or clean up each other's runs.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside a run directory.
pub const LOCK_FILE: &str = ".jetnewton.lock";

/// Why a directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "{dir}: in use by another jetnewton process (pid {holder}); wait for it to finish or choose another \
         directory"
    )]
    Busy {
        /// The directory.
        dir: PathBuf,
        /// The holder's process id as it wrote it into the lock file (`?` when unreadable).
        holder: String,
    },
    /// The lock file cannot be created or locked.
    #[error("{path}: cannot lock: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// An exclusive lock on a directory, released on drop.
#[derive(Debug)]
pub struct RunLock {
    // Held open for the lock's life: closing the file releases the `flock`.
    _file: File,
    dir: PathBuf,
}

impl RunLock {
    /// Locks `dir` (which must exist) without waiting.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        // Never truncate on open: a waiting process must not erase the holder's pid before it knows it lost.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "?".into());
                return Err(LockError::Busy {
                    dir: dir.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // For the message a second process prints; the lock itself is the flock, not this content.
        write_pid(&mut file).map_err(io)?;
        Ok(Self {
            _file: file,
            dir: dir.to_path_buf(),
        })
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    use std::io::{Seek, Write};
    file.set_len(0)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        let e = RunLock::acquire(dir.path()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("in use by another jetnewton process"), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
        drop(first);
        RunLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = RunLock::acquire(&dir.path().join("nope")).unwrap_err();
        assert!(e.to_string().contains(LOCK_FILE), "{e}");
    }
}
