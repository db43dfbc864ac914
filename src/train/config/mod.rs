//! [`TrainConfig`]: everything a training run is made of, read from TOML (unknown keys are errors) and written
//! back, fully resolved, into the run directory.

mod file;
mod kinds;
mod sections;
#[cfg(test)]
mod tests;
mod validate;

use std::path::PathBuf;

use jetnewton_optim::{AdamConfig, KfacConfig, SgdConfig};
use serde::{Deserialize, Serialize};

use crate::train::error::{Result, TrainError};
use crate::train::probe::ProbeConfig;
use crate::train::save_dtype::SaveDtype;

pub use kinds::{DatasetKind, OptimizerKind, ScheduleKind, TrainDtype};
pub use sections::{GuardConfig, NewtonConfig};

/// The most summaries `newton.summary_average` may average: each is kept (an `S × S` matrix and two vectors), and
/// even at a period of one step (one summary per step) 10 000 span a hundred epochs of a hundred steps, far longer
/// than the summaries of a changing model stay comparable.
pub const MAX_SUMMARY_AVERAGE: usize = 10_000;

/// A training run: model, data, optimiser, schedule, records.
///
/// Every key has a default; the TOML form is flat for the common keys and has one table per optimiser:
///
/// ```
/// let config: jetnewton::train::TrainConfig = toml::from_str(r#"
///     model = "mlp:64-128-10:tanh"
///     optimizer = "adam"
///     epochs = 2
///     [adam]
///     lr = 0.003
/// "#).unwrap();
/// assert_eq!(config.adam.lr, 0.003);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// The run's name (legends, default run directory).
    pub name: Option<String>,
    /// Model spec (see `jetnewton_nets::ModelSpec`).
    pub model: String,
    /// The data set.
    pub dataset: DatasetKind,
    /// Directory of the data set's files (MNIST, Fashion-MNIST, CIFAR-10).
    pub data_dir: Option<PathBuf>,
    /// Samples of the synthetic data set.
    pub synthetic_samples: usize,
    /// Fraction of the training set held out for validation.
    pub validation_fraction: f64,
    /// Fraction held out as test set when the data set has no test split (digits, synthetic).
    pub test_fraction: f64,
    /// Training-set metrics at each epoch are computed on this many samples (0: all).
    pub eval_samples: usize,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// The partition of the parameters into groups (Method 1).
    pub partition: String,
    /// Epochs to train.
    pub epochs: usize,
    /// Stop after this many steps in all, when set.
    pub steps: Option<u64>,
    /// Minibatch size of the gradient (`B_g`).
    pub batch_size: usize,
    /// Seed of the initialisation, the splits and the samplers.
    pub seed: u64,
    /// Precision.
    pub dtype: TrainDtype,
    /// The float type of `final.safetensors` (default: the training precision).
    pub save_dtype: Option<SaveDtype>,
    /// Worker threads (default: all cores). Runs are bit-identical for the same seed and thread count; resuming
    /// uses the run's own count unless told otherwise.
    pub threads: Option<usize>,
    /// Steps between two checkpoints (0: only at the end of each epoch).
    pub checkpoint_every: u64,
    /// Method 1 (`newton`, `newton-diag`).
    pub newton: NewtonConfig,
    /// Adam.
    pub adam: AdamConfig,
    /// SGD (momentum 0.9 at 0.01 by default: [`SgdConfig::with_momentum`]).
    pub sgd: SgdConfig,
    /// K-FAC. Its `seed` is not in the file: the run's [`TrainConfig::seed`] takes its place when the optimiser is
    /// built.
    pub kfac: KfacConfig,
    /// The numerical guard.
    pub guard: GuardConfig,
    /// Probes of the summaries along training (left out of the file when off and default).
    #[serde(skip_serializing_if = "ProbeConfig::is_default")]
    pub probe: ProbeConfig,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            name: None,
            model: "mlp:64-128-64-10:tanh".into(),
            dataset: DatasetKind::Digits,
            data_dir: None,
            synthetic_samples: 2000,
            validation_fraction: 0.1,
            test_fraction: 0.2,
            eval_samples: 10_000,
            optimizer: OptimizerKind::Newton,
            partition: "canonical".into(),
            epochs: 40,
            steps: None,
            batch_size: 100,
            seed: 0,
            dtype: TrainDtype::F32,
            save_dtype: None,
            threads: None,
            checkpoint_every: 0,
            newton: NewtonConfig::default(),
            adam: AdamConfig::default(),
            sgd: SgdConfig::with_momentum(),
            kfac: KfacConfig::default(),
            guard: GuardConfig::default(),
            probe: ProbeConfig::default(),
        }
    }
}

impl TrainConfig {
    /// The run's name: the configured one, else `{dataset}-{optimizer}`.
    pub fn run_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.dataset.name(), self.optimizer.name()))
    }

    /// The run's name made safe for a directory: ASCII letters, digits, `-`, `_` and `.`, other runs of
    /// characters turned into one `-` (`Method 1, chunks-5` → `method-1-chunks-5`).
    pub fn run_slug(&self) -> String {
        let mut slug = String::new();
        for c in self.run_name().chars() {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') || c == '-' {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        // Leading dots would make `.`, `..` (a directory name that is no directory of its own) or a hidden name.
        let slug = slug
            .trim_start_matches(['.', '-'])
            .trim_end_matches('-')
            .to_string();
        if slug.is_empty() {
            "run".into()
        } else {
            slug
        }
    }

    /// Checks every value's domain, the configured optimiser's hyper-parameters, and that the run fits in the
    /// machine's memory ([`crate::train::footprint`]); the error names the key. Nothing of the run's size is
    /// allocated.
    pub fn validate(&self) -> Result<()> {
        self.validate_counts()?;
        self.validate_values()?;
        self.probe.validate()?;
        crate::train::build::check_hyper_parameters(self)?;
        crate::train::footprint::check(self)
    }

    /// The total number of steps of a run with `steps_per_epoch` steps per epoch: `epochs × steps_per_epoch`,
    /// capped by `steps` when set; an error naming `epochs` when the product overflows a step count.
    pub fn total_steps(&self, steps_per_epoch: usize) -> Result<u64> {
        let by_epochs = u64::try_from(self.epochs)
            .ok()
            .zip(u64::try_from(steps_per_epoch).ok())
            .and_then(|(e, s)| e.checked_mul(s))
            .ok_or_else(|| TrainError::Value {
                key: "epochs".into(),
                reason: format!(
                    "{} epochs of {steps_per_epoch} steps are more steps than a count can hold \
                     (2^64 - 1); set fewer epochs, or steps",
                    self.epochs
                ),
            })?;
        Ok(match self.steps {
            Some(s) if by_epochs > 0 => s.min(by_epochs),
            Some(s) => s,
            None => by_epochs,
        })
    }
}
