//! A training run's memory, estimated from its config before anything of its size is allocated (and before its
//! run directory is made), so that a run too large for the machine is refused with the keys at fault instead of
//! aborting on allocation.
//!
//! The estimate counts only what the run cannot do without, so it errs low (a refused run could not have run):
//!
//! - the parameters, their gradient and the guard's copy of them, and the optimiser's state with the guard's copy
//!   of it (Method 1 and SGD keep one parameter-sized tensor, Adam two, K-FAC one plus its Kronecker factors and
//!   their eigenvectors, in `f64`);
//! - the data set, as `f32` inputs and one byte per label;
//! - the larger of the passes, which do not overlap: a gradient on `batch_size` samples holds each activation and
//!   its gradient ([`GRADIENT_COPIES`]); Method 1's summaries on `newton.summary_batch_size` samples hold four
//!   Taylor coefficients per activation ([`JET_COPIES`]);
//! - Method 1's `S × S` matrices: `hbar`, its symmetric part and eigenvectors, and the `newton.summary_average`
//!   summaries averaged.

use jetnewton_nets::{Model, PartitionSpec};

use crate::resources::{
    activation_bytes, human, param_bytes, too_much, GRADIENT_COPIES, JET_COPIES,
};
use crate::train::config::{DatasetKind, OptimizerKind, TrainConfig, TrainDtype};
use crate::train::error::{Result, TrainError};

/// Samples and features per sample of the file-based and embedded data sets (train and test splits together).
fn dataset_shape(kind: DatasetKind) -> Option<(usize, usize)> {
    match kind {
        DatasetKind::Digits => Some((1797, 64)),
        DatasetKind::Mnist | DatasetKind::FashionMnist => Some((70_000, 784)),
        DatasetKind::Cifar10 => Some((60_000, 3072)),
        DatasetKind::Synthetic => None,
    }
}

/// One part of the estimate: what it holds, the key that sizes it, and whether it lives through the run or only
/// during one pass.
#[derive(Clone, Debug)]
struct Part {
    /// The config key (and flag) that sets it, with its value.
    key: String,
    /// What the bytes hold.
    what: String,
    bytes: f64,
    /// Only during one pass (the passes do not overlap).
    transient: bool,
}

/// The estimated parts of a run's memory.
#[derive(Clone, Debug)]
pub struct Footprint {
    parts: Vec<Part>,
}

impl Footprint {
    /// The estimate for `config` training `model`, with `groups` summary groups (Method 1).
    pub fn of(config: &TrainConfig, model: &Model, groups: usize) -> Self {
        let scalar = match config.dtype {
            TrainDtype::F32 => 4,
            TrainDtype::F64 => 8,
        };
        let size = model.size();
        let (samples, features) = dataset_shape(config.dataset)
            .unwrap_or((config.synthetic_samples, size.input_per_sample));
        let data_key = match config.dataset {
            DatasetKind::Synthetic => format!("synthetic_samples = {}", config.synthetic_samples),
            other => format!("dataset = \"{}\" (--dataset)", other.name()),
        };
        let state = match config.optimizer {
            OptimizerKind::Adam => 2.0,
            _ => 1.0,
        };
        let mut parts = vec![
            Part {
                key: format!("model = \"{}\" (--model)", config.model),
                what: format!(
                    "its {} parameters ({}), their gradient, the optimiser's state and the guard's copies",
                    size.params,
                    if scalar == 4 { "f32" } else { "f64" }
                ),
                bytes: param_bytes(size, scalar, 3.0 + 2.0 * state),
                transient: false,
            },
            Part {
                key: data_key,
                what: format!("the data set ({samples} samples of {features} features)"),
                bytes: samples as f64 * (features as f64 * 4.0 + 1.0),
                transient: false,
            },
            Part {
                key: format!("batch_size = {} (--batch-size)", config.batch_size),
                what: format!(
                    "the activations of a gradient and their gradients ({} scalars per sample)",
                    size.activations_per_sample
                ),
                bytes: activation_bytes(
                    size,
                    config.batch_size.min(samples),
                    scalar,
                    GRADIENT_COPIES,
                ),
                transient: true,
            },
        ];
        if config.optimizer == OptimizerKind::Kfac {
            parts.push(kfac_part(model));
        }
        if config.optimizer.is_newton() {
            parts.extend(newton_parts(config, model, samples, scalar, groups));
        }
        Self { parts }
    }

