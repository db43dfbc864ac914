//! The engine's error type: one enum with named fields, so a caller can match on what went wrong.

use thiserror::Error;

/// Everything the engine can refuse to do.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngineError {
    /// Two operands whose shapes do not fit together.
    #[error("shape mismatch in {op}: {lhs:?} vs {rhs:?}")]
    ShapeMismatch {
        /// The operation that was attempted.
        op: &'static str,
        /// Shape of the left (first) operand.
        lhs: Vec<usize>,
        /// Shape of the right (second) operand.
        rhs: Vec<usize>,
    },
    /// An operand whose rank or layout the operation cannot accept.
    #[error("invalid shape for {op}: {shape:?} ({reason})")]
    InvalidShape {
        /// The operation that was attempted.
        op: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
        /// What the operation expected instead.
        reason: String,
    },
    /// The number of elements does not match the shape.
    #[error("data of length {len} cannot have shape {shape:?} ({expected} elements)")]
    DataLength {
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements that shape holds.
        expected: usize,
        /// Elements supplied.
        len: usize,
    },
    /// An index (label, gather index, …) outside its range.
    #[error("index {index} out of range {bound} in {op}")]
    IndexOutOfRange {
        /// The operation that was attempted.
        op: &'static str,
        /// The offending index.
        index: usize,
        /// The exclusive upper bound.
        bound: usize,
    },
    /// A node id that does not belong to the graph, or is used where it cannot be.
    #[error("invalid node {node}: {reason}")]
    InvalidNode {
        /// The node id.
        node: usize,
        /// Why it cannot be used.
        reason: String,
    },
    /// A parameter partition or direction that does not fit the parameters.
    #[error("invalid partition: {reason}")]
    InvalidPartition {
        /// What is wrong with it.
        reason: String,
    },
    /// A direction whose tensors do not match the parameters.
    #[error("direction for parameter `{name}`: {reason}")]
    InvalidDirection {
        /// The parameter name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An operand handle ([`crate::Var`]) of another graph than the one the operation is built on.
    #[error(
        "{op}: operand {operand} belongs to another graph (build every operand on the same Graph)"
    )]
    ForeignVar {
        /// The operation that was attempted.
        op: &'static str,
        /// Which operand (1 = the first after `self`).
        operand: usize,
    },
    /// A node used as a loss (differentiated, or summarised) that is not a scalar.
    #[error("{what}: the loss (node {node}) must be a scalar, it has shape {shape:?}; reduce it first (e.g. `.sum()`)")]
    NotScalar {
        /// The function that needs a scalar loss.
        what: &'static str,
        /// The node given as the loss.
        node: usize,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// Anything else an operation cannot accept, with the reason.
    #[error("{op}: {reason}")]
    Invalid {
        /// The operation that was attempted.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The installed matrix-product device failed; the failed product was computed on the CPU instead.
    #[error("device {device} failed: {message}")]
    Device {
        /// The device, as it describes itself.
        device: String,
        /// What failed.
        message: String,
    },
}

/// Result alias used throughout the engine.
pub type Result<T> = std::result::Result<T, EngineError>;
