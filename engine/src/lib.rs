//! # jetnewton-engine
//!
//! Tensors, ops, a define-by-run tape for reverse mode, and **jets** (Taylor-mode forward propagation, and reverse
//! rules lifted to jets). From one jet pass per parameter group, sharing the order-0 work, the engine computes the
//! summaries of the paper *Adapting Newton's Method to Neural Networks through a Summary of Higher-Order
//! Derivatives*: `gbar` (D¹), `hbar` (D², S×S) and the diagonal of D³. A plain double-backward path is kept as the
//! baseline and the oracle. Matrix products run on the CPU, or on a GPU installed through [`device`].
//!
//! ```
//! use jetnewton_engine::{Graph, Tensor};
//! # fn main() -> Result<(), jetnewton_engine::EngineError> {
//! let g = Graph::<f64>::new();
//! let x = g.constant(Tensor::from_vec(vec![2, 3], vec![0.1, -0.2, 0.3, 0.4, 0.5, -0.6])?);
//! let w = g.param("0.weight", Tensor::from_vec(vec![2, 3], vec![0.5, -0.1, 0.2, 0.3, 0.0, -0.4])?);
//! let b = g.param("0.bias", Tensor::zeros(&[2]));
//! let loss = x.matmul_t(w)?.add_bias(b)?.tanh()?.cross_entropy(&[0, 1])?;
//! let grads = g.grad(loss.id(), &[w.id(), b.id()])?;
//! assert_eq!(grads[0].shape(), &[2, 3]);
//! # Ok(()) }
//! ```

pub mod backward;
pub mod cpu;
pub mod device;
pub mod error;
pub mod float;
pub mod graph;
pub mod jet;
pub mod op;
pub mod ops;
pub mod stats;
pub mod summaries;
pub mod tensor;

pub use error::{EngineError, Result};
pub use float::Float;
pub use graph::{Graph, Leaf, Node, NodeId, Var};
pub use jet::Jet;
pub use op::{ContractCache, Op};
pub use tensor::Tensor;
