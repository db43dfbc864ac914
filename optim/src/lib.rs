//! Optimisers built on `jetnewton-engine`: Method 1 (the paper's algorithm 4), SGD, Adam and K-FAC.
//!
//! This crate is a placeholder until the optimiser issue lands; it only re-exports the engine so that the workspace
//! layout of the design notes exists from the start.

pub use jetnewton_engine as engine;
