//! Where kernels run: a [`Backend`] owns buffers and launches entry points by name.
//!
//! Two backends share one launch ABI, cuLaunchKernel's: an array of pointers, one per kernel
//! parameter, each to that parameter's bytes ([`KernelArgs`]). [`CudaBackend`] hands it to the
//! driver; `HostBackend` (feature `host-kernels`) to the host build of the same `.cu` sources.
//! The safe wrappers in [`crate::ops`] are written once over [`Backend`], so the host tests exercise
//! the very launch code, argument order and launch shapes that run on a GPU.

mod counted;
#[cfg(feature = "cuda")]
mod cuda;
#[cfg(not(feature = "cuda"))]
#[path = "cuda_stub.rs"]
mod cuda;
#[cfg(feature = "host-kernels")]
mod host;

pub use counted::{Counted, Counts};
pub use cuda::{CudaBackend, CudaBuffer};
#[cfg(feature = "host-kernels")]
pub use host::{HostBackend, HostBuffer};

use std::ffi::c_void;
use std::marker::PhantomData;
use std::mem::size_of;

use crate::elem::{Elem, Real};
use crate::error::KernelError;

// Kernel arguments are written into 64-bit slots and read back by their C types in place.
#[cfg(target_endian = "big")]
compile_error!("jetnewton-kernels passes kernel arguments in little-endian slots");

/// Grid and block sizes of one launch (no dynamic shared memory: every kernel sizes its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchDims {
    /// Blocks along x, y, z.
    pub grid: [u32; 3],
    /// Threads per block along x, y, z.
    pub block: [u32; 3],
}

/// Memory a kernel can read and write, owned by one backend.
pub trait Buffer<T: Elem> {
    /// Number of elements.
    fn len(&self) -> usize;
    /// Whether the buffer holds no element.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Address of the first element as the backend's kernels see it (a device pointer on CUDA).
    fn address(&self) -> u64;
}

/// The parameters of one launch, in the kernel's order, each in its own 8-byte-aligned slot.
///
/// Borrows every buffer it points into for `'a`, so buffers outlive the launch and outputs are
/// not aliased by anything Rust can see.
#[derive(Debug, Default)]
pub struct KernelArgs<'a> {
    slots: Vec<Box<[u64]>>,
    borrows: PhantomData<&'a ()>,
}

impl<'a> KernelArgs<'a> {
    /// No parameters yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A `const T*` parameter: `buf` from element `offset` on.
    pub fn input<T: Elem, B: Buffer<T>>(&mut self, buf: &'a B, offset: usize) -> &mut Self {
        self.pointer(buf.address(), buf.len(), offset, size_of::<T>())
    }

    /// A `T*` parameter the kernel writes: `buf` from element `offset` on.
    pub fn output<T: Elem, B: Buffer<T>>(&mut self, buf: &'a mut B, offset: usize) -> &mut Self {
        self.pointer(buf.address(), buf.len(), offset, size_of::<T>())
    }

    /// A `long long` parameter.
    pub fn int(&mut self, v: i64) -> &mut Self {
        self.slots.push(Box::new([v.to_slot()]));
        self
    }

    /// A `float` or `double` parameter.
    pub fn real<T: Real>(&mut self, v: T) -> &mut Self {
        self.slots.push(Box::new([v.to_slot()]));
        self
    }

    /// A struct parameter passed by value, such as `GemmArgs`.
    pub fn record<S: KernelRecord>(&mut self, s: &S) -> &mut Self {
        let words = size_of::<S>().div_ceil(8);
        let mut slot = vec![0u64; words].into_boxed_slice();
        // SAFETY: the slot has at least size_of::<S>() bytes, is 8-byte aligned (enough for a
        // record of i64 fields) and does not overlap `s`; S is Copy plain data (KernelRecord).
        unsafe {
            std::ptr::copy_nonoverlapping(
                (s as *const S).cast::<u8>(),
                slot.as_mut_ptr().cast::<u8>(),
                size_of::<S>(),
            );
        }
        self.slots.push(slot);
        self
    }

    /// Number of parameters pushed so far.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no parameter was pushed.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The pointer array cuLaunchKernel takes; valid while `self` is neither moved nor changed.
    pub fn params(&mut self) -> Vec<*mut c_void> {
        self.slots
            .iter_mut()
            .map(|s| s.as_mut_ptr().cast::<c_void>())
            .collect()
    }

    fn pointer(&mut self, base: u64, len: usize, offset: usize, elem: usize) -> &mut Self {
        // Offsets are checked by the wrappers against the whole span a kernel touches; clamping
        // here only keeps the address inside the allocation should one slip through.
        debug_assert!(offset <= len, "offset {offset} past a buffer of {len}");
        let offset = offset.min(len);
        self.slots
            .push(Box::new([base + (offset as u64) * (elem as u64)]));
        self
    }
}

/// A `#[repr(C)]` struct of `i64` fields that a kernel takes by value.
///
/// # Safety
/// The type must be `#[repr(C)]`, hold only `i64` fields (so it has no padding and 8-byte
/// alignment), and match the C struct the kernel declares field for field.
pub unsafe trait KernelRecord: Copy {}

/// A device (or the host standing in for one) that holds buffers and runs the kernels.
pub trait Backend {
    /// A buffer of `T` in this backend's memory.
    type Buffer<T: Elem>: Buffer<T>;

    /// A one-line description, e.g. the device's name.
    fn describe(&self) -> String;

    /// A buffer of `len` zeros.
    fn alloc_zeros<T: Elem>(&self, len: usize) -> Result<Self::Buffer<T>, KernelError>;

    /// A buffer holding a copy of `data`.
    fn upload<T: Elem>(&self, data: &[T]) -> Result<Self::Buffer<T>, KernelError>;

    /// The contents of `buf`, after every launch so far has finished.
    fn download<T: Elem>(&self, buf: &Self::Buffer<T>) -> Result<Vec<T>, KernelError>;

    /// Waits until every launch so far has finished.
    fn synchronize(&self) -> Result<(), KernelError>;

    /// Launches entry point `kernel` (a name from [`crate::entries`]) over `dims`.
    ///
    /// # Safety
    /// `args` must match the kernel's parameter list in order and types, and every element the
    /// kernel reads or writes with them must lie inside the buffers they point into; outputs
    /// must not overlap other parameters unless the kernel allows it.
    unsafe fn launch(
        &self,
        kernel: &'static str,
        dims: LaunchDims,
        args: KernelArgs<'_>,
    ) -> Result<(), KernelError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    #[repr(C)]
    struct Three {
        a: i64,
        b: i64,
        c: i64,
    }
    // SAFETY: repr(C), i64 fields only.
    unsafe impl KernelRecord for Three {}

    #[test]
    fn slots_hold_the_c_bytes() {
        let mut args = KernelArgs::new();
        args.int(-2).real(1.5f32).real(2.25f64);
        args.record(&Three { a: 1, b: 2, c: 3 });
        let params = args.params();
        assert_eq!(params.len(), 4);
        // SAFETY: each pointer is to a live slot of the matching type.
        unsafe {
            assert_eq!(*params[0].cast::<i64>(), -2);
            assert_eq!(*params[1].cast::<f32>(), 1.5);
            assert_eq!(*params[2].cast::<f64>(), 2.25);
            assert_eq!(*params[3].cast::<[i64; 3]>(), [1, 2, 3]);
        }
    }
}
