//! Every op of the engine, one file (or folder) each, with its forward, jet, vjp and jet-vjp rules side by side.
//!
//! | kind | ops |
//! |---|---|
//! | linear | [`add::Add`], [`add::Sub`], [`add::Scale`], [`broadcast::Broadcast`], [`broadcast::SumTo`], [`reshape::Reshape`], [`gather::Gather`], [`gather::ScatterAdd`] |
//! | bilinear | [`mul::Mul`], [`matmul::MatMul`] |
//! | elementwise from derivatives | [`elementwise::Unary`] (tanh, sigmoid, ELU, ReLU, exp, log, polynomials) |
//! | composite | [`log_softmax::LogSoftmax`] |

pub mod add;
pub mod broadcast;
pub mod conv;
pub mod elementwise;
pub mod gather;
pub mod log_softmax;
pub mod matmul;
pub mod mul;
pub mod pool;
pub mod reshape;
