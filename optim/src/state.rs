//! [`OptimizerState`]: an optimiser's whole state as plain named numbers, for checkpoints, and the checked reader
//! that turns it back into an optimiser.

use std::collections::{BTreeMap, BTreeSet};

use jetnewton_engine::{Float, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{OptimError, Result};

/// A tensor of an optimiser's state, widened to `f64` (exactly: `f32` and `f64` both widen without rounding).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateTensor {
    /// The shape.
    pub shape: Vec<usize>,
    /// The elements in row-major order.
    pub data: Vec<f64>,
}

/// Everything an optimiser needs to continue exactly where it stopped: named `f64` scalars (counters, the step
/// size, scheduler bookkeeping) and named tensors (momentum buffers, …).
///
/// Per-parameter tensors are named `{buffer}/{parameter name}` (`exp_avg/0.weight`), so a checkpoint is readable on
/// its own. Every value is finite (an absent entry stands for "undefined"), so any format can store it.
/// Restoring it with [`crate::Optimizer::load_state`] into an optimiser of the same kind, configuration and
/// parameter layout continues bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// The optimiser that wrote it (`sgd`, `adam`, `method1`, `kfac`).
    pub kind: String,
    /// Named scalars.
    pub scalars: BTreeMap<String, f64>,
    /// Named tensors.
    pub tensors: BTreeMap<String, StateTensor>,
}

impl OptimizerState {
    /// An empty state of optimiser `kind`.
    pub fn new(kind: &str) -> Self {
        Self {
            kind: kind.into(),
            scalars: BTreeMap::new(),
            tensors: BTreeMap::new(),
        }
    }

    /// Sets scalar `name`.
    pub fn set_scalar(&mut self, name: &str, value: f64) {
        self.scalars.insert(name.into(), value);
    }

    /// Sets tensor `name` from an engine tensor.
    pub fn set_tensor<F: Float>(&mut self, name: String, t: &Tensor<F>) {
        let data = t.data().iter().map(|v| v.to_f64_lossless()).collect();
        self.tensors.insert(
            name,
            StateTensor {
                shape: t.shape().to_vec(),
                data,
            },
        );
    }

    /// Sets tensor `name` from `f64` values of `shape` (row-major), stored as they are.
    pub fn set_f64_tensor(&mut self, name: impl Into<String>, shape: Vec<usize>, data: Vec<f64>) {
        self.tensors
            .insert(name.into(), StateTensor { shape, data });
    }

    /// Sets one tensor per parameter, named `{buffer}/{parameter name}`.
    pub fn set_buffers<F: Float>(&mut self, buffer: &str, names: &[String], ts: &[Tensor<F>]) {
        for (name, t) in names.iter().zip(ts) {
            self.set_tensor(format!("{buffer}/{name}"), t);
        }
    }
}

/// Reads an [`OptimizerState`] back, checking every entry; [`StateReader::finish`] refuses entries nobody read.
pub(crate) struct StateReader<'a> {
    kind: &'static str,
    state: &'a OptimizerState,
    read: BTreeSet<String>,
}

impl<'a> StateReader<'a> {
    /// A reader for optimiser `kind`; errors when the state was written by another kind.
    pub fn new(kind: &'static str, state: &'a OptimizerState) -> Result<Self> {
        if state.kind != kind {
            return Err(OptimError::State {
                kind,
                reason: format!("it was written by `{}`", state.kind),
            });
        }
        Ok(Self {
            kind,
            state,
            read: BTreeSet::new(),
        })
    }

    fn error(&self, reason: String) -> OptimError {
        OptimError::State {
            kind: self.kind,
            reason,
        }
    }

    /// Whether scalar `name` is present.
    pub fn has_scalar(&self, name: &str) -> bool {
        self.state.scalars.contains_key(name)
    }

    /// Scalar `name`, which must be present and finite.
    pub fn scalar(&mut self, name: &str) -> Result<f64> {
        let v = *self
            .state
            .scalars
            .get(name)
            .ok_or_else(|| self.error(format!("scalar `{name}` is missing")))?;
        if !v.is_finite() {
            return Err(self.error(format!("scalar `{name}` = {v} is not finite")));
        }
        self.read.insert(format!("scalar {name}"));
        Ok(v)
    }

