//! Hand-written CUDA kernels for jetnewton and the safe Rust wrappers that launch them.
//!
//! The `.cu` sources live in `kernels/cu/`: a tiled, batched GEMM (`matmul.cu`), the data
//! movements of a convolution (`conv.cu`), pooling (`pool.cu`), the jets of the activations
//! (`elementwise_jet.cu`, their maths in `jet_math.cuh`), log-softmax and cross-entropy with their
//! jets (`log_softmax.cu`) and the contractions behind the summaries (`contract.cu`). f32 for
//! training, f64 for checks. The workspace `build.rs` compiles them to PTX with nvcc.
//!
//! Kernels run on a [`Backend`]: [`CudaBackend`] (feature `cuda`: cudarc with the driver loaded
//! at run time) or, for tests, `HostBackend` (feature `host-kernels`: the same sources compiled
//! as C++, each block's threads run as fibers). The wrappers in [`ops`] are generic over the
//! backend, so what the host tests check is the code a GPU runs.
//!
//! [`KernelMatmul`] makes the GEMM the engine's matrix-product device (`jetnewton --device cuda`): once
//! installed, the large products of every jet pass, gradient and training step run on the backend. [`mlp`] goes
//! further for multilayer perceptrons: the whole summaries computation stays on the backend.
//!
//! Everything builds without CUDA: with the `cuda` feature off, or without nvcc at build time,
//! or without a driver at run time, [`CudaBackend::new`] returns a [`KernelError`] saying which,
//! so callers choose the CPU path at run time. Feature flags are read in [`ptx`], [`elem`] and
//! the `backend` module only.

#![warn(missing_docs)]

mod backend;
pub mod compute;
pub mod device;
pub mod elem;
pub mod entries;
mod error;
pub mod mlp;
pub mod ops;
pub mod ptx;

pub use backend::{
    Backend, Buffer, Counted, Counts, CudaBackend, CudaBuffer, KernelArgs, KernelRecord, LaunchDims,
};
#[cfg(feature = "host-kernels")]
pub use backend::{HostBackend, HostBuffer};
pub use device::KernelMatmul;
pub use elem::{DType, Elem, Real};
pub use error::KernelError;
pub use ops::JetLayout;

/// Whether the CUDA path can run: `Ok(())` only when the crate has CUDA support, the PTX of every
/// kernel is embedded and device 0 opens with every kernel loaded.
///
/// Without the `cuda` feature this is always [`KernelError::NotCompiledWithCudaSupport`].
pub fn cuda_available() -> Result<(), KernelError> {
    CudaBackend::new(0).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn without_feature_reports_not_compiled() {
        assert_eq!(
            cuda_available(),
            Err(KernelError::NotCompiledWithCudaSupport)
        );
    }

    #[cfg(all(feature = "cuda", jetnewton_no_ptx))]
    #[test]
    fn without_nvcc_reports_missing_ptx() {
        assert!(matches!(cuda_available(), Err(KernelError::NoPtx { .. })));
    }

    #[test]
    fn errors_read_well() {
        let e = KernelError::NoPtx {
            kernel: "elementwise_jet",
        };
        assert_eq!(
            e.to_string(),
            "no PTX for kernel `elementwise_jet`: nvcc was not found at build time"
        );
    }
}
