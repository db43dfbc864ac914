//! Jets: truncated Taylor series of tensors, and the rules, grouped by kind, that propagate them.
//!
//! # Coefficient convention
//!
//! A jet of order `K` stands for the curve `x(t) = x₀ + x₁ t + x₂ t² + … + x_K t^K`: coefficient `k` holds the k-th
//! derivative along `t` **divided by k!** (normalised Taylor coefficients, as in Griewank & Walther ch. 13 and JAX's
//! `jet`). Products are then plain Cauchy products `(ab)_k = Σ_{i+j=k} a_i b_j`, with no binomial factors.
//!
//! A coefficient that is exactly zero is stored as `None` — a tag, not a tensor of zeros — and every rule skips the
//! work it would have fed. This is what makes a pass for a parameter group free below the group's first layer.
//!
//! Cotangent jets (the reverse sweep) use the same convention: `δ(t) = δ₀ + δ₁ t + …` is the gradient of the loss
//! with respect to a node along the curve `θ(t) = θ + t u`.

mod elementwise;
mod interpret;
mod rules;
pub mod series;

pub use elementwise::{unary_jet, unary_jet_order2, unary_jet_times, unary_jet_times_order2};
pub use interpret::{
    forward_jets, forward_jets_shared, reverse_jets, Contractions, ReverseJets, ReversePlan,
};
pub use rules::{bilinear_contract, bilinear_jet, linear_jet};
pub use series::Jet;
