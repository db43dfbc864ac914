//! [`Observer`]: how a training session tells the outside world what it does (progress bars, JSON logs, or
//! nothing), without the session knowing which.

use crate::run::records::{EpochRecord, RunInfo, StepRecord};

/// Receives a session's events. Every method has an empty default.
pub trait Observer {
    /// The session starts: `done` of `total` steps are behind it (0 for a fresh run).
    fn start(&mut self, _info: &RunInfo, _total: u64, _done: u64) {}
    /// A step was taken (or rejected).
    fn step(&mut self, _record: &StepRecord) {}
    /// An epoch ended and was evaluated (epoch 0: the initialisation).
    fn epoch(&mut self, _record: &EpochRecord) {}
    /// Something a person should read (a rejected step).
    fn note(&mut self, _message: &str) {}
    /// The session ends, successfully or not.
    fn finish(&mut self) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {}
