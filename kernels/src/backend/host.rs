//! The host backend (feature `host-kernels`): the `.cu` sources compiled as C++ by build.rs and run
//! on the CPU, each block's threads as fibers (kernels/host/fiber_launch.h). It is for tests: it
//! runs the real kernel code and the real launch code of [`crate::ops`] without a GPU, slowly.

#[cfg(not(jetnewton_no_host_kernels))]
use std::ffi::{c_char, CStr, CString};

use super::{Backend, Buffer, KernelArgs, LaunchDims};
use crate::elem::Elem;
use crate::error::KernelError;

#[cfg(not(jetnewton_no_host_kernels))]
mod ffi {
    use std::ffi::{c_char, c_int, c_uint, c_void};

    extern "C" {
        /// kernels/host/registry.cpp
        pub fn jn_host_launch(
            name: *const c_char,
            grid: *const c_uint,
            block: *const c_uint,
            params: *mut *mut c_void,
            err: *mut c_char,
            err_len: usize,
        ) -> c_int;
        pub fn jn_host_kernel_count() -> usize;
        pub fn jn_host_kernel_name(index: usize) -> *const c_char;
    }
}

/// The CPU standing in for a GPU.
#[derive(Debug)]
pub struct HostBackend {
    _private: (),
}

/// A buffer in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBuffer<T> {
    data: Vec<T>,
}

impl<T> HostBuffer<T> {
    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }
}

impl<T: Elem> Buffer<T> for HostBuffer<T> {
    fn len(&self) -> usize {
        self.data.len()
    }
    fn address(&self) -> u64 {
        self.data.as_ptr() as u64
    }
}

impl HostBackend {
    /// The host backend, or [`KernelError::HostKernelsUnavailable`] when build.rs found no C++
    /// compiler (or the target is not a Unix).
    pub fn new() -> Result<Self, KernelError> {
        if cfg!(jetnewton_no_host_kernels) {
            return Err(KernelError::HostKernelsUnavailable {
                reason: "build.rs could not compile them (no C++ compiler, or not a Unix target)",
            });
        }
        Ok(Self { _private: () })
    }

    /// Every entry point the host build registered, sorted.
    pub fn kernel_names(&self) -> Vec<&'static str> {
        #[cfg(not(jetnewton_no_host_kernels))]
        {
            // SAFETY: the registry's names are static NUL-terminated strings, index < count.
            let mut names: Vec<&'static str> = (0..unsafe { ffi::jn_host_kernel_count() })
                .filter_map(|i| {
                    let p = unsafe { ffi::jn_host_kernel_name(i) };
                    (!p.is_null())
                        .then(|| unsafe { CStr::from_ptr(p) }.to_str().ok())
                        .flatten()
                })
                .collect();
            names.sort_unstable();
            names
        }
        #[cfg(jetnewton_no_host_kernels)]
        Vec::new()
    }
}

impl Backend for HostBackend {
    type Buffer<T: Elem> = HostBuffer<T>;

    fn describe(&self) -> String {
        "host (the CUDA sources compiled as C++, threads run as fibers)".into()
    }

    fn alloc_zeros<T: Elem>(&self, len: usize) -> Result<HostBuffer<T>, KernelError> {
        Ok(HostBuffer {
            data: vec![T::default(); len],
        })
    }

    fn upload<T: Elem>(&self, data: &[T]) -> Result<HostBuffer<T>, KernelError> {
        Ok(HostBuffer {
            data: data.to_vec(),
        })
    }

    fn download<T: Elem>(&self, buf: &HostBuffer<T>) -> Result<Vec<T>, KernelError> {
        Ok(buf.data.clone())
    }

    fn synchronize(&self) -> Result<(), KernelError> {
        // Launches run to completion before they return.
        Ok(())
    }

    unsafe fn launch(
        &self,
        kernel: &'static str,
        dims: LaunchDims,
        mut args: KernelArgs<'_>,
    ) -> Result<(), KernelError> {
        #[cfg(not(jetnewton_no_host_kernels))]
        {
            let name = CString::new(kernel).map_err(|_| KernelError::UnknownKernel {
                name: kernel.into(),
            })?;
            let mut params = args.params();
            let mut err = [0 as c_char; 256];
            // SAFETY: the caller guarantees `args` fit the kernel; grid and block are 3 values
            // each; `err` is writable for its length.
            let rc = unsafe {
                ffi::jn_host_launch(
                    name.as_ptr(),
                    dims.grid.as_ptr(),
                    dims.block.as_ptr(),
                    params.as_mut_ptr(),
                    err.as_mut_ptr(),
                    err.len(),
                )
            };
            // SAFETY: the registry writes a NUL-terminated message into `err` (zeroed before).
            let message = unsafe { CStr::from_ptr(err.as_ptr()) }
                .to_string_lossy()
                .into_owned();
            match rc {
                0 => Ok(()),
                1 => Err(KernelError::UnknownKernel {
                    name: kernel.into(),
                }),
                _ => Err(KernelError::Launch {
                    kernel,
                    reason: message,
                }),
            }
        }
        #[cfg(jetnewton_no_host_kernels)]
        {
            let _ = (kernel, dims, args.params());
            Err(KernelError::HostKernelsUnavailable {
                reason: "build.rs could not compile them",
            })
        }
    }
}
