//! jetnewton: Newton's method adapted to neural networks through a summary of higher-order derivatives.

pub use jetnewton_engine as engine;
pub use jetnewton_nets as nets;
pub use jetnewton_optim as optim;
