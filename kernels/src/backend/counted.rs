//! A [`Backend`] that counts what crosses between host and device and how many kernels it launches: the
//! figures behind "one training step copies O(1) buffers" and "launches per summaries pass".

use std::sync::atomic::{AtomicU64, Ordering};

use super::{Backend, KernelArgs, LaunchDims};
use crate::elem::Elem;
use crate::error::KernelError;

/// Copies and launches of a [`Counted`] backend so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Host-to-device copies.
    pub uploads: u64,
    /// Device-to-host copies.
    pub downloads: u64,
    /// Bytes copied either way.
    pub bytes: u64,
    /// Kernel launches.
    pub launches: u64,
}

/// `B`, counting its uploads, downloads, bytes and launches.
#[derive(Debug)]
pub struct Counted<B> {
    inner: B,
    uploads: AtomicU64,
    downloads: AtomicU64,
    bytes: AtomicU64,
    launches: AtomicU64,
}

impl<B> Counted<B> {
    /// `inner`, with every count at zero.
    pub fn new(inner: B) -> Self {
        Self {
            inner,
            uploads: AtomicU64::new(0),
            downloads: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            launches: AtomicU64::new(0),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            uploads: self.uploads.load(Ordering::Relaxed),
            downloads: self.downloads.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            launches: self.launches.load(Ordering::Relaxed),
        }
    }

    fn copied<T>(&self, counter: &AtomicU64, len: usize) {
        counter.fetch_add(1, Ordering::Relaxed);
        let bytes = len.saturating_mul(std::mem::size_of::<T>()) as u64;
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

impl<B: Backend> Backend for Counted<B> {
    type Buffer<T: Elem> = B::Buffer<T>;

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn alloc_zeros<T: Elem>(&self, len: usize) -> Result<Self::Buffer<T>, KernelError> {
        self.inner.alloc_zeros(len)
    }

    fn upload<T: Elem>(&self, data: &[T]) -> Result<Self::Buffer<T>, KernelError> {
        self.copied::<T>(&self.uploads, data.len());
        self.inner.upload(data)
    }

    fn download<T: Elem>(&self, buf: &Self::Buffer<T>) -> Result<Vec<T>, KernelError> {
        use super::Buffer;
        self.copied::<T>(&self.downloads, buf.len());
        self.inner.download(buf)
    }

    fn synchronize(&self) -> Result<(), KernelError> {
        self.inner.synchronize()
    }

    unsafe fn launch(
        &self,
        kernel: &'static str,
        dims: LaunchDims,
        args: KernelArgs<'_>,
    ) -> Result<(), KernelError> {
        self.launches.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `args` are passed on unchanged.
        unsafe { self.inner.launch(kernel, dims, args) }
    }
}
