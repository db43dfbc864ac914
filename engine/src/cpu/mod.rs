//! Raw CPU kernels on slices: the arithmetic behind the ops, free of the tape.

pub mod conv;
pub mod gemm;
pub mod im2col;
pub mod pool;
