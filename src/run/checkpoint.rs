//! Checkpoints: the parameters, the optimiser's state, the samplers' positions and the loop's own counters, in
//! one safetensors file written atomically, so that resuming continues the trajectory bit for bit.
//!
//! Tensors are stored as `param/{name}` (in the training precision) and `state/{name}` (`f64`, the
//! [`OptimizerState`]'s tensors); everything else is JSON in the safetensors metadata under the key `jetnewton`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use jetnewton_engine::{Float, Tensor};
use jetnewton_nets::data::SamplerState;
use jetnewton_nets::RawTensor;
use jetnewton_optim::{OptimizerState, StateTensor};
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::run::atomic::write_atomic;

/// The version of the layout below; a checkpoint of another version is refused.
pub const FORMAT: u32 = 1;
/// The metadata key holding [`CheckpointMeta`].
const META_KEY: &str = "jetnewton";

/// Why a checkpoint cannot be written or used.
#[derive(Debug, thiserror::Error)]
#[error("checkpoint {path}: {reason}")]
pub struct CheckpointError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// A sampler's position, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSampler {
    /// Its seed.
    pub seed: u64,
    /// Finished epochs.
    pub epoch: u64,
    /// Position in the current epoch's order.
    pub position: usize,
    /// Length of the data set it draws from.
    pub dataset_len: usize,
    /// Its batch size.
    pub batch_size: usize,
}

impl From<SamplerState> for SavedSampler {
    fn from(s: SamplerState) -> Self {
        Self {
            seed: s.seed,
            epoch: s.epoch,
            position: s.position,
            dataset_len: s.dataset_len,
            batch_size: s.batch_size,
        }
    }
}

impl From<SavedSampler> for SamplerState {
    fn from(s: SavedSampler) -> Self {
        Self {
            seed: s.seed,
            epoch: s.epoch,
            position: s.position,
            dataset_len: s.dataset_len,
            batch_size: s.batch_size,
        }
    }
}

/// The training loop's own counters and running sums.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Steps done.
    pub step: u64,
    /// Training seconds so far, over every session of the run.
    pub wall_s: f64,
    /// Sum of `η̃` per group over the current epoch's steps (Method 1).
    pub eta_sum: Vec<f64>,
    /// Steps counted in `eta_sum`.
    pub eta_count: u64,
    /// Mean loss over recent accepted steps, for the numerical guard's blow-up test.
    pub running_loss: Option<f64>,
    /// Rejected steps since the guard last saw enough good ones in a row.
    pub rejections: usize,
    /// Steps accepted in a row since the guard's last snapshot or rejection.
    #[serde(default)]
    pub accepted_run: u64,
    /// Length in bytes of `steps.jsonl` when the checkpoint was taken.
    pub steps_len: u64,
    /// Length in bytes of `epochs.jsonl` when the checkpoint was taken.
    pub epochs_len: u64,
}

/// Everything but the tensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// [`FORMAT`].
    pub format: u32,
    /// The model spec the parameters belong to.
    pub model: String,
    /// `f32` or `f64`.
    pub dtype: String,
    /// The optimiser's kind ([`OptimizerState::kind`]).
    pub optimizer: String,
    /// The optimiser's scalars.
    pub optimizer_scalars: BTreeMap<String, f64>,
    /// The samplers, gradient's first.
    pub samplers: Vec<SavedSampler>,
    /// The loop's counters.
    pub progress: Progress,
    /// The id of the run that wrote it ([`crate::run::records::RunInfo::run_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The run's configuration but for its length and threads (`crate::train::identity`), to refuse a checkpoint
    /// whose trajectory came from other settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

/// A checkpoint in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint<F: Float> {
    /// Everything but the tensors.
    pub meta: CheckpointMeta,
    /// The parameters by name, in the optimiser's order.
    pub params: Vec<(String, Tensor<F>)>,
    /// The optimiser's state.
    pub optimizer: OptimizerState,
}

