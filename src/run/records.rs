//! The records of a run directory, one serde type per file, shared by the writer (`jetnewton train`) and the
//! readers (`jetnewton report`, `jetnewton compare`).
//!
//! A run directory holds:
//!
//! | file | content |
//! |---|---|
//! | `config.toml` | the resolved configuration (every default filled in) |
//! | `run.json` | [`RunInfo`]: what was trained, the groups, the status |
//! | `steps.jsonl` | one [`StepRecord`] per training step |
//! | `epochs.jsonl` | one [`EpochRecord`] per epoch; epoch 0 is the initialisation |
//! | `hbar/epoch-NNNN.json` | [`HbarSnapshot`]: the last `hbar` of epoch N (epoch 0: the first one computed) |
//! | `checkpoint.safetensors` | the latest checkpoint |
//! | `.jetnewton-run` | the marker of a directory jetnewton created (the run id); see [`crate::run::claim`] |
//! | `.jetnewton.lock` | the lock a session holds (see [`crate::run::lock`]) |
//! | `plots/*.png` | the pictures |

use serde::{Deserialize, Deserializer, Serialize};

/// JSON has no NaN: serde_json writes a non-finite `f64` as `null`, and this reads `null` back as NaN, so the
/// record of a step whose loss blew up still parses.
fn nan_from_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// What a parameter group holds, for splitting `hbar` into weight-weight, weight-bias and bias-bias blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupKind {
    /// Only weight tensors (names ending in `weight`).
    Weight,
    /// Only bias tensors (names ending in `bias`).
    Bias,
    /// Both.
    Mixed,
}

impl GroupKind {
    /// The kind of a group of parameter names.
    pub fn of<S: AsRef<str>>(names: &[S]) -> Self {
        let biases = names
            .iter()
            .filter(|n| n.as_ref().ends_with("bias"))
            .count();
        match biases {
            0 => Self::Weight,
            b if b == names.len() => Self::Bias,
            _ => Self::Mixed,
        }
    }
}

/// One parameter group of the partition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// A short label (`0.weight`, or `0.weight+0.bias`, or `g3` for large groups).
    pub label: String,
    /// The parameter tensors it holds.
    pub params: Vec<String>,
    /// Weights, biases or both.
    pub kind: GroupKind,
}

/// How a run ended (or that it has not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Still running, or killed.
    Running,
    /// Trained for the configured epochs or steps.
    Completed,
    /// Stopped by the numerical guard after too many rejected steps.
    Diverged,
    /// Stopped by Method 1's solver failing the same way at every retry (a singular `hbar`), which no step size
    /// can fix.
    Stalled,
    /// Stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) after writing a checkpoint; `--resume` continues it.
    Interrupted,
}

/// `run.json`: what was trained, on what, with what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The run's name (the config's `name`, else the directory name), used in legends.
    pub name: String,
    /// A random id given to the run when it was created, stored in its checkpoints too, so that a checkpoint of
    /// another run is never resumed here (absent in runs made before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The model spec.
    pub model: String,
    /// The data set.
    pub dataset: String,
    /// The optimiser (`newton`, `newton-diag`, `adam`, `kfac`, `sgd`).
    pub optimizer: String,
    /// The partition spec.
    pub partition: String,
    /// The groups, in the order of `eta` and `hbar`.
    pub groups: Vec<GroupInfo>,
    /// The number of trainable scalars.
    pub num_params: usize,
    /// Training steps per epoch.
    pub steps_per_epoch: usize,
    /// How it ended.
    pub status: RunStatus,
    /// Why it ended, when not completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One line of `steps.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step, from 1.
    pub step: u64,
    /// Fractional epoch at the end of the step (`step / steps_per_epoch`).
    pub epoch: f64,
    /// The loss on the step's minibatch before the step (NaN when it was not finite).
    #[serde(deserialize_with = "nan_from_null")]
    pub loss: f64,
    /// The step size used (λ_t for Method 1, the learning rate otherwise).
    pub lr: f64,
    /// Method 1: `η̃` per group used by the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<Vec<f64>>,
    /// Method 1: the solver's outcome when the summaries were recomputed at this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solver: Option<String>,
    /// Whether the numerical guard rejected the step (parameters rolled back).
    #[serde(default)]
    pub rejected: bool,
    /// Method 1: `λ_int` of this step's solve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_int: Option<f64>,
    /// Method 1, adaptive schedule: `ρ` = actual / predicted decrease of the new step on the summaries'
    /// minibatch, when it was tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// Method 1, adaptive schedule: the period that ended at this step's solve, as the decrease of the loss on its
    /// summaries' minibatch over its first-order prediction (it drives λ_t).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_ratio: Option<f64>,
    /// Method 1, adaptive schedule: the new `η̃` was refused (`ρ` too small) and the previous one kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub eta_refused: bool,
    /// Seconds since the start of training (accumulated over resumed sessions).
    pub wall_s: f64,
}

/// Loss and accuracy on one split.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitMetrics {
    /// Mean cross-entropy (NaN when it was not finite).
    #[serde(deserialize_with = "nan_from_null")]
    pub loss: f64,
    /// Fraction classified correctly, in [0, 1].
    pub accuracy: f64,
}

/// One line of `epochs.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch: 0 at initialisation, then 1, 2, …
    pub epoch: u32,
    /// Steps done so far.
    pub step: u64,
    /// Metrics on the training set (or on a fixed subset of it, see the config's `eval_samples`).
    pub train: SplitMetrics,
    /// Metrics on the validation split, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<SplitMetrics>,
    /// Metrics on the test set, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<SplitMetrics>,
    /// The step size at the end of the epoch.
    pub lr: f64,
    /// Method 1: the mean of `η̃` per group over the epoch's steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<Vec<f64>>,
    /// Seconds since the start of training.
    pub wall_s: f64,
    /// Peak resident memory of the process so far, in MiB (0 where unknown).
    pub peak_rss_mib: f64,
}

/// `hbar/epoch-NNNN.json`: `hbar` and its inverse at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HbarSnapshot {
    /// The epoch it stands for (0: initialisation).
    pub epoch: u32,
    /// The step at which it was computed.
    pub step: u64,
    /// `hbar`, S×S, rows in group order.
    pub hbar: Vec<Vec<f64>>,
    /// `hbar⁻¹`, when `hbar` is invertible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hbar_inv: Option<Vec<Vec<f64>>>,
}

/// One line of `probes.jsonl` (`train --probe-every N`): the summaries on the fixed probe set at a step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// The step after which the probe was taken.
    pub step: u64,
    /// The loss on the probe set.
    pub loss: f64,
    /// `gbar` per group.
    pub gbar: Vec<f64>,
    /// `hbar`, S×S.
    pub hbar: Vec<Vec<f64>>,
    /// `hbar⁻¹`, when `hbar` is invertible.
    #[serde(default)]
    pub hbar_inv: Option<Vec<Vec<f64>>>,
    /// diag D³ per group.
    pub d3: Vec<f64>,
    /// η* per group for the probe's λ_int (`None` when the solver refused the summaries).
    #[serde(default)]
    pub eta: Option<Vec<f64>>,
    /// The solver's outcome (`{"status", "outcome", …}`).
    pub solver: serde_json::Value,
    /// `update` or `gradient`.
    pub direction: String,
    /// Samples of the probe set.
    pub samples: usize,
    /// Seconds the probe took (not counted in the step's wall time).
    pub seconds: f64,
}
