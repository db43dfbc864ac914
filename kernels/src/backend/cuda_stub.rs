//! The CUDA backend without the `cuda` feature: the same API, and [`CudaBackend::new`] says the
//! crate was built without CUDA support, so callers need no feature flags of their own.

use std::convert::Infallible;
use std::marker::PhantomData;

use super::{Backend, Buffer, KernelArgs, LaunchDims};
use crate::elem::Elem;
use crate::error::KernelError;

/// A CUDA device; never exists in a build without the `cuda` feature.
#[derive(Debug)]
pub struct CudaBackend {
    never: Infallible,
}

/// A device allocation; never exists in a build without the `cuda` feature.
#[derive(Debug)]
pub struct CudaBuffer<T> {
    never: Infallible,
    _elem: PhantomData<T>,
}

impl<T: Elem> Buffer<T> for CudaBuffer<T> {
    fn len(&self) -> usize {
        match self.never {}
    }
    fn address(&self) -> u64 {
        match self.never {}
    }
}

impl CudaBackend {
    /// Always [`KernelError::NotCompiledWithCudaSupport`].
    pub fn new(ordinal: usize) -> Result<Self, KernelError> {
        let _ = ordinal;
        Err(KernelError::NotCompiledWithCudaSupport)
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        match self.never {}
    }

    /// The device's compute capability.
    pub fn compute_capability(&self) -> Result<(i32, i32), KernelError> {
        match self.never {}
    }
}

impl Backend for CudaBackend {
    type Buffer<T: Elem> = CudaBuffer<T>;

    fn describe(&self) -> String {
        match self.never {}
    }
    fn alloc_zeros<T: Elem>(&self, _: usize) -> Result<CudaBuffer<T>, KernelError> {
        match self.never {}
    }
    fn upload<T: Elem>(&self, _: &[T]) -> Result<CudaBuffer<T>, KernelError> {
        match self.never {}
    }
    fn download<T: Elem>(&self, _: &CudaBuffer<T>) -> Result<Vec<T>, KernelError> {
        match self.never {}
    }
    fn synchronize(&self) -> Result<(), KernelError> {
        match self.never {}
    }
    unsafe fn launch(
        &self,
        _: &'static str,
        _: LaunchDims,
        _: KernelArgs<'_>,
    ) -> Result<(), KernelError> {
        match self.never {}
    }
}
