//! Every op of the engine, one file (or folder) each, with its forward, jet, vjp and jet-vjp rules side by side.
//!
//! | kind | ops |
//! |---|---|
//! | linear | [`add::Add`], [`add::Sub`], [`add::Scale`], [`broadcast::Broadcast`], [`broadcast::SumTo`], [`reshape::Reshape`], [`gather::Gather`] (max-pooling too), [`gather::ScatterAdd`], [`pool::AvgPool2d`], [`pool::AvgPool2dAdjoint`] |
//! | bilinear | [`mul::Mul`], [`matmul::MatMul`], [`conv::Conv2d`], [`conv::Conv2dInputGrad`], [`conv::Conv2dWeightGrad`] |
//! | elementwise from derivatives | [`elementwise::Unary`] (tanh, sigmoid, ELU, ReLU, exp, log, polynomials) |
//! | composite | [`log_softmax::LogSoftmax`] |

pub mod add;
pub mod bilinear;
pub mod broadcast;
pub mod conv;
pub mod elementwise;
pub mod gather;
pub mod linear;
pub mod log_softmax;
pub mod matmul;
pub mod mul;
pub mod pool;
pub mod reshape;
