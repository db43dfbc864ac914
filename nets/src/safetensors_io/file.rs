//! Reading and writing safetensors files: parsing with errors that name the file, converting tensors, checking the
//! set of names, and writing atomically.

use std::borrow::Cow;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jetnewton_engine::{Float, Tensor};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors, View};

use crate::error::{NetsError, Result};

/// The bytes of `path`; an [`NetsError::Io`] naming it when it cannot be read.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|source| NetsError::Io {
        path: path.to_path_buf(),
        action: "cannot read",
        source,
    })
}

/// The safetensors file held in `bytes`; an error naming `origin` when it is cut short or corrupt.
pub(crate) fn parse<'a>(origin: &Path, bytes: &'a [u8]) -> Result<SafeTensors<'a>> {
    SafeTensors::deserialize(bytes).map_err(|e| NetsError::Safetensors {
        path: origin.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Checks that `st` holds exactly the tensors `expected`: the first missing one, else the first extra one, is an
/// error.
pub(crate) fn check_names(path: &Path, st: &SafeTensors<'_>, expected: &[String]) -> Result<()> {
    let mut present: Vec<String> = st.names().into_iter().map(String::from).collect();
    present.sort();
    if let Some(name) = expected.iter().find(|n| !present.contains(n)) {
        return Err(NetsError::MissingTensor {
            path: path.to_path_buf(),
            name: name.clone(),
            present,
        });
    }
    if let Some(name) = present.iter().find(|n| !expected.contains(n)) {
        return Err(NetsError::UnexpectedTensor {
            path: path.to_path_buf(),
            name: name.clone(),
            expected: expected.to_vec(),
        });
    }
    Ok(())
}

/// The tensor `name` of `st` (known to exist).
pub(crate) fn view<'a>(path: &Path, st: &SafeTensors<'a>, name: &str) -> Result<TensorView<'a>> {
    st.tensor(name).map_err(|e| NetsError::Safetensors {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The elements of a float tensor (`F32`, `F64`, `F16` or `BF16`, little-endian) converted to `F`. Half
/// precision widens exactly (every f16 and bf16 value is an f32).
pub(crate) fn floats<F: Float>(path: &Path, name: &str, v: &TensorView<'_>) -> Result<Vec<F>> {
    let data = v.data();
    let halves = |widen: fn([u8; 2]) -> f64| -> Vec<F> {
        data.chunks_exact(2)
            .map(|b| F::of(widen([b[0], b[1]])))
            .collect()
    };
    match v.dtype() {
        Dtype::F16 => Ok(halves(|b| half::f16::from_le_bytes(b).to_f64())),
        Dtype::BF16 => Ok(halves(|b| half::bf16::from_le_bytes(b).to_f64())),
        Dtype::F32 => Ok(data
            .chunks_exact(4)
            .map(|b| F::of(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
            .collect()),
        Dtype::F64 => Ok(data
            .chunks_exact(8)
            .map(|b| F::of(f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
            .collect()),
        other => Err(NetsError::TensorDtype {
            path: path.to_path_buf(),
            name: name.to_string(),
            expected: "F32, F64, F16 or BF16",
            found: other.to_string(),
        }),
    }
}

/// The elements of an integer tensor (`I64`, `I32` or `U8`) as `i64`.
pub(crate) fn ints(path: &Path, name: &str, v: &TensorView<'_>) -> Result<Vec<i64>> {
    let data = v.data();
    match v.dtype() {
        Dtype::I64 => Ok(data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect()),
        Dtype::I32 => Ok(data
            .chunks_exact(4)
            .map(|b| i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect()),
        Dtype::U8 => Ok(data.iter().map(|&b| i64::from(b)).collect()),
        other => Err(NetsError::TensorDtype {
            path: path.to_path_buf(),
            name: name.to_string(),
            expected: "I64 (or I32, U8)",
            found: other.to_string(),
        }),
    }
}

/// A tensor to serialise with the `safetensors` crate (it implements its `View`): dtype, shape and
/// little-endian bytes.
pub struct RawTensor {
    /// Its dtype.
    pub dtype: Dtype,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl RawTensor {
    /// A float tensor in its own precision (`F32` for `f32`, `F64` for `f64`).
    pub fn of<F: Float>(t: &Tensor<F>) -> Self {
        let values = t.data().iter().map(|x| x.to_f64_lossless());
        let (dtype, bytes) = if F::NAME == "f32" {
            (
                Dtype::F32,
                values.flat_map(|x| (x as f32).to_le_bytes()).collect(),
            )
        } else {
            (Dtype::F64, values.flat_map(f64::to_le_bytes).collect())
        };
        Self {
            dtype,
            shape: t.shape().to_vec(),
            bytes,
        }
    }

    /// `t` stored as `dtype`, rounded to nearest (ties to even) when narrower than `F`; errors naming the tensor
    /// when a finite value overflows the type (f16 holds at most 65504), rather than saving an infinity.
    pub fn stored_as<F: Float>(name: &str, t: &Tensor<F>, dtype: StoreDtype) -> Result<Self> {
        let values = t.data().iter().map(|x| x.to_f64_lossless());
        let overflow = |v: f64| NetsError::Overflow {
            name: name.to_string(),
            value: v,
            dtype: dtype.name(),
        };
        let mut bytes = Vec::with_capacity(t.numel() * dtype.bytes());
        for v in values {
            let finite_in = v.is_finite();
            match dtype {
                StoreDtype::F64 => bytes.extend(v.to_le_bytes()),
                StoreDtype::F32 => {
                    let x = v as f32;
                    if finite_in && !x.is_finite() {
                        return Err(overflow(v));
                    }
                    bytes.extend(x.to_le_bytes());
                }
                StoreDtype::F16 => {
                    let x = half::f16::from_f64(v);
                    if finite_in && !x.is_finite() {
                        return Err(overflow(v));
                    }
                    bytes.extend(x.to_le_bytes());
                }
                StoreDtype::BF16 => {
                    let x = half::bf16::from_f64(v);
                    if finite_in && !x.is_finite() {
                        return Err(overflow(v));
                    }
                    bytes.extend(x.to_le_bytes());
                }
            }
        }
        Ok(Self {
            dtype: dtype.safetensors(),
            shape: t.shape().to_vec(),
            bytes,
        })
    }

    /// An `F64` tensor of `shape` holding `values` (row-major).
    pub fn from_f64s(shape: Vec<usize>, values: &[f64]) -> Self {
        Self {
            dtype: Dtype::F64,
            shape,
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

impl View for &RawTensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Serialises named tensors into safetensors bytes.
pub(crate) fn serialize(path: &Path, tensors: &[(String, RawTensor)]) -> Result<Vec<u8>> {
    safetensors::serialize(tensors.iter().map(|(n, r)| (n.as_str(), r)), None).map_err(|e| {
        NetsError::Safetensors {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed to disk, then renamed over
/// `path` (and the directory synced, where the platform allows). A failure leaves `path` as it was and no
/// temporary file behind.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action: &'static str, at: &Path| {
        let at = at.to_path_buf();
        move |source| NetsError::Io {
            path: at,
            action,
            source,
        }
    };
    let file_name = path.file_name().ok_or_else(|| NetsError::Io {
        path: path.to_path_buf(),
        action: "cannot write",
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ),
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = dir.join(format!(
        ".{}.tmp.{}.{nonce}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io("cannot create a temporary file", &tmp))?;
        f.write_all(bytes).map_err(io("cannot write", &tmp))?;
        f.sync_all().map_err(io("cannot flush to disk", &tmp))?;
        fs::rename(&tmp, path).map_err(io("cannot rename into place", path))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
        return written;
    }
    // Make the rename itself durable; not every platform can open a directory, so this is best effort.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The float type a tensor is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreDtype {
    /// IEEE half precision (PyTorch's `float16`).
    F16,
    /// bfloat16 (PyTorch's `bfloat16`).
    BF16,
    /// Single precision.
    F32,
    /// Double precision.
    F64,
}

impl StoreDtype {
    /// Its name in messages and configs (`f16`, `bf16`, `f32`, `f64`).
    pub fn name(self) -> &'static str {
        match self {
            Self::F16 => "f16",
            Self::BF16 => "bf16",
            Self::F32 => "f32",
            Self::F64 => "f64",
        }
    }

    /// Bytes per element.
    pub fn bytes(self) -> usize {
        match self {
            Self::F16 | Self::BF16 => 2,
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    fn safetensors(self) -> Dtype {
        match self {
            Self::F16 => Dtype::F16,
            Self::BF16 => Dtype::BF16,
            Self::F32 => Dtype::F32,
            Self::F64 => Dtype::F64,
        }
    }
}
