//! Elementwise product: the simplest bilinear op. Its jet is a Cauchy product and its adjoints are products again.

use rayon::prelude::*;

use crate::device::rules;
use crate::error::Result;
use crate::float::Float;
use crate::graph::Var;
use crate::ops::bilinear::{Adjoint, BilinearMap};
use crate::tensor::{Tensor, PAR_CHUNK, PAR_THRESHOLD};

/// `a ⊙ b` for tensors of the same shape.
#[derive(Debug, Clone, Copy)]
pub struct Mul;

/// `acc += a ⊙ b` in place, or a fresh `a ⊙ b` when there is no accumulator.
pub(crate) fn mul_into<F: Float>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    acc: Option<&mut Tensor<F>>,
) -> Result<Option<Tensor<F>>> {
    if let Some(device) = rules::device_of_any(&[a, b]) {
        return rules::mul_resident(&device, a, b, acc);
    }
    match acc {
        None => Ok(Some(a.zip_map(b, "mul", |x, y| x * y)?)),
        Some(acc) => {
            a.check_same_shape(b, "mul")?;
            acc.check_same_shape(a, "mul")?;
            let (a, b) = (a.data(), b.data());
            let o = acc.data_mut();
            if o.len() >= PAR_THRESHOLD {
                o.par_chunks_mut(PAR_CHUNK)
                    .zip(a.par_chunks(PAR_CHUNK).zip(b.par_chunks(PAR_CHUNK)))
                    .for_each(|(o, (a, b))| {
                        for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                            *o += a * b;
                        }
                    });
            } else {
                for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                    *o += a * b;
                }
            }
            Ok(None)
        }
    }
}

impl<F: Float> BilinearMap<F> for Mul {
    fn bilinear_name(&self) -> &'static str {
        "mul"
    }
    fn product_acc(
        &self,
        a: &Tensor<F>,
        b: &Tensor<F>,
        acc: Option<&mut Tensor<F>>,
    ) -> Result<Option<Tensor<F>>> {
        mul_into(a, b, acc)
    }
    // ā = ȳ ⊙ b, b̄ = ȳ ⊙ a
    fn adjoint_a(&self, _: &[usize]) -> Adjoint<F> {
        Adjoint::new(Mul, true)
    }
    fn adjoint_b(&self, _: &[usize]) -> Adjoint<F> {
        Adjoint::new(Mul, true)
    }
}

impl<'g, F: Float> Var<'g, F> {
    /// `self ⊙ other` (same shapes).
    // Fallible (shapes are checked), so it cannot be the `std::ops` trait.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, other: Var<'g, F>) -> Result<Self> {
        self.apply(Mul, &[other])
    }
}
