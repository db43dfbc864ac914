//! Dense, contiguous, row-major tensors whose shape is a run-time value.
//!
//! Storage sits behind an `Arc`, so cloning a tensor is cheap and the tape, the jets and the caller can all hold the
//! same activations; writing goes through [`Tensor::data_mut`], which copies only when the storage is shared.

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{EngineError, Result};
use crate::float::Float;

/// Element count above which elementwise loops are split across rayon threads; below it the fork costs more than
/// it saves.
pub(crate) const PAR_THRESHOLD: usize = 1 << 15;

/// Chunk length for parallel elementwise loops.
pub(crate) const PAR_CHUNK: usize = 1 << 13;

/// A dense row-major tensor of `F`.
#[derive(Clone, PartialEq)]
pub struct Tensor<F> {
    shape: Vec<usize>,
    data: Arc<Vec<F>>,
}

impl<F: Float> std::fmt::Debug for Tensor<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<F> = self.data.iter().take(8).copied().collect();
        write!(f, "Tensor{:?}{:?}", self.shape, shown)?;
        if self.data.len() > 8 {
            write!(f, "…")?;
        }
        Ok(())
    }
}

/// Number of elements a shape holds.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl<F: Float> Tensor<F> {
    /// A tensor from its shape and row-major data; errors when the lengths disagree.
    ///
    /// ```
    /// use jetnewton_engine::Tensor;
    /// let t = Tensor::<f64>::from_vec(vec![2, 3], vec![1.0; 6]).unwrap();
    /// assert_eq!(t.shape(), &[2, 3]);
    /// assert!(Tensor::<f64>::from_vec(vec![2, 3], vec![1.0; 5]).is_err());
    /// ```
    pub fn from_vec(shape: Vec<usize>, data: Vec<F>) -> Result<Self> {
        let expected = numel(&shape);
        if expected != data.len() {
            return Err(EngineError::DataLength {
                shape,
                expected,
                len: data.len(),
            });
        }
        Ok(Self {
            shape,
            data: Arc::new(data),
        })
    }

    /// A tensor filled with `value`.
    pub fn full(shape: &[usize], value: F) -> Self {
        Self {
            shape: shape.to_vec(),
            data: Arc::new(vec![value; numel(shape)]),
        }
    }

    /// A tensor of independent standard normal draws (Box-Muller over a ChaCha8 stream), the same for the same
    /// `shape` and `seed` on every platform.
    ///
    /// ```
    /// use jetnewton_engine::Tensor;
    /// let a = Tensor::<f64>::randn(&[2, 3], 7);
    /// assert_eq!(a.shape(), &[2, 3]);
    /// assert_eq!(a.data(), Tensor::<f64>::randn(&[2, 3], 7).data());
    /// ```
    pub fn randn(shape: &[usize], seed: u64) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let data = (0..numel(shape))
            .map(|_| {
                let u1: f64 = 1.0 - rng.random::<f64>();
                let u2: f64 = rng.random::<f64>();
                F::of((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos())
            })
            .collect();
        Self {
            shape: shape.to_vec(),
            data: Arc::new(data),
        }
    }

    /// A tensor of independent draws uniform on `[lo, hi)`, the same for the same `shape` and `seed`.
    ///
    /// ```
    /// use jetnewton_engine::Tensor;
    /// let a = Tensor::<f32>::uniform(&[4], -1.0, 1.0, 3);
    /// assert!(a.data().iter().all(|&x| (-1.0..1.0).contains(&x)));
    /// ```
    pub fn uniform(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let data = (0..numel(shape))
            .map(|_| F::of(lo + (hi - lo) * rng.random::<f64>()))
            .collect();
        Self {
            shape: shape.to_vec(),
            data: Arc::new(data),
        }
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, F::zero())
    }

    /// A rank-0 tensor holding one value.
    pub fn scalar(value: F) -> Self {
        Self {
            shape: Vec::new(),
            data: Arc::new(vec![value]),
        }
    }

    /// True when both tensors share one storage (a cheap identity test, not a comparison of values).
    pub fn same_storage(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[F] {
        &self.data
    }

    /// Mutable access to the elements, copying the storage first if it is shared.
    pub fn data_mut(&mut self) -> &mut [F] {
        Arc::make_mut(&mut self.data).as_mut_slice()
    }

    /// Consumes the tensor and returns its elements (copying only if shared).
    pub fn into_vec(self) -> Vec<F> {
        Arc::try_unwrap(self.data).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The same elements under another shape with as many elements.
    pub fn reshape(&self, shape: &[usize]) -> Result<Self> {
        if numel(shape) != self.numel() {
            return Err(EngineError::ShapeMismatch {
                op: "reshape",
                lhs: self.shape.clone(),
                rhs: shape.to_vec(),
            });
        }
        Ok(Self {
            shape: shape.to_vec(),
            data: self.data.clone(),
        })
    }

    /// The single value of a one-element tensor.
    pub fn item(&self) -> Result<F> {
        if self.numel() != 1 {
            return Err(EngineError::InvalidShape {
                op: "item",
                shape: self.shape.clone(),
                reason: "expected exactly one element".into(),
            });
        }
        Ok(self.data[0])
    }

    /// Converts every element to another float type.
    pub fn cast<G: Float>(&self) -> Tensor<G> {
        Tensor {
            shape: self.shape.clone(),
            data: Arc::new(
                self.data
                    .iter()
                    .map(|&x| G::of(x.to_f64_lossless()))
                    .collect(),
            ),
        }
    }

    /// Errors unless `other` has the same shape.
    pub fn check_same_shape(&self, other: &Self, op: &'static str) -> Result<()> {
        if self.shape != other.shape {
            return Err(EngineError::ShapeMismatch {
                op,
                lhs: self.shape.clone(),
                rhs: other.shape.clone(),
            });
        }
        Ok(())
    }

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
            data: Arc::new(out),
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
            data: Arc::new(out),
        })
    }

    /// `self += alpha * other`, in place.
    pub fn axpy(&mut self, alpha: F, other: &Self) -> Result<()> {
        self.check_same_shape(other, "axpy")?;
        let b = other.data.clone();
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

    /// Multiplies every element by `alpha`.
    pub fn scale(&self, alpha: F) -> Self {
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