    /// Scalar `name` if present (`None` = undefined).
    pub fn optional_scalar(&mut self, name: &str) -> Result<Option<f64>> {
        if self.has_scalar(name) {
            self.scalar(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Scalar `name` as a count: a non-negative integer below 2⁵³.
    pub fn count(&mut self, name: &str) -> Result<u64> {
        let v = self.scalar(name)?;
        if v < 0.0 || v.fract() != 0.0 || v > 9.007_199_254_740_992e15 {
            return Err(self.error(format!("`{name}` = {v} is not a count")));
        }
        Ok(v as u64)
    }

    /// The values of `f64` tensor `name` of `shape`, row-major (see [`StateReader::tensor`] for the checks).
    pub fn f64_tensor(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f64>> {
        Ok(self.tensor::<f64>(name, shape)?.into_vec())
    }

    /// Tensor `name` of `shape` in precision `F`; errors when missing, mis-shaped, not finite, or not exactly
    /// representable in `F`.
    pub fn tensor<F: Float>(&mut self, name: &str, shape: &[usize]) -> Result<Tensor<F>> {
        let t = self
            .state
            .tensors
            .get(name)
            .ok_or_else(|| self.error(format!("tensor `{name}` is missing")))?;
        if t.shape != shape {
            return Err(self.error(format!(
                "tensor `{name}` has shape {:?}, expected {shape:?}",
                t.shape
            )));
        }
        let mut data = Vec::with_capacity(t.data.len());
        for &v in &t.data {
            let x = F::of(v);
            if !v.is_finite() || x.to_f64_lossless() != v {
                return Err(self.error(format!(
                    "tensor `{name}` holds {v}, not a finite {}",
                    F::NAME
                )));
            }
            data.push(x);
        }
        let out = Tensor::from_vec(shape.to_vec(), data)
            .map_err(|e| self.error(format!("tensor `{name}`: {e}")))?;
        self.read.insert(format!("tensor {name}"));
        Ok(out)
    }

    /// One tensor per parameter, named `{buffer}/{parameter name}`, of the parameters' shapes.
    pub fn buffers<F: Float>(
        &mut self,
        buffer: &str,
        names: &[String],
        shapes: &[Vec<usize>],
    ) -> Result<Vec<Tensor<F>>> {
        names
            .iter()
            .zip(shapes)
            .map(|(n, s)| self.tensor(&format!("{buffer}/{n}"), s))
            .collect()
    }

    /// Errors when the state holds an entry that was not read (another layout or configuration wrote it).
    pub fn finish(self) -> Result<()> {
        let unread = self
            .state
            .scalars
            .keys()
            .map(|k| format!("scalar {k}"))
            .chain(self.state.tensors.keys().map(|k| format!("tensor {k}")))
            .find(|k| !self.read.contains(k));
        match unread {
            Some(k) => Err(self.error(format!("unexpected {k}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensors_round_trip_exactly_and_are_checked() {
        let t = Tensor::<f32>::from_vec(vec![2], vec![0.1, -3.5e-7]).unwrap();
        let mut s = OptimizerState::new("adam");
        s.set_buffers("exp_avg", &["w".to_string()], std::slice::from_ref(&t));
        s.set_scalar("step", 3.0);
        let mut r = StateReader::new("adam", &s).unwrap();
        assert_eq!(r.count("step").unwrap(), 3);
        let back: Vec<Tensor<f32>> = r.buffers("exp_avg", &["w".into()], &[vec![2]]).unwrap();
        assert_eq!(back[0], t);
        r.finish().unwrap();

        assert!(StateReader::new("sgd", &s).is_err());
        let mut r = StateReader::new("adam", &s).unwrap();
        assert!(r.tensor::<f32>("exp_avg/w", &[3]).is_err());
        assert!(r.scalar("lr").is_err());
        // An f64 value that f32 cannot hold exactly is refused rather than rounded.
        let mut wide = s.clone();
        wide.tensors.get_mut("exp_avg/w").unwrap().data[0] = 0.1;
        let mut r = StateReader::new("adam", &wide).unwrap();
        assert!(r.tensor::<f32>("exp_avg/w", &[2]).is_err());
        assert!(r.tensor::<f64>("exp_avg/w", &[2]).is_ok());
        // Unread entries are refused.
        let mut r = StateReader::new("adam", &s).unwrap();
        r.count("step").unwrap();
        let err = r.finish().unwrap_err().to_string();
        assert!(err.contains("unexpected tensor exp_avg/w"), "{err}");
        let mut bad = s.clone();
        bad.set_scalar("step", 1.5);
        assert!(StateReader::new("adam", &bad)
            .unwrap()
            .count("step")
            .is_err());
        bad.set_scalar("step", f64::NAN);
        assert!(StateReader::new("adam", &bad)
            .unwrap()
            .count("step")
            .is_err());
    }
}
