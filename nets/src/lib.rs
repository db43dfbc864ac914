//! The paper's models, partitions of their parameters, and the data sets they train on.
//!
//! - [`Model`]: a graph-independent description (layers, input shape, classes) with PyTorch parameter names
//!   (`{i}.weight`, `{i}.bias`), built by [`mlp`], [`lenet5`], [`vgg11p`], … or parsed from a spec
//!   ([`Model::from_spec`]: `mlp:784-1024-200-100-10:tanh`, `lenet5:3x32x32:tanh`, `vgg11p:3x32x32`, `bigmlp`);
//!   seeded initialisation ([`Model::init_params`]) and the forward pass on an engine graph ([`Model::forward`],
//!   [`Model::loss`]).
//! - [`PartitionSpec`]: the partitions of appendix K (`canonical`, `trivial`, `weights-biases`, `blocks-K`,
//!   `alternate-K`) and H (`chunks-K`), plus user-defined ones, as groups of tensor names, and their conversion
//!   into the engine's [`jetnewton_engine::summaries::Groups`].
//! - Safetensors exchange ([`load_params`], [`save_params`], [`load_batch`], [`load_direction`]) in PyTorch's
//!   names and layouts.
//! - [`data`]: the data sets.
//!
//! ```
//! use jetnewton_engine::{Graph, Tensor};
//! use jetnewton_nets::{Model, PartitionSpec};
//! # fn main() -> Result<(), jetnewton_nets::NetsError> {
//! let model = Model::from_spec("mlp:4-3-2:tanh")?;
//! let params = model.init_params::<f64>(0);
//! let graph = Graph::new();
//! let x = Tensor::from_vec(vec![2, 4], vec![0.1, 0.2, 0.3, 0.4, -0.1, -0.2, -0.3, -0.4])?;
//! let (loss, ids) = model.loss(&graph, &params, x, &[0, 1])?;
//! let groups = PartitionSpec::WeightsBiases.engine_groups(&graph, &ids)?;
//! assert_eq!(groups.len(), 2);
//! assert!(loss.value().item()? > 0.0);
//! # Ok(()) }
//! ```

pub mod data;
mod error;
mod graph_oracle;
mod init;
mod models;
mod params;
mod partition;
mod safetensors_io;
mod spec;

/// The models' result type. Not exported as `Result`, so that glob imports of this crate, `jetnewton_engine` and
/// `jetnewton_optim` do not clash.
pub use error::{NetsError, Result as NetsResult};
pub use graph_oracle::{Batches, GraphOracle, LossFn};
pub use models::{
    big_mlp, deep_mlp, lenet5, mlp, paper_mlp, vbig_mlp, vgg11p, Activation, Forward, Layer,
    LayerVars, Model, ModelSize, ParamIds, VggEntry, MAX_COUNT, VGG11_CONFIG,
};
pub use params::{ParamKind, ParamSpec, Params};
pub use partition::{
    direction_from_params, to_engine_groups, NamedGroup, ParamNames, PartitionSpec,
};
pub use safetensors_io::{
    check_finite_params, check_finite_tensor, load_batch, load_direction, load_params, save_batch,
    save_params, save_params_as, BatchData, RawTensor, StoreDtype,
};
pub use spec::{ModelSpec, MAX_MLP_WIDTHS};

/// The README's Rust snippets, compiled and run as this crate's doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
