//! Devices: where the engine's tensors live and its work runs.
//!
//! Two roles, one device object (the `jetnewton-kernels` crate implements both):
//! - [`ComputeDevice`] holds tensors ([`Tensor::to_device`](crate::Tensor::to_device)) and runs the device rules of
//!   the ops on them, so that the data stays on the device between ops (see [`compute`]);
//! - [`MatmulDevice`], installed for the whole process, takes the large matrix products of host tensors (below).
//!
//! Where the engine's matrix products of host tensors run: on the CPU (the default), or on a [`MatmulDevice`]
//! installed for the whole process, such as the CUDA GEMM of `jetnewton-kernels`.
//!
//! Every product of the engine goes through [`crate::cpu::gemm::matmul`]: the linear layers, their jets and
//! lifted adjoints, the convolutions (as im2col products) and K-FAC's factors. When a device is installed and a
//! product is at least [`MatmulDevice::min_work`] multiply-adds, the product runs there; smaller ones stay on the
//! CPU, where a launch and two copies would cost more than the product. The rest of a pass (elementwise jets,
//! reductions, the tape) runs on the CPU either way.
//!
//! A device is installed for the process, like rayon's global pool, because products are issued from deep inside
//! the ops and from rayon's workers, where no handle could be threaded through. [`install`] returns a guard that
//! puts the previous device back when dropped.
//!
//! A device that fails does not corrupt a result: the product that failed is computed on the CPU, the device is
//! set aside for the rest of the process, and [`health`] reports the first failure, so callers (the CLI checks
//! after every step) stop with the device's own message rather than continue on a broken device unnoticed.
//!
//! ```
//! use std::sync::Arc;
//! use jetnewton_engine::cpu::gemm::{matmul, Layout};
//! use jetnewton_engine::device::{self, GemmCall, MatmulDevice};
//!
//! /// A "device" that multiplies on the CPU, naively, and counts its products.
//! #[derive(Debug, Default)]
//! struct Naive(std::sync::atomic::AtomicUsize);
//!
//! impl Naive {
//!     fn product<T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>>(
//!         &self, c: &GemmCall, a: &[T], b: &[T], dst: &mut [T],
//!     ) -> Result<(), String> {
//!         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
//!         for i in 0..c.m {
//!             for j in 0..c.n {
//!                 let mut s = if c.accumulate { dst[i * c.n + j] } else { T::default() };
//!                 for p in 0..c.k {
//!                     s = s + a[c.a_index(i, p)] * b[c.b_index(p, j)];
//!                 }
//!                 dst[i * c.n + j] = s;
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! impl MatmulDevice for Naive {
//!     fn describe(&self) -> String { "naive".into() }
//!     fn as_any(&self) -> &dyn std::any::Any { self }
//!     fn min_work(&self) -> usize { 0 }
//!     fn gemm_f32(&self, c: &GemmCall, a: &[f32], b: &[f32], d: &mut [f32]) -> Result<(), String> {
//!         self.product(c, a, b, d)
//!     }
//!     fn gemm_f64(&self, c: &GemmCall, a: &[f64], b: &[f64], d: &mut [f64]) -> Result<(), String> {
//!         self.product(c, a, b, d)
//!     }
//! }
//!
//! let naive = Arc::new(Naive::default());
//! let _guard = device::install(naive.clone());
//! let mut c = [0.0f64; 4];
//! matmul(2, 2, 1, &[1.0, 2.0], Layout::Normal, &[3.0, 4.0], Layout::Normal, &mut c, false, true);
//! assert_eq!(c, [3.0, 4.0, 6.0, 8.0]);
//! assert_eq!(naive.0.load(std::sync::atomic::Ordering::Relaxed), 1);
//! assert!(device::health().is_ok());
//! ```

pub mod compute;
pub(crate) mod rules;
pub(crate) mod storage;

pub use compute::{
    ComputeDevice, ConvProduct, DType, DeviceActivation, DeviceBuffer, DeviceCounters,
    DeviceResult, MidDims, PackedJet, MAX_JET_ORDER, MAX_POLY_DEGREE,
};

use std::any::Any;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::cpu::gemm::Layout;
use crate::error::{EngineError, Result};

/// One product `dst (m×n) = [dst +] op(a) (m×k) · op(b) (k×n)`, row-major, as the engine issues it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemmCall {
    /// Rows of the result.
    pub m: usize,
    /// Columns of the result.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// How `a` is stored: `m×k` (normal) or `k×m` (transposed).
    pub a: Layout,
    /// How `b` is stored: `k×n` (normal) or `n×k` (transposed).
    pub b: Layout,
    /// Add the product to `dst` rather than overwrite it.
    pub accumulate: bool,
}

impl GemmCall {
    /// Multiply-adds of the product.
    pub fn work(&self) -> usize {
        self.m.saturating_mul(self.n).saturating_mul(self.k)
    }

    /// Index in `a` of `op(a)[i, p]`.
    pub fn a_index(&self, i: usize, p: usize) -> usize {
        match self.a {
            Layout::Normal => i * self.k + p,
            Layout::Transposed => p * self.m + i,
        }
    }

