//! Optimisers built on `jetnewton-engine`: Method 1 (the paper's algorithm 4) with its cubic-regularised solver,
//! SGD, Adam and K-FAC.
//!
//! Every optimiser implements [`Optimizer`]: it updates parameters given as `&mut [Tensor<F>]` in the fixed order
//! of its [`ParamLayout`] (names and shapes), asking an [`Oracle`] — the training loop's side: model, data and
//! samplers — for the loss and gradient and, for Method 1, the summaries `gbar`, `hbar`, `d3` along a direction
//! for groups of parameter indices, and for K-FAC the layers' Kronecker factors. Its whole state is an
//! [`OptimizerState`] of named numbers, and restoring it continues bit for bit.
//!
//! - [`Sgd`] and [`Adam`]: PyTorch's semantics and defaults;
//! - [`Kfac`]: KFAC-Pytorch's semantics and defaults (learning rate aside, see [`KfacConfig::lr`]);
//! - [`Method1`]: algorithm 4 with table 2's defaults ([`Method1Config::paper`]), the diagonal approximation
//!   (appendix L), the unregularised variant, a self-tuning schedule of `λ_int` and `λ_t`
//!   ([`Schedule::Adaptive`], [`Method1Config::adaptive`]) and averaged summaries;
//! - [`ReduceLrOnPlateau`], [`PlateauSchedule`]: PyTorch's plateau scheduler, called periodically on mean losses;
//! - [`solver`]: the cubic-regularised solver of Method 1's step sizes.

mod adam;
mod error;
mod kfac;
mod layout;
pub mod method1;
mod optimizer;
mod oracle;
mod plateau;
mod sgd;
pub mod solver;
mod state;
mod step_values;
#[cfg(test)]
mod test_support;

pub use adam::{Adam, AdamConfig};
/// The optimisers' result type. Not exported as `Result`, so that glob imports of `jetnewton_engine` (whose
/// `Result` is the engine's) and of this crate do not clash.
pub use error::{OptimError, Result as OptimResult};
/// The engine types the [`Oracle`] trait's signatures use, so that `optim` alone is enough for the common case.
pub use jetnewton_engine::summaries::{Direction, Groups, Summaries, SummaryOptions};
/// The engine types the [`Oracle`] trait's signatures use.
pub use jetnewton_engine::{Float, Graph, NodeId, Tensor};
pub use kfac::{Kfac, KfacConfig, KfacGradient, KfacLayerStats};
pub use layout::ParamLayout;
pub use method1::{
    AdamMoments, AdaptiveConfig, DirectionRule, EtaUpdate, Method1, Method1Config, Method1Report,
    Schedule, SummariesReport,
};
pub use optimizer::{Optimizer, StepReport};
pub use oracle::{engine_gradient, engine_loss, engine_summaries, Oracle};
pub use plateau::{PlateauConfig, PlateauSchedule, ReduceLrOnPlateau, ThresholdMode};
pub use sgd::{Sgd, SgdConfig};
pub use state::{OptimizerState, StateTensor};
pub use step_values::{FaultKind, StepFault, StepValues};
