//! Elementwise arithmetic and reductions of tensors: on the host with rayon for large tensors, or through the
//! device rules when a tensor is resident.

use std::sync::Arc;

use rayon::prelude::*;

use super::{Tensor, PAR_CHUNK, PAR_THRESHOLD};
use crate::device::rules;
use crate::device::storage::Storage;
use crate::error::Result;
use crate::float::Float;

impl<F: Float> Tensor<F> {
    /// Elementwise map into a new tensor of the same shape (parallel for large tensors).
    pub fn map(&self, f: impl Fn(F) -> F + Sync + Send) -> Self {
        let mut out = vec![F::zero(); self.numel()];
        let src = self.data();
        if out.len() >= PAR_THRESHOLD {
            out.par_chunks_mut(PAR_CHUNK)
                .zip(src.par_chunks(PAR_CHUNK))
                .for_each(|(o, s)| o.iter_mut().zip(s).for_each(|(o, &s)| *o = f(s)));
        } else {
            out.iter_mut().zip(src).for_each(|(o, &s)| *o = f(s));
        }
        Self {
            shape: self.shape.clone(),
            storage: Storage::Host(Arc::new(out)),
        }
    }

    /// Elementwise combination of two tensors of the same shape.
    pub fn zip_map(
        &self,
        other: &Self,
        op: &'static str,
        f: impl Fn(F, F) -> F + Sync + Send,
    ) -> Result<Self> {
        self.check_same_shape(other, op)?;
        let mut out = vec![F::zero(); self.numel()];
        let (a, b) = (self.data(), other.data());
        if out.len() >= PAR_THRESHOLD {
            out.par_chunks_mut(PAR_CHUNK)
                .zip(a.par_chunks(PAR_CHUNK).zip(b.par_chunks(PAR_CHUNK)))
                .for_each(|(o, (a, b))| {
                    for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                        *o = f(a, b);
                    }
                });
        } else {
            for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
                *o = f(a, b);
            }
        }
        Ok(Self {
            shape: self.shape.clone(),
            storage: Storage::Host(Arc::new(out)),
        })
    }

    /// `self += alpha * other`, in place.
    pub fn axpy(&mut self, alpha: F, other: &Self) -> Result<()> {
        self.check_same_shape(other, "axpy")?;
        if let Some(device) = rules::device_of_any(&[self, other]) {
            return rules::axpby_resident(&device, self, alpha, other, F::one());
        }
        // A clone shares `other`'s storage: it keeps the addend readable while `self` (which may share that very
        // storage) is written, copy-on-write.
        let other = other.clone();
        let b = other.data();
        let a = self.data_mut();
        if a.len() >= PAR_THRESHOLD {
            a.par_chunks_mut(PAR_CHUNK)
                .zip(b.par_chunks(PAR_CHUNK))
                .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, &b)| *a += alpha * b));
        } else {
            a.iter_mut()
                .zip(b.iter())
                .for_each(|(a, &b)| *a += alpha * b);
        }
        Ok(())
    }

    /// `self = alpha·other + beta·self`, in place (on the device when `self` or `other` is resident).
    pub fn axpby(&mut self, alpha: F, other: &Self, beta: F) -> Result<()> {
        self.check_same_shape(other, "axpby")?;
        if let Some(device) = rules::device_of_any(&[self, other]) {
            return rules::axpby_resident(&device, self, alpha, other, beta);
        }
        let other = other.clone();
        let b = other.data();
        let a = self.data_mut();
        // Written `alpha * b + beta * a` in this order for every length, so the bits do not depend on the split.
        if a.len() >= PAR_THRESHOLD {
            a.par_chunks_mut(PAR_CHUNK)
                .zip(b.par_chunks(PAR_CHUNK))
                .for_each(|(a, b)| {
                    a.iter_mut()
                        .zip(b)
                        .for_each(|(a, &b)| *a = alpha * b + beta * *a)
                });
        } else {
            a.iter_mut()
                .zip(b)
                .for_each(|(a, &b)| *a = alpha * b + beta * *a);
        }
        Ok(())
    }

    /// Multiplies every element by `alpha`.
    pub fn scale(&self, alpha: F) -> Self {
        if let Some(device) = rules::device_of(self) {
            if let Ok(scaled) =
                rules::combination(&device, &[(alpha.to_f64_lossless(), self)], "scale")
            {
                return scaled;
            }
            // A device that failed has recorded it (see `device::health`); the host computes this one.
        }
        self.map(|x| alpha * x)
    }

    /// Sum of all elements, accumulated in `f64` for accuracy.
    pub fn sum_f64(&self) -> f64 {
        let d = self.data();
        if d.len() >= PAR_THRESHOLD {
            ordered_sum(
                d.par_chunks(PAR_CHUNK)
                    .map(|c| c.iter().map(|x| x.to_f64_lossless()).sum::<f64>()),
            )
        } else {
            d.iter().map(|x| x.to_f64_lossless()).sum()
        }
    }

    /// Inner product `<self, other>` accumulated in `f64`.
    pub fn dot_f64(&self, other: &Self) -> Result<f64> {
        self.check_same_shape(other, "dot")?;
        if self.device().is_some() {
            return rules::dot(self, other);
        }
        let (a, b) = (self.data(), other.data());
        let chunk = |a: &[F], b: &[F]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| x.to_f64_lossless() * y.to_f64_lossless())
                .sum::<f64>()
        };
        Ok(if a.len() >= PAR_THRESHOLD {
            ordered_sum(
                a.par_chunks(PAR_CHUNK)
                    .zip(b.par_chunks(PAR_CHUNK))
                    .map(|(a, b)| chunk(a, b)),
            )
        } else {
            chunk(a, b)
        })
    }

    /// Euclidean norm, accumulated in `f64`.
    pub fn norm_f64(&self) -> f64 {
        self.dot_f64(self).unwrap_or(f64::NAN).sqrt()
    }

    /// Largest absolute elementwise difference to `other` (`inf` when shapes differ).
    pub fn max_abs_diff(&self, other: &Self) -> f64 {
        if self.shape != other.shape {
            return f64::INFINITY;
        }
        self.data()
            .iter()
            .zip(other.data())
            .map(|(a, b)| (a.to_f64_lossless() - b.to_f64_lossless()).abs())
            .fold(0.0, f64::max)
    }
}

/// The sum of per-chunk partial sums, added in chunk order. Rayon's own `sum` associates by work stealing, so its
/// float result could change from run to run; collecting the partials first makes it depend on the chunk size
/// only (not even on the thread count).
fn ordered_sum(partials: impl IndexedParallelIterator<Item = f64>) -> f64 {
    partials.collect::<Vec<f64>>().into_iter().sum()
}