    /// Index in `b` of `op(b)[p, j]`.
    pub fn b_index(&self, p: usize, j: usize) -> usize {
        match self.b {
            Layout::Normal => p * self.n + j,
            Layout::Transposed => j * self.k + p,
        }
    }
}

/// Something that computes matrix products for the engine, e.g. a GPU.
///
/// Implementations are called from several threads at once (rayon's workers run convolutions sample group by
/// sample group) and must serialise internally where their hardware needs it. Slices hold exactly the elements
/// of the call's shapes (`a`: m·k, `b`: k·n, `dst`: m·n).
pub trait MatmulDevice: Send + Sync + Debug {
    /// A one-line description, e.g. `cuda:0 (NVIDIA H200)`.
    fn describe(&self) -> String;

    /// The device as [`Any`], so that code which knows a device type can reach it through [`current`] (the CLI
    /// runs whole MLP summaries on the GPU it installed this way). Implementations return `self`.
    fn as_any(&self) -> &dyn Any;

    /// Products of fewer multiply-adds than this stay on the CPU.
    fn min_work(&self) -> usize;

    /// The product in `f32`. An error is a message naming what failed.
    fn gemm_f32(
        &self,
        call: &GemmCall,
        a: &[f32],
        b: &[f32],
        dst: &mut [f32],
    ) -> std::result::Result<(), String>;

    /// The product in `f64`. An error is a message naming what failed.
    fn gemm_f64(
        &self,
        call: &GemmCall,
        a: &[f64],
        b: &[f64],
        dst: &mut [f64],
    ) -> std::result::Result<(), String>;
}

/// The installed device: its matrix-product role, and its compute role when it also holds tensors.
#[derive(Clone, Debug)]
struct Installed {
    matmul: Arc<dyn MatmulDevice>,
    compute: Option<Arc<dyn ComputeDevice>>,
}

/// The installed device, if any.
static DEVICE: RwLock<Option<Installed>> = RwLock::new(None);
/// The first failure of a device, with its description: once set, products stay on the CPU.
static FAILURE: Mutex<Option<EngineError>> = Mutex::new(None);
/// Whether a device is installed and has not failed: the one check every CPU product pays.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the previous device back when dropped (see [`install`]).
#[must_use = "the device is uninstalled when the guard is dropped"]
#[derive(Debug)]
pub struct DeviceGuard {
    previous: Option<Installed>,
}

impl Drop for DeviceGuard {
    fn drop(&mut self) {
        let mut device = DEVICE.write().unwrap_or_else(PoisonError::into_inner);
        *device = self.previous.take();
        let failed = FAILURE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        ACTIVE.store(device.is_some() && !failed, Ordering::Release);
    }
}

/// Runs the engine's large products on `device` until the guard is dropped; clears any earlier failure.
pub fn install(device: Arc<dyn MatmulDevice>) -> DeviceGuard {
    put(Installed {
        matmul: device,
        compute: None,
    })
}

/// [`install`] for a device that also holds tensors: besides taking the products of host tensors, it is the
/// device that [`current_compute`] names, where callers that place their own tensors (the `jetnewton train`
/// session: parameters once, each minibatch as it is drawn) put them.
pub fn install_compute(device: Arc<dyn ComputeDevice>) -> DeviceGuard {
    put(Installed {
        matmul: device.clone(),
        compute: Some(device),
    })
}

fn put(installed: Installed) -> DeviceGuard {
    let mut slot = DEVICE.write().unwrap_or_else(PoisonError::into_inner);
    *FAILURE.lock().unwrap_or_else(PoisonError::into_inner) = None;
    let previous = slot.replace(installed);
    ACTIVE.store(true, Ordering::Release);
    DeviceGuard { previous }
}

/// The installed device, unless there is none or it has failed.
pub fn current() -> Option<Arc<dyn MatmulDevice>> {
    installed().map(|i| i.matmul)
}

/// The installed device in its compute role (installed with [`install_compute`]), unless there is none or it
/// has failed.
pub fn current_compute() -> Option<Arc<dyn ComputeDevice>> {
    installed().and_then(|i| i.compute)
}

fn installed() -> Option<Installed> {
    if !ACTIVE.load(Ordering::Acquire) {
        return None;
    }
    DEVICE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// `Ok` unless the installed device has failed: then [`EngineError::Device`] with its first failure.
pub fn health() -> Result<()> {
    match FAILURE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Records a failure of `device`; the first one is kept.
pub(crate) fn record_failure(device: &dyn MatmulDevice, message: String) {
    record_failure_of(device.describe(), message);
}

/// Records a failure of the device described as `device`; the first one is kept.
pub(crate) fn record_failure_of(device: String, message: String) {
    let mut failure = FAILURE.lock().unwrap_or_else(PoisonError::into_inner);
    if failure.is_none() {
        *failure = Some(EngineError::Device { device, message });
    }
    ACTIVE.store(false, Ordering::Release);
}
