//! The CUDA backend: cudarc with the driver loaded at run time, the embedded PTX, one stream.
//!
//! Everything runs on the context's default stream, in launch order. cudarc tracks events only
//! once a second stream exists, so the device-pointer guards it returns are no-ops here.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use cudarc::driver::{
    result, sys, CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, DevicePtr,
    DriverError,
};
use cudarc::nvrtc::Ptx;

use super::{Backend, Buffer, KernelArgs, LaunchDims};
use crate::elem::Elem;
use crate::entries::MODULES;
use crate::error::KernelError;
use crate::ptx;

/// A CUDA device with every kernel loaded.
pub struct CudaBackend {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    functions: HashMap<&'static str, CudaFunction>,
    _modules: Vec<Arc<CudaModule>>,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaBackend")
            .field("ordinal", &self.ctx.ordinal())
            .field("kernels", &self.functions.len())
            .finish()
    }
}

/// A device allocation.
#[derive(Debug)]
pub struct CudaBuffer<T> {
    /// At least one element: the driver rejects empty allocations.
    slice: CudaSlice<T>,
    len: usize,
}

impl<T: Elem> Buffer<T> for CudaBuffer<T> {
    fn len(&self) -> usize {
        self.len
    }
    fn address(&self) -> u64 {
        self.slice.device_ptr(self.slice.stream()).0
    }
}

fn driver(op: impl Into<String>) -> impl FnOnce(DriverError) -> KernelError {
    let op = op.into();
    move |e| KernelError::Driver {
        op,
        message: e.to_string(),
    }
}

impl CudaBackend {
    /// Opens device `ordinal` and loads every kernel.
    ///
    /// Errors, never panics: [`KernelError::NoPtx`] when nvcc was missing at build time,
    /// [`KernelError::DeviceUnavailable`] when the driver library or the device is missing or
    /// the driver fails to start (cudarc panics in some of these cases; the panic is caught and
    /// reported here).
    pub fn new(ordinal: usize) -> Result<Self, KernelError> {
        if let Some(&kernel) = ptx::KERNELS.iter().find(|k| ptx::ptx(k).is_none()) {
            return Err(KernelError::NoPtx { kernel });
        }
        // SAFETY: only tries to open the library; cudarc panics on first use without it.
        if !unsafe { sys::is_culib_present() } {
            return Err(KernelError::DeviceUnavailable {
                reason: "the CUDA driver library (libcuda.so / nvcuda.dll) was not found".into(),
            });
        }
        match catch_unwind(AssertUnwindSafe(|| Self::open(ordinal))) {
            Ok(result) => result,
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the CUDA binding panicked".into());
                Err(KernelError::DeviceUnavailable { reason })
            }
        }
    }

    fn open(ordinal: usize) -> Result<Self, KernelError> {
        let unavailable = |e: DriverError| KernelError::DeviceUnavailable {
            reason: e.to_string(),
        };
        let count = CudaContext::device_count().map_err(unavailable)?;
        if ordinal >= usize::try_from(count).unwrap_or(0) {
            return Err(KernelError::DeviceUnavailable {
                reason: format!("no CUDA device {ordinal} ({count} found)"),
            });
        }
        let ctx = CudaContext::new(ordinal).map_err(unavailable)?;
        let stream = ctx.default_stream();
        let mut functions = HashMap::new();
        let mut modules = Vec::new();
        for module in MODULES {
            let text = ptx::ptx(module.name).ok_or(KernelError::NoPtx {
                kernel: module.name,
            })?;
            let loaded = ctx
                .load_module(Ptx::from_src(text))
                .map_err(driver(format!("load module {}", module.name)))?;
            for entry in module.entries() {
                let f = loaded
                    .load_function(entry)
                    .map_err(driver(format!("load function {entry}")))?;
                functions.insert(entry, f);
            }
            modules.push(loaded);
        }
        Ok(Self {
            ctx,
            stream,
            functions,
            _modules: modules,
        })
    }

    /// The device's ordinal.
    pub fn ordinal(&self) -> usize {
        self.ctx.ordinal()
    }

    /// The device's compute capability, e.g. `(9, 0)` for an H100/H200.
    pub fn compute_capability(&self) -> Result<(i32, i32), KernelError> {
        self.ctx
            .compute_capability()
            .map_err(driver("compute capability"))
    }
}

impl Backend for CudaBackend {
    type Buffer<T: Elem> = CudaBuffer<T>;

    fn describe(&self) -> String {
        let name = self.ctx.name().unwrap_or_else(|_| "unknown device".into());
        format!("CUDA device {} ({name})", self.ctx.ordinal())
    }

    fn alloc_zeros<T: Elem>(&self, len: usize) -> Result<CudaBuffer<T>, KernelError> {
        let slice = self
            .stream
            .alloc_zeros::<T>(len.max(1))
            .map_err(driver(format!("allocate {len} elements")))?;
        Ok(CudaBuffer { slice, len })
    }

    fn upload<T: Elem>(&self, data: &[T]) -> Result<CudaBuffer<T>, KernelError> {
        if data.is_empty() {
            return self.alloc_zeros(0);
        }
        let slice = self
            .stream
            .clone_htod(data)
            .map_err(driver(format!("upload {} elements", data.len())))?;
        Ok(CudaBuffer {
            slice,
            len: data.len(),
        })
    }

    fn download<T: Elem>(&self, buf: &CudaBuffer<T>) -> Result<Vec<T>, KernelError> {
        let mut host = self
            .stream
            .clone_dtoh(&buf.slice)
            .map_err(driver("download"))?;
        // The copy is asynchronous with respect to the host for pageable memory in general.
        self.synchronize()?;
        host.truncate(buf.len);
        Ok(host)
    }

    fn synchronize(&self) -> Result<(), KernelError> {
        self.stream.synchronize().map_err(driver("synchronize"))
    }

    unsafe fn launch(
        &self,
        kernel: &'static str,
        dims: LaunchDims,
        mut args: KernelArgs<'_>,
    ) -> Result<(), KernelError> {
        let f = self
            .functions
            .get(kernel)
            .ok_or_else(|| KernelError::UnknownKernel {
                name: kernel.into(),
            })?;
        self.ctx
            .bind_to_thread()
            .map_err(driver(format!("launch {kernel}")))?;
        let mut params = args.params();
        let [gx, gy, gz] = dims.grid;
        let [bx, by, bz] = dims.block;
        // SAFETY: the caller guarantees `args` fit the kernel; the slots live in `args`, which
        // outlives this call, and the driver copies them before returning.
        unsafe {
            result::launch_kernel(
                f.cu_function(),
                (gx, gy, gz),
                (bx, by, bz),
                0,
                self.stream.cu_stream(),
                &mut params,
            )
        }
        .map_err(driver(format!("launch {kernel}")))
    }
}
