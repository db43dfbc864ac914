//! The summaries of the paper: for parameter groups `1..S`, a direction `u` and a batch,
//!
//! ```text
//! gbar[s]    = <∇L, u_s>               D¹, an S-vector
//! hbar[s][t] = u_sᵀ ∇²L u_t            D², S×S, symmetric
//! d3[s]      = ∇³L[u_s, u_s, u_s]       the diagonal of D³
//! ```
//!
//! where `u_s` is `u` restricted to group `s`. [`jet_summaries`] computes them with one jet pass per group sharing
//! the order-0 work; [`double_backward_summaries`] with reverse-over-reverse differentiation (the paper's code
//! path), kept as the baseline and an independent oracle. [`taylor_terms`] and [`full_d3`] give the general orders.

mod double_backward;
mod jets;
mod problem;
mod symmetric;
mod taylor;

pub use double_backward::double_backward_summaries;
pub use jets::{jet_summaries, symmetrise};
pub use problem::{gradient_direction, Direction, Groups, Summaries, SummaryOptions};
pub use symmetric::{multi_indices, symmetric_derivative, MAX_SYMMETRIC_ORDER};
pub use taylor::{full_d3, taylor_terms};
