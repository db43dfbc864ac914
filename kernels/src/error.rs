//! The crate's one error type.

/// Why a kernel could not run, or the CUDA path cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// The crate was built without the `cuda` feature.
    #[error("jetnewton was not compiled with CUDA support (enable the `cuda` feature)")]
    NotCompiledWithCudaSupport,
    /// The PTX of a kernel source is not embedded (nvcc was not found when the crate was built).
    #[error("no PTX for kernel `{kernel}`: nvcc was not found at build time")]
    NoPtx {
        /// The kernel source's name, e.g. `elementwise_jet`.
        kernel: &'static str,
    },
    /// No CUDA device can run the kernels: no driver library, no device, or the driver failed.
    #[error("CUDA device unavailable: {reason}")]
    DeviceUnavailable {
        /// What went wrong, in words.
        reason: String,
    },
    /// A CUDA driver call failed after the device was opened.
    #[error("CUDA driver error in {op}: {message}")]
    Driver {
        /// What was being done, e.g. `launch matmul_f32`.
        op: String,
        /// The driver's error.
        message: String,
    },
    /// The host build of the kernels is absent (feature `host-kernels` off, or no C++ compiler).
    #[error("host kernels unavailable: {reason}")]
    HostKernelsUnavailable {
        /// Why they were not built.
        reason: &'static str,
    },
    /// No kernel of that name is loaded in this backend.
    #[error("no kernel named `{name}`")]
    UnknownKernel {
        /// The entry point asked for.
        name: String,
    },
    /// A launch was rejected, or a fault was found while it ran (host backend).
    #[error("launch of `{kernel}` failed: {reason}")]
    Launch {
        /// The entry point.
        kernel: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A buffer is too short for what the operation would read or write.
    #[error("{op}: buffer `{operand}` holds {len} elements but {needed} are needed")]
    BufferTooSmall {
        /// The operation, e.g. `matmul`.
        op: &'static str,
        /// Which operand, e.g. `a`.
        operand: &'static str,
        /// Elements needed (offset included).
        needed: usize,
        /// Elements the buffer holds.
        len: usize,
    },
    /// Sizes, strides or options that do not fit the operation.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
}
