//! The crate's error type: one enum with named fields, so a caller can match on what went wrong.
//!
//! Errors about a file carry its `path` and print it first; errors about a tensor name it; errors about a model or
//! partition spec quote the spec as written.

use std::io;
use std::path::PathBuf;

use jetnewton_engine::EngineError;
use thiserror::Error;

use crate::data::DataError;

/// Everything that can go wrong while describing, building, initialising, running, partitioning, loading or saving
/// a model.
#[derive(Debug, Error)]
pub enum NetsError {
    /// An error of the engine (shapes of ops, graph bookkeeping).
    #[error("engine: {source}")]
    Engine {
        /// The engine's error.
        #[from]
        source: EngineError,
    },
    /// An error of the data module.
    #[error("data: {source}")]
    Data {
        /// The data module's error.
        #[from]
        source: DataError,
    },
    /// A model spec (`mlp:784-1024-10:tanh`, …) that cannot be parsed.
    #[error("model spec {spec:?}: {reason}")]
    Spec {
        /// The spec as written.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A stack of layers whose shapes do not fit together, or that cannot produce the class scores.
    #[error("model: layer {layer} ({desc}): {reason}")]
    Model {
        /// Position of the offending layer in the stack (0-based, counting every layer).
        layer: usize,
        /// The layer, described.
        desc: String,
        /// What is wrong.
        reason: String,
    },
    /// A model description rejected as a whole (input shape, class count, no parameters).
    #[error("model: {reason}")]
    InvalidModel {
        /// What is wrong.
        reason: String,
    },
    /// A model whose scalar counts (parameters, one sample's activations, one tensor) overflow or pass
    /// [`crate::MAX_COUNT`]: refused before anything of that size is allocated.
    #[error("model: {reason}")]
    TooLarge {
        /// Which count, and its size.
        reason: String,
    },
    /// An input batch whose shape does not fit the model's input.
    #[error("input of shape {found:?} does not fit the model's input shape [B, {}] (B ≥ 1)", fmt_dims(.expected))]
    InputShape {
        /// The model's per-sample input shape.
        expected: Vec<usize>,
        /// The shape of the batch given.
        found: Vec<usize>,
    },
    /// Labels that do not fit the batch or the model's classes.
    #[error("labels: {reason}")]
    Labels {
        /// What is wrong.
        reason: String,
    },
    /// A parameter set that does not match the model (missing, extra or mis-shaped tensor).
    #[error("parameter `{name}`: {reason}")]
    Param {
        /// The tensor's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A partition spec that cannot be parsed.
    #[error("partition spec {spec:?}: {reason}")]
    PartitionSpec {
        /// The spec as written.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A partition that does not place a tensor in exactly one group.
    #[error("partition {partition}: tensor `{tensor}` {reason}")]
    Partition {
        /// The partition, as its spec.
        partition: String,
        /// The offending tensor.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// A file that cannot be read, written or renamed.
    #[error("{}: {action}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was attempted (`"cannot read"`, `"cannot rename into place"`, …).
        action: &'static str,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A file that is not valid safetensors (cut short, corrupt header, bad offsets).
    #[error("{}: not a valid safetensors file: {reason}", .path.display())]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        reason: String,
    },
    /// A tensor the file must hold is absent.
    #[error("{}: missing tensor `{name}` (the file holds: {})", .path.display(), .present.join(", "))]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The names the file does hold.
        present: Vec<String>,
    },
    /// A tensor the file must not hold (a name the model does not have).
    #[error("{}: unexpected tensor `{name}` (expected only: {})", .path.display(), .expected.join(", "))]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The names expected.
        expected: Vec<String>,
    },
    /// A tensor of the wrong shape.
    #[error("{}: tensor `{name}` has shape {found:?}, expected {expected}", .path.display())]
    TensorShape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The shape required, described (`[6, 1, 5, 5]`, `[B, 784]`).
        expected: String,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A tensor of a data type that cannot be read into what it must hold.
    #[error("{}: tensor `{name}` has dtype {found}, expected {expected}", .path.display())]
    TensorDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The data types accepted.
        expected: &'static str,
        /// The data type found.
        found: String,
    },
    /// A finite value too large for the float type a tensor is being written in.
    #[error("tensor `{name}`: {value} overflows {dtype}; save in a wider type")]
    Overflow {
        /// The tensor's name.
        name: String,
        /// The value.
        value: f64,
        /// The type it was to be written in.
        dtype: &'static str,
    },
    /// A value in a file outside its allowed range (a label that is not a class).
    #[error("{}: tensor `{name}`: {reason}", .path.display())]
    TensorValue {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// `[3, 32, 32]` → `"3, 32, 32"`.
fn fmt_dims(dims: &[usize]) -> String {
    dims.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, NetsError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_went_wrong() {
        let e = NetsError::InputShape {
            expected: vec![3, 32, 32],
            found: vec![4, 1, 28, 28],
        };
        assert_eq!(
            e.to_string(),
            "input of shape [4, 1, 28, 28] does not fit the model's input shape [B, 3, 32, 32] (B ≥ 1)"
        );
        let e = NetsError::TensorShape {
            path: "w.safetensors".into(),
            name: "0.weight".into(),
            expected: "[6, 1, 5, 5]".into(),
            found: vec![6, 3, 5, 5],
        };
        assert_eq!(
            e.to_string(),
            "w.safetensors: tensor `0.weight` has shape [6, 3, 5, 5], expected [6, 1, 5, 5]"
        );
    }

    #[test]
    fn wraps_engine_errors() {
        let e: NetsError = EngineError::Invalid {
            op: "x",
            reason: "y".into(),
        }
        .into();
        assert!(matches!(e, NetsError::Engine { .. }));
        assert_eq!(e.to_string(), "engine: x: y");
    }
}
