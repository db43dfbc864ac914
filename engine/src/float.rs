//! The scalar types the engine computes in: `f32` for training, `f64` for tests and oracles.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use crate::device::{DType, GemmCall, MatmulDevice};

/// A floating-point scalar the engine can compute with (implemented for `f32` and `f64`).
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + num_traits::ToPrimitive
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + bytemuck::Pod
    + 'static
{
    /// The type's name as it appears in file formats (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// The element type of this type's device buffers.
    const DTYPE: DType;

    /// Converts from `f64`, rounding to nearest.
    fn of(x: f64) -> Self;

    /// Widens to `f64` exactly.
    fn to_f64_lossless(self) -> f64;

    /// `tanh`, as fast as the type's precision allows (see the `f32` implementation).
    fn tanh_fast(self) -> Self {
        self.tanh()
    }

    /// Runs `call` on `device` in this type's precision.
    fn device_gemm(
        device: &dyn MatmulDevice,
        call: &GemmCall,
        a: &[Self],
        b: &[Self],
        dst: &mut [Self],
    ) -> Result<(), String>;
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    const DTYPE: DType = DType::F32;
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self as f64
    }

    fn device_gemm(
        device: &dyn MatmulDevice,
        call: &GemmCall,
        a: &[Self],
        b: &[Self],
        dst: &mut [Self],
    ) -> Result<(), String> {
        device.gemm_f32(call, a, b, dst)
    }

    /// glibc's `tanhf` costs ~15 ns (it goes through `expm1f`); this costs ~3 ns and stays within a few ulp:
    /// an odd Taylor polynomial near 0, where `1 − e^{−2|x|}` would cancel, and `(1 − e)/(1 + e)` elsewhere, whose
    /// relative error is at most ~ε/(1 − e^{−1/8}) ≈ 8ε.
    #[inline]
    fn tanh_fast(self) -> Self {
        let a = self.abs();
        if a < 0.0625 {
            let x2 = self * self;
            // x − x³/3 + 2x⁵/15 − 17x⁷/315: the next term is below 2⁻³⁵·|x| here.
            self * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 - x2 * (17.0 / 315.0))))
        } else {
            let e = (-2.0 * a).exp();
            ((1.0 - e) / (1.0 + e)).copysign(self)
        }
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    const DTYPE: DType = DType::F64;
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self
    }

    fn device_gemm(
        device: &dyn MatmulDevice,
        call: &GemmCall,
        a: &[Self],
        b: &[Self],
        dst: &mut [Self],
    ) -> Result<(), String> {
        device.gemm_f64(call, a, b, dst)
    }
}
