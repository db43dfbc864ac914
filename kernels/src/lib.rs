//! Hand-written CUDA kernels for jetnewton, compiled to PTX by the workspace `build.rs`.
//!
//! The `.cu` sources live in `kernels/cu/`; their maths sits in `__host__ __device__` headers
//! (`jet_math.cuh`) so the host can share it. Everything here works without CUDA: with the `cuda`
//! feature off, or without nvcc at build time, [`cuda_available`] says why and [`ptx::ptx`]
//! returns `None`, so callers choose the CPU path at run time.
//!
//! Feature flags are read in this file and in [`ptx`] only.

pub mod ptx;

/// Why the CUDA path cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// The crate was built without the `cuda` feature.
    #[error("jetnewton was not compiled with CUDA support (enable the `cuda` feature)")]
    NotCompiledWithCudaSupport,
    /// The PTX of a kernel is not embedded (nvcc was not found when the crate was built).
    #[error("no PTX for kernel `{kernel}`: nvcc was not found at build time")]
    NoPtx {
        /// The kernel source's name, e.g. `elementwise_jet`.
        kernel: &'static str,
    },
    /// The kernels are built but no CUDA device can run them.
    #[error("CUDA device unavailable: {reason}")]
    DeviceUnavailable {
        /// What went wrong, in words.
        reason: String,
    },
}

/// Whether the CUDA path can run: `Ok(())` only when the crate has CUDA support, the PTX of every
/// kernel is embedded and a device is there.
///
/// Without the `cuda` feature this is always [`KernelError::NotCompiledWithCudaSupport`].
pub fn cuda_available() -> Result<(), KernelError> {
    if !cfg!(feature = "cuda") {
        return Err(KernelError::NotCompiledWithCudaSupport);
    }
    if let Some(&kernel) = ptx::KERNELS.iter().find(|k| ptx::ptx(k).is_none()) {
        return Err(KernelError::NoPtx { kernel });
    }
    // Loading modules and launching come with the cudarc binding; until then no device is usable.
    Err(KernelError::DeviceUnavailable {
        reason: "no CUDA driver binding yet (kernels are compiled but cannot be launched)".into(),
    })
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
        assert_eq!(
            cuda_available(),
            Err(KernelError::NoPtx {
                kernel: ptx::ELEMENTWISE_JET
            })
        );
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