    /// The estimate in bytes: every lasting part and the largest pass.
    pub fn total(&self) -> f64 {
        let lasting: f64 = self
            .parts
            .iter()
            .filter(|p| !p.transient)
            .map(|p| p.bytes)
            .sum();
        let pass = self
            .parts
            .iter()
            .filter(|p| p.transient)
            .map(|p| p.bytes)
            .fold(0.0, f64::max);
        lasting + pass
    }

    /// An error when the estimate is more than `why_not` allows, listing the parts from the largest, each with
    /// its key, so that the message starts with what to change.
    fn check(&self, why_not: impl Fn(f64) -> Option<String>) -> Result<()> {
        let total = self.total();
        let Some(why) = why_not(total) else {
            return Ok(());
        };
        let too_much_alone = |bytes: f64| why_not(bytes).is_some();
        let mut parts = self.parts.clone();
        // A lasting part (the model, the data) too large by itself is what to change, even when a pass whose size
        // follows from it is larger; otherwise the largest part comes first.
        let alone = |p: &Part| !p.transient && too_much_alone(p.bytes);
        parts.sort_by(|a, b| alone(b).cmp(&alone(a)).then(b.bytes.total_cmp(&a.bytes)));
        let largest = &parts[0];
        let others: Vec<String> = parts[1..]
            .iter()
            .filter(|p| p.bytes >= total / 100.0)
            .map(|p| format!("{}: {} for {}", p.key, human(p.bytes), p.what))
            .collect();
        let others = if others.is_empty() {
            String::new()
        } else {
            format!("; then {}", others.join("; "))
        };
        Err(TrainError::TooLarge {
            key: largest.key.clone(),
            reason: format!(
                "the run needs at least {}, {why}: {} for {}{others}",
                human(total),
                human(largest.bytes),
                largest.what
            ),
        })
    }
}

/// K-FAC's Kronecker factors of every layer, `(fan_in + 1)²` and `out²` in `f64`, with their eigenvectors.
fn kfac_part(model: &Model) -> Part {
    let scalars: f64 = model
        .layers()
        .iter()
        .filter_map(|l| Some((l.fan_in()?, l.param_shapes()?.1[0])))
        .map(|(fan_in, out)| (fan_in as f64 + 1.0).powi(2) + (out as f64).powi(2))
        .sum();
    Part {
        key: "optimizer = \"kfac\" (--optimizer)".into(),
        what: "K-FAC's Kronecker factors and their eigenvectors".into(),
        bytes: scalars * 8.0 * 2.0,
        transient: false,
    }
}

/// Method 1's summaries pass and its `S × S` matrices.
fn newton_parts(
    config: &TrainConfig,
    model: &Model,
    samples: usize,
    scalar: usize,
    groups: usize,
) -> [Part; 2] {
    let n = &config.newton;
    let s2 = (groups as f64).powi(2);
    [
        Part {
            key: format!(
                "newton.summary_batch_size = {} (--summary-batch-size)",
                n.summary_batch_size
            ),
            what: format!(
                "the jets of the summaries ({} scalars per sample)",
                model.size().activations_per_sample
            ),
            bytes: activation_bytes(
                model.size(),
                n.summary_batch_size.min(samples),
                scalar,
                JET_COPIES,
            ),
            transient: true,
        },
        Part {
            key: format!("newton.summary_average = {}", n.summary_average),
            what: format!(
                "{groups}×{groups} hbar matrices (partition \"{}\")",
                config.partition
            ),
            bytes: (n.summary_average as f64 + 3.0) * s2 * 8.0,
            transient: false,
        },
    ]
}

/// Refuses a run whose estimated memory is more than the machine's (see the module's documentation); runs
/// anywhere the machine's memory cannot be read, unless no process could allocate that much.
pub fn check(config: &TrainConfig) -> Result<()> {
    let model = Model::from_spec(&config.model)?;
    let groups = if config.optimizer.is_newton() {
        config
            .partition
            .parse::<PartitionSpec>()?
            .named_groups(&model)?
            .len()
    } else {
        0
    };
    Footprint::of(config, &model, groups).check(too_much)
}

#[cfg(test)]
#[path = "footprint_tests.rs"]
mod tests;
