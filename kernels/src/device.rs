//! The kernels as the engine's matrix-product device: [`KernelMatmul`] runs every large product of a jet pass, a
//! gradient or a training step through the tiled GEMM of `cu/matmul.cu` on a [`Backend`].
//!
//! Install it with [`jetnewton_engine::device::install`]; on a GPU, [`KernelMatmul::cuda`] opens the device.
//! Each product uploads its operands, launches one GEMM and downloads the result, so only products large enough
//! to pay for two copies go to the device ([`CUDA_MIN_WORK`]). With the host backend (tests), every product can
//! be sent through the kernels, which is how the host tests prove the engine's dispatch without a GPU.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use jetnewton_engine::device::{GemmCall, MatmulDevice};

#[cfg(feature = "host-kernels")]
use crate::backend::HostBackend;
use crate::backend::{Backend, Counted, CudaBackend};
use crate::compute::convert::gemm_of;
use crate::elem::Real;
use crate::error::KernelError;
use crate::ops::matmul::gemm;

/// Products of fewer multiply-adds stay on the CPU when the device is a GPU: at about 10⁶ the product costs the
/// CPU a few hundred microseconds, about what a launch and copying three operands over PCIe cost.
pub const CUDA_MIN_WORK: usize = 1 << 20;

/// Every product goes through the kernels on the emulated device: it exists to check the kernel paths against the
/// CPU engine, not for speed, so no product is kept back.
pub const EMULATED_MIN_WORK: usize = 0;

/// A [`Backend`] serving the engine's products (see the module docs).
pub struct KernelMatmul<B> {
    /// Products are issued from several rayon workers at once; the backend's one stream takes them in turn.
    backend: Mutex<Counted<B>>,
    label: String,
    min_work: usize,
}

impl<B> fmt::Debug for KernelMatmul<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KernelMatmul")
            .field("device", &self.label)
            .field("min_work", &self.min_work)
            .finish()
    }
}

impl<B: Backend> KernelMatmul<B> {
    /// Serves products of at least `min_work` multiply-adds on `backend`, described as `label`.
    pub fn new(backend: B, label: impl Into<String>, min_work: usize) -> Self {
        Self {
            backend: Mutex::new(Counted::new(backend)),
            label: label.into(),
            min_work,
        }
    }

    /// Runs `f` with the backend, other products waiting meanwhile: for work that keeps its data on the device,
    /// such as [`crate::mlp::MlpJets`].
    pub fn with_backend<R>(&self, f: impl FnOnce(&Counted<B>) -> R) -> R {
        f(&self.backend.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn product<T: Real>(
        &self,
        call: &GemmCall,
        a: &[T],
        b: &[T],
        dst: &mut [T],
    ) -> Result<(), KernelError> {
        let backend = self.backend.lock().unwrap_or_else(PoisonError::into_inner);
        let g = gemm_of(call);
        let da = backend.upload(a)?;
        let db = backend.upload(b)?;
        let (mut dc, beta) = if call.accumulate {
            (backend.upload(dst)?, 1.0)
        } else {
            (backend.alloc_zeros(dst.len())?, 0.0)
        };
        gemm(
            &*backend,
            &g,
            T::from_f64(1.0),
            &da,
            &db,
            T::from_f64(beta),
            &mut dc,
        )?;
        dst.copy_from_slice(&backend.download(&dc)?);
        Ok(())
    }
}

impl KernelMatmul<CudaBackend> {
    /// Opens CUDA device `ordinal` for products of at least [`CUDA_MIN_WORK`] multiply-adds.
    ///
    /// The errors of [`CudaBackend::new`]: no CUDA support in this build, no PTX, no driver or no such device.
    pub fn cuda(ordinal: usize) -> Result<Self, KernelError> {
        let backend = CudaBackend::new(ordinal)?;
        let label = format!("cuda:{ordinal} ({})", backend.describe());
        Ok(Self::new(backend, label, CUDA_MIN_WORK))
    }
}

#[cfg(feature = "host-kernels")]
impl KernelMatmul<HostBackend> {
    /// The emulated device (`jetnewton --device emulated`): the CUDA sources compiled as host C++, serving every
    /// product ([`EMULATED_MIN_WORK`]). Slow; its results differ from the CPU engine's only by summation order.
    ///
    /// [`KernelError::HostKernelsUnavailable`] when build.rs could not compile the host kernels.
    pub fn emulated() -> Result<Self, KernelError> {
        let backend = HostBackend::new()?;
        Ok(Self::new(
            backend,
            "emulated (CUDA kernels on the host)",
            EMULATED_MIN_WORK,
        ))
    }
}

impl<B: Backend + Send + 'static> MatmulDevice for KernelMatmul<B> {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn min_work(&self) -> usize {
        self.min_work
    }

    fn gemm_f32(
        &self,
        call: &GemmCall,
        a: &[f32],
        b: &[f32],
        dst: &mut [f32],
    ) -> Result<(), String> {
        self.product(call, a, b, dst).map_err(|e| e.to_string())
    }

    fn gemm_f64(
        &self,
        call: &GemmCall,
        a: &[f64],
        b: &[f64],
        dst: &mut [f64],
    ) -> Result<(), String> {
        self.product(call, a, b, dst).map_err(|e| e.to_string())
    }
}
