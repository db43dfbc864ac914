//! Training runs: [`TrainConfig`] (TOML, every default filled in), [`train`] and [`resume`], which leave a run
//! directory (see [`crate::run`]) with records, `hbar` snapshots, checkpoints and the final weights.
//!
//! ```no_run
//! use jetnewton::train::{train, Silent, TrainConfig};
//! # fn main() -> Result<(), jetnewton::train::TrainError> {
//! let config = TrainConfig { epochs: 2, ..TrainConfig::default() }; // MLP, embedded digits, Method 1
//! let outcome = train(&config, "runs/example".as_ref(), &mut Silent)?;
//! println!("final training loss {}", outcome.epochs.last().unwrap().train.loss);
//! # Ok(()) }
//! ```

mod build;
mod config;
mod data;
mod error;
mod eval;
pub mod footprint;
pub mod guard;
mod identity;
pub mod interrupt;
mod inverse;
mod memory;
mod observer;
mod placement;
pub mod probe;
mod recorder;
mod restore;
mod save_dtype;
mod session;
mod setup;
mod start;

pub use build::{check_hyper_parameters, method1_config, optimizer};
pub use config::{
    DatasetKind, GuardConfig, NewtonConfig, OptimizerKind, ScheduleKind, TrainConfig, TrainDtype,
    MAX_SUMMARY_AVERAGE,
};
pub use data::{load as load_data, RunData};
pub use error::{Result, TrainError};
pub use eval::evaluate;
pub use inverse::invert;
pub use memory::peak_rss_mib;
pub use observer::{Observer, Silent};
pub use save_dtype::SaveDtype;
pub use session::RunOutcome;
pub use start::{resume, resume_longer, train, train_into, Longer};