impl<F: Float> Checkpoint<F> {
    /// The file's bytes.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>, CheckpointError> {
        let err = |reason: String| CheckpointError {
            path: path.to_path_buf(),
            reason,
        };
        let mut raws: Vec<(String, RawTensor)> = Vec::new();
        for (name, t) in &self.params {
            raws.push((format!("param/{name}"), RawTensor::of(t)));
        }
        for (name, t) in &self.optimizer.tensors {
            raws.push((
                format!("state/{name}"),
                RawTensor::from_f64s(t.shape.clone(), &t.data),
            ));
        }
        let meta = serde_json::to_string(&self.meta).map_err(|e| err(e.to_string()))?;
        let info = HashMap::from([(META_KEY.to_string(), meta)]);
        safetensors::serialize(raws.iter().map(|(n, r)| (n.as_str(), r)), Some(info))
            .map_err(|e| err(e.to_string()))
    }

    /// Writes the checkpoint to `path` atomically: a crash leaves the previous checkpoint or this one.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let bytes = self.to_bytes(path)?;
        write_atomic(path, &bytes).map_err(|e| CheckpointError {
            path: path.to_path_buf(),
            reason: format!("cannot write: {e}"),
        })
    }

    /// Reads a checkpoint; errors name the file and what is wrong (cut short, another format, another precision).
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let err = |reason: String| CheckpointError {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
        Self::from_bytes(&bytes).map_err(err)
    }

    /// Parses a checkpoint's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let (_, metadata) =
            SafeTensors::read_metadata(bytes).map_err(|e| format!("not a checkpoint ({e})"))?;
        let st = SafeTensors::deserialize(bytes).map_err(|e| format!("not a checkpoint ({e})"))?;
        let text = metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get(META_KEY))
            .ok_or("no jetnewton metadata: not a jetnewton checkpoint")?;
        let meta: CheckpointMeta =
            serde_json::from_str(text).map_err(|e| format!("corrupt metadata: {e}"))?;
        if meta.format != FORMAT {
            return Err(format!(
                "format {} (this build reads format {FORMAT})",
                meta.format
            ));
        }
        if meta.dtype != F::NAME {
            return Err(format!(
                "holds {} parameters, the run trains in {}",
                meta.dtype,
                F::NAME
            ));
        }
        let mut params = Vec::new();
        let mut optimizer = OptimizerState::new(&meta.optimizer);
        optimizer.scalars = meta.optimizer_scalars.clone();
        // `names()` is unordered; the parameters' order is restored by the caller from the model's layout.
        let mut names: Vec<&str> = st.names();
        names.sort_unstable();
        for name in names {
            let view = st.tensor(name).map_err(|e| format!("tensor {name}: {e}"))?;
            let shape = view.shape().to_vec();
            let data = view.data();
            let want = match view.dtype() {
                Dtype::F32 => 4,
                Dtype::F64 => 8,
                other => return Err(format!("tensor {name}: dtype {other}, expected F32 or F64")),
            };
            let values: Vec<f64> = data
                .chunks_exact(want)
                .map(|b| match want {
                    4 => f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                    _ => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                })
                .collect();
            if let Some(p) = name.strip_prefix("param/") {
                let t = Tensor::from_vec(shape, values.into_iter().map(F::of).collect())
                    .map_err(|e| format!("tensor {name}: {e}"))?;
                params.push((p.to_string(), t));
            } else if let Some(s) = name.strip_prefix("state/") {
                optimizer.tensors.insert(
                    s.to_string(),
                    StateTensor {
                        shape,
                        data: values,
                    },
                );
            } else {
                return Err(format!("unexpected tensor {name}"));
            }
        }
        Ok(Self {
            meta,
            params,
            optimizer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint<f32> {
        let mut optimizer = OptimizerState::new("adam");
        optimizer.set_scalar("step", 7.0);
        optimizer.set_scalar("lr", 0.1f64.sqrt());
        optimizer.set_tensor(
            "exp_avg/0.weight".into(),
            &Tensor::from_vec(vec![2], vec![1e-300f64, -3.5]).unwrap(),
        );
        let meta = CheckpointMeta {
            format: FORMAT,
            model: "mlp:4-3-2:tanh".into(),
            dtype: "f32".into(),
            optimizer: "adam".into(),
            optimizer_scalars: optimizer.scalars.clone(),
            samplers: vec![SavedSampler {
                seed: 1,
                epoch: 2,
                position: 30,
                dataset_len: 100,
                batch_size: 10,
            }],
            progress: Progress {
                step: 23,
                wall_s: 1.0 / 3.0,
                eta_sum: vec![0.1, 1e-17],
                ..Progress::default()
            },
            run_id: Some("0123abcd".into()),
            config: Some("seed = 3\n".into()),
        };
        Checkpoint {
            meta,
            params: vec![(
                "0.weight".into(),
                Tensor::from_vec(vec![2], vec![0.1f32, f32::MIN_POSITIVE]).unwrap(),
            )],
            optimizer,
        }
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.safetensors");
        let c = sample();
        c.save(&path).unwrap();
        assert_eq!(Checkpoint::<f32>::load(&path).unwrap(), c);
    }

    #[test]
    fn refuses_truncated_foreign_and_mistyped_files() {
        let c = sample();
        let bytes = c.to_bytes(Path::new("x")).unwrap();
        for cut in [0, 7, bytes.len() / 2, bytes.len() - 1] {
            let e = Checkpoint::<f32>::from_bytes(&bytes[..cut]).unwrap_err();
            assert!(e.contains("not a checkpoint"), "{cut}: {e}");
        }
        let e = Checkpoint::<f64>::from_bytes(&bytes).unwrap_err();
        assert!(e.contains("f32") && e.contains("f64"), "{e}");
        let plain = safetensors::serialize(
            [(
                "w",
                &RawTensor::of(&Tensor::from_vec(vec![1], vec![1.0f32]).unwrap()),
            )],
            None,
        )
        .unwrap();
        let e = Checkpoint::<f32>::from_bytes(&plain).unwrap_err();
        assert!(e.contains("not a jetnewton checkpoint"), "{e}");
    }
}
