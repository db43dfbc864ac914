//! Dense, contiguous, row-major tensors whose shape is a run-time value.
//!
//! Storage sits behind an `Arc`, so cloning a tensor is cheap and the tape, the jets and the caller can all hold the
//! same activations; writing goes through [`Tensor::data_mut`], which copies only when the storage is shared.
//!
//! A tensor's storage is in host memory or resident on a [`ComputeDevice`] ([`Tensor::to_device`]); ops whose
//! first input is resident run their device rules and give resident results, and reading a resident tensor's
//! elements on the host ([`Tensor::data`]) downloads them once.

use std::sync::Arc;

use crate::device::storage::{Resident, Storage};
use crate::device::{ComputeDevice, DeviceBuffer};
use crate::error::{EngineError, Result};
use crate::float::Float;

mod arith;

/// Element count above which elementwise loops are split across rayon threads; below it the fork costs more than
/// it saves.
pub(crate) const PAR_THRESHOLD: usize = 1 << 15;

/// Chunk length for parallel elementwise loops.
pub(crate) const PAR_CHUNK: usize = 1 << 13;

/// A dense row-major tensor of `F`.
#[derive(Clone)]
pub struct Tensor<F> {
    shape: Vec<usize>,
    storage: Storage<F>,
}

impl<F: Float> PartialEq for Tensor<F> {
    /// Same shape and same elements, wherever they are stored.
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.data() == other.data()
    }
}

impl<F: Float> std::fmt::Debug for Tensor<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<F> = self.data().iter().take(8).copied().collect();
        write!(f, "Tensor{:?}{:?}", self.shape, shown)?;
        if self.numel() > 8 {
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
            storage: Storage::Host(Arc::new(data)),
        })
    }

    /// A tensor filled with `value`.
    pub fn full(shape: &[usize], value: F) -> Self {
        Self {
            shape: shape.to_vec(),
            storage: Storage::Host(Arc::new(vec![value; numel(shape)])),
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
            storage: Storage::Host(Arc::new(data)),
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
            storage: Storage::Host(Arc::new(data)),
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
            storage: Storage::Host(Arc::new(vec![value])),
        }
    }

    /// True when both tensors share one storage (a cheap identity test, not a comparison of values).
    pub fn same_storage(&self, other: &Self) -> bool {
        match (&self.storage, &other.storage) {
            (Storage::Host(a), Storage::Host(b)) => Arc::ptr_eq(a, b),
            (Storage::Device(a), Storage::Device(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        match &self.storage {
            Storage::Host(v) => v.len(),
            Storage::Device(r) => r.buffer.len(),
        }
    }

    /// The elements in row-major order; a resident tensor's are downloaded on the first call (and counted by its
    /// device).
    pub fn data(&self) -> &[F] {
        match &self.storage {
            Storage::Host(v) => v,
            Storage::Device(r) => r.host(),
        }
    }

    /// Mutable access to the elements, copying the storage first if it is shared. A resident tensor moves to the
    /// host.
    pub fn data_mut(&mut self) -> &mut [F] {
        if let Storage::Device(r) = &self.storage {
            self.storage = Storage::Host(Arc::new(r.host().to_vec()));
        }
        match &mut self.storage {
            Storage::Host(v) => Arc::make_mut(v).as_mut_slice(),
            Storage::Device(_) => unreachable!("moved to the host above"),
        }
    }

    /// Consumes the tensor and returns its elements (copying only if shared or resident).
    pub fn into_vec(self) -> Vec<F> {
        match self.storage {
            Storage::Host(v) => Arc::try_unwrap(v).unwrap_or_else(|shared| (*shared).clone()),
            Storage::Device(r) => r.host().to_vec(),
        }
    }

    /// The device holding the elements, `None` for a host tensor.
    pub fn device(&self) -> Option<&Arc<dyn ComputeDevice>> {
        match &self.storage {
            Storage::Host(_) => None,
            Storage::Device(r) => Some(&r.device),
        }
    }

    /// The device buffer holding the elements, `None` for a host tensor.
    pub fn device_buffer(&self) -> Option<&DeviceBuffer> {
        match &self.storage {
            Storage::Host(_) => None,
            Storage::Device(r) => Some(&r.buffer),
        }
    }

    /// The same tensor resident on `device` (no copy when it is already there).
    ///
    /// ```
    /// # use jetnewton_engine::Tensor;
    /// let t = Tensor::<f64>::from_vec(vec![2], vec![1.0, 2.0]).unwrap();
    /// assert!(t.device().is_none());
    /// ```
    pub fn to_device(&self, device: &Arc<dyn ComputeDevice>) -> Result<Self> {
        if let Some(on) = self.device() {
            if Arc::ptr_eq(on, device) {
                return Ok(self.clone());
            }
        }
        let bytes: &[u8] = bytemuck::cast_slice(self.data());
        let buffer = device
            .upload(F::DTYPE, bytes)
            .map_err(|message| EngineError::Device {
                device: device.describe(),
                message: format!("upload of a {:?} tensor: {message}", self.shape),
            })?;
        Ok(Self::from_device(
            self.shape.clone(),
            device.clone(),
            buffer,
        ))
    }

    /// The same tensor in host memory (downloading it when resident).
    pub fn to_host(&self) -> Self {
        match &self.storage {
            Storage::Host(_) => self.clone(),
            Storage::Device(r) => Self {
                shape: self.shape.clone(),
                storage: Storage::Host(Arc::new(r.host().to_vec())),
            },
        }
    }

    /// The device buffer for writing in place, when this tensor is resident and the only holder of its storage
    /// (the host copy, if any, is dropped: it would be stale).
    pub(crate) fn unique_device_buffer(&mut self) -> Option<&mut DeviceBuffer> {
        match &mut self.storage {
            Storage::Device(r) => Arc::get_mut(r).map(Resident::for_writing),
            Storage::Host(_) => None,
        }
    }

    /// A resident tensor of `shape` held in `buffer` on `device`; the buffer must hold `numel(shape)` elements
    /// of `F` (the device rules that call this allocate it so).
    pub(crate) fn from_device(
        shape: Vec<usize>,
        device: Arc<dyn ComputeDevice>,
        buffer: DeviceBuffer,
    ) -> Self {
        debug_assert_eq!(buffer.len(), numel(&shape));
        debug_assert_eq!(buffer.dtype(), F::DTYPE);
        Self {
            shape,
            storage: Storage::Device(Arc::new(Resident::new(device, buffer))),
        }
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
            storage: self.storage.clone(),
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
        Ok(self.data()[0])
    }

    /// Converts every element to another float type.
    pub fn cast<G: Float>(&self) -> Tensor<G> {
        Tensor {
            shape: self.shape.clone(),
            storage: Storage::Host(Arc::new(
                self.data()
                    .iter()
                    .map(|&x| G::of(x.to_f64_lossless()))
                    .collect(),
            )),
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
}
