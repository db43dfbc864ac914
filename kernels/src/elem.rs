//! The element types buffers hold and kernels are instantiated for.
//!
//! The `cuda` feature adds cudarc's bounds (through [`DeviceCopy`]) so that the same bounds serve
//! both backends; this is the only place where the feature changes a trait.

use std::fmt::Debug;

mod sealed {
    /// Only the types below are elements: each matches a C type of the kernels.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i64 {}
}

/// What cudarc needs to copy a type to and from the device: nothing without the `cuda` feature.
#[cfg(feature = "cuda")]
pub trait DeviceCopy: cudarc::driver::DeviceRepr + cudarc::driver::ValidAsZeroBits {}
#[cfg(feature = "cuda")]
impl<T: cudarc::driver::DeviceRepr + cudarc::driver::ValidAsZeroBits> DeviceCopy for T {}

/// What cudarc needs to copy a type to and from the device: nothing without the `cuda` feature.
#[cfg(not(feature = "cuda"))]
pub trait DeviceCopy {}
#[cfg(not(feature = "cuda"))]
impl<T> DeviceCopy for T {}

/// A buffer element: `f32`, `f64` (values) or `i64` (indices and labels).
pub trait Elem:
    sealed::Sealed + DeviceCopy + Copy + Default + PartialEq + Debug + Send + Sync + 'static
{
    /// The value as a kernel argument: its bytes in the low end of a 64-bit slot.
    fn to_slot(self) -> u64;
}

impl Elem for f32 {
    fn to_slot(self) -> u64 {
        u64::from(self.to_bits())
    }
}
impl Elem for f64 {
    fn to_slot(self) -> u64 {
        self.to_bits()
    }
}
impl Elem for i64 {
    fn to_slot(self) -> u64 {
        u64::from_ne_bytes(self.to_ne_bytes())
    }
}

/// The floating types every numeric kernel exists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// `float`, the training precision.
    F32,
    /// `double`, for checks against the CPU engine.
    F64,
}

/// A floating element type.
pub trait Real: Elem + Into<f64> + bytemuck::Pod {
    /// Which of the two.
    const DTYPE: DType;
    /// Rounds an `f64` to this type.
    fn from_f64(v: f64) -> Self;
}

impl Real for f32 {
    const DTYPE: DType = DType::F32;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}
impl Real for f64 {
    const DTYPE: DType = DType::F64;
    fn from_f64(v: f64) -> Self {
        v
    }
}
