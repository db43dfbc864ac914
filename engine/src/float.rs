//! The scalar types the engine computes in: `f32` for training, `f64` for tests and oracles.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

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
    + 'static
{
    /// The type's name as it appears in file formats (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// Converts from `f64`, rounding to nearest.
    fn of(x: f64) -> Self;

    /// Widens to `f64` exactly.
    fn to_f64_lossless(self) -> f64;
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn to_f64_lossless(self) -> f64 {
        self
    }
}
