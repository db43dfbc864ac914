//! CUDA kernels (placeholder).
