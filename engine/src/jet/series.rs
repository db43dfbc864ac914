//! The [`Jet`] type: coefficients of a truncated Taylor series, with zero coefficients as tags.

use crate::error::Result;
use crate::float::Float;
use crate::tensor::Tensor;

/// A truncated Taylor series of tensors; see the [module docs](crate::jet) for the coefficient convention.
#[derive(Clone, Debug)]
pub struct Jet<F: Float> {
    /// `coeffs[k]` is the k-th normalised coefficient, `None` where it is exactly zero. `coeffs.len() = order + 1`.
    pub coeffs: Vec<Option<Tensor<F>>>,
}

impl<F: Float> Jet<F> {
    /// A jet of the given order with every coefficient zero.
    pub fn zero(order: usize) -> Self {
        Self {
            coeffs: vec![None; order + 1],
        }
    }

    /// A constant: `x₀` and zeros above.
    pub fn constant(x0: Tensor<F>, order: usize) -> Self {
        let mut j = Self::zero(order);
        j.coeffs[0] = Some(x0);
        j
    }

    /// The order `K` (number of coefficients minus one).
    pub fn order(&self) -> usize {
        self.coeffs.len() - 1
    }

    /// Coefficient `k`, `None` when zero or beyond the order.
    pub fn get(&self, k: usize) -> Option<&Tensor<F>> {
        self.coeffs.get(k).and_then(|c| c.as_ref())
    }

    /// True when every coefficient of order ≥ 1 is zero.
    pub fn is_constant(&self) -> bool {
        self.coeffs.iter().skip(1).all(Option::is_none)
    }

    /// Adds `other` coefficientwise into `self` (orders ≥ `from` only), keeping zero tags where both are zero.
    pub fn accumulate(&mut self, other: &Jet<F>, from: usize) -> Result<()> {
        for k in from..self.coeffs.len().min(other.coeffs.len()) {
            add_coeff(&mut self.coeffs[k], other.coeffs[k].as_ref())?;
        }
        Ok(())
    }
}

/// `acc += x` where both may be the zero tag.
pub fn add_coeff<F: Float>(acc: &mut Option<Tensor<F>>, x: Option<&Tensor<F>>) -> Result<()> {
    if let Some(x) = x {
        match acc {
            Some(a) => a.axpy(F::one(), x)?,
            None => *acc = Some(x.clone()),
        }
    }
    Ok(())
}

/// `acc += x` for an owned addend, moving it in when `acc` is the zero tag.
pub fn add_coeff_owned<F: Float>(acc: &mut Option<Tensor<F>>, x: Tensor<F>) -> Result<()> {
    match acc {
        Some(a) => a.axpy(F::one(), &x),
        None => {
            *acc = Some(x);
            Ok(())
        }
    }
}
