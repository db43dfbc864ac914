//! Run directories: the records a training run leaves ([`records`]), how they are written ([`RunDir`]), and
//! checkpoints ([`checkpoint`]), all written so that a run killed at any instant loses nothing but the steps since
//! its last checkpoint.

pub mod atomic;
pub mod checkpoint;
pub mod claim;
pub mod dir;
pub mod lock;
pub mod records;

pub use dir::RunDir;
