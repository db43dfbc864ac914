//! # jetnewton
//!
//! Newton's method adapted to neural networks through a summary of higher-order derivatives, without a deep-learning
//! framework underneath. The crates:
//!
//! - [`engine`]: tensors, ops, the reverse-mode tape, Taylor-mode jets, and the summaries (gbar, hbar, diag D³) by
//!   jets or by double backward;
//! - [`nets`]: the paper's models, partitions of their parameters, data sets, safetensors exchange;
//! - [`optim`]: the optimisers.
//!
//! This crate adds the `jetnewton` command line ([`cli`]).

pub mod cli;
pub mod eta;
pub mod oracle;
pub mod report;
pub mod resident;
pub mod resources;
pub mod run;
pub mod train;
pub mod workload;

pub use jetnewton_engine as engine;
pub use jetnewton_nets as nets;
pub use jetnewton_optim as optim;
