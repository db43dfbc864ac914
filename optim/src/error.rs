//! The optimisers' error type: one enum with named fields, so a training loop can match on what went wrong.

use thiserror::Error;

/// Everything an optimiser, its configuration or an oracle can refuse.
///
/// A step that returns an error leaves the parameters and the optimiser's state as they were (the oracle may have
/// drawn its minibatch, though).
#[derive(Debug, Error)]
pub enum OptimError {
    /// A hyper-parameter outside its domain.
    #[error("invalid {field} = {value}: {reason}")]
    InvalidConfig {
        /// The field of the configuration.
        field: &'static str,
        /// Its value, as written.
        value: String,
        /// What the field accepts.
        reason: String,
    },
    /// Parameter names and shapes that cannot describe a model (a repeated name, counts that differ).
    #[error("invalid parameter layout: {reason}")]
    InvalidLayout {
        /// What is wrong.
        reason: String,
    },
    /// Groups that are not a partition of the parameter indices.
    #[error("invalid groups: {reason}")]
    InvalidGroups {
        /// What is wrong.
        reason: String,
    },
    /// A list of tensors (parameters, gradient, direction) of the wrong length.
    #[error("{what}: {found} tensors, expected {expected}")]
    TensorCount {
        /// Which list.
        what: &'static str,
        /// Tensors the layout has.
        expected: usize,
        /// Tensors supplied.
        found: usize,
    },
    /// A tensor whose shape is not its parameter's.
    #[error("{what} of parameter `{name}`: shape {found:?}, expected {expected:?}")]
    TensorShape {
        /// Which list (parameters, gradient, direction).
        what: &'static str,
        /// The parameter's name.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The shape supplied.
        found: Vec<usize>,
    },
    /// A NaN or infinite loss or gradient from the oracle; nothing was updated.
    #[error("non-finite {what} (parameter `{name}`): no step taken")]
    NonFinite {
        /// `loss` or `gradient`.
        what: &'static str,
        /// The parameter whose gradient is not finite, or `-` for the loss.
        name: String,
    },
    /// Summaries whose sizes do not match the number of groups.
    #[error("summaries for {found} groups, expected {expected} ({what})")]
    SummariesShape {
        /// Which summary (`gbar`, `hbar`, `d3`).
        what: &'static str,
        /// The number of groups.
        expected: usize,
        /// What was returned.
        found: usize,
    },
    /// A saved state that does not fit this optimiser; nothing was changed.
    #[error("cannot load {kind} state: {reason}")]
    State {
        /// The optimiser that refused it.
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A request the oracle does not answer (K-FAC's layer statistics from an oracle that has none).
    #[error("the oracle does not support {request}")]
    Unsupported {
        /// What was asked.
        request: &'static str,
    },
    /// An oracle that cannot answer a request the optimiser's configuration will make, found at the first step
    /// (before any parameter changes) rather than when the request is first needed.
    #[error("the oracle does not answer {request}, which {needed_by} asks for; implement it, or choose a configuration that does not need it")]
    OracleCannot {
        /// What the oracle cannot answer.
        request: &'static str,
        /// The configuration that needs it.
        needed_by: &'static str,
    },
    /// K-FAC layer statistics that do not fit the parameters, or layers that changed between steps.
    #[error("invalid K-FAC statistics: {reason}")]
    KfacStats {
        /// What is wrong.
        reason: String,
    },
    /// A symmetric eigendecomposition of a K-FAC factor that did not converge; nothing was updated.
    #[error("the eigendecomposition of K-FAC factor {factor} of layer `{layer}` failed")]
    Eigen {
        /// The layer's weight.
        layer: String,
        /// `A` or `G`.
        factor: &'static str,
    },
    /// An engine error while the oracle built its graph.
    #[error(transparent)]
    Engine(#[from] jetnewton_engine::EngineError),
    /// Any other failure of an oracle (data, model), with its source.
    #[error("oracle: {0}")]
    Oracle(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl OptimError {
    /// An [`OptimError::InvalidConfig`].
    pub(crate) fn config(field: &'static str, value: impl ToString, reason: &str) -> Self {
        OptimError::InvalidConfig {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Wraps any error of an oracle implementation.
    pub fn oracle(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        OptimError::Oracle(Box::new(e))
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, OptimError>;
