//! The data of a run: the training set, and the validation and test sets it is measured on.

use std::path::Path;

use jetnewton_nets::data::{cifar10, digits, fashion_mnist, mnist, synthetic, Dataset, Split};
use jetnewton_nets::{Model, NetsError};

use crate::train::config::{DatasetKind, TrainConfig};
use crate::train::error::{Result, TrainError};

/// The splits' seed is fixed, not the run's `seed`: runs that differ only in their seed are then measured on
/// the same validation and test samples.
const SPLIT_SEED: u64 = 0x5EED_5B17;

/// Training, validation and test sets of a run.
pub struct RunData {
    /// What the optimiser samples from.
    pub train: Dataset,
    /// Held out of the training set.
    pub validation: Option<Dataset>,
    /// The data set's test split, or a held-out part when it has none.
    pub test: Option<Dataset>,
}

/// `round(fraction · len)`, or `None` when that is 0.
fn holdout(len: usize, fraction: f64) -> Option<usize> {
    let n = (fraction * len as f64).round() as usize;
    (n > 0 && n < len).then_some(n)
}

/// Splits `fraction` of `data` off; returns `(rest, held out)`.
fn split(data: Dataset, fraction: f64) -> Result<(Dataset, Option<Dataset>)> {
    match holdout(data.len(), fraction) {
        Some(n) => {
            let (rest, held) = data.split_holdout(n, SPLIT_SEED).map_err(NetsError::from)?;
            Ok((rest, Some(held)))
        }
        None => Ok((data, None)),
    }
}

/// The directory of a file-based data set; errors naming the key when it is not set.
fn data_dir(config: &TrainConfig) -> Result<&Path> {
    config.data_dir.as_deref().ok_or_else(|| TrainError::Value {
        key: "data_dir".into(),
        reason: format!(
            "the {} data set is read from a directory: give --data-dir (or data_dir in the config)",
            config.dataset.name()
        ),
    })
}

/// Loads the configured data set and splits it.
pub fn load(config: &TrainConfig, model: &Model) -> Result<RunData> {
    let read = |f: fn(&Path, Split) -> std::result::Result<Dataset, _>| -> Result<_> {
        let dir = data_dir(config)?;
        let train = f(dir, Split::Train).map_err(NetsError::from)?;
        let test = f(dir, Split::Test).map_err(NetsError::from)?;
        Ok((train, Some(test)))
    };
    let (full, test) = match config.dataset {
        DatasetKind::Mnist => read(mnist)?,
        DatasetKind::FashionMnist => read(fashion_mnist)?,
        DatasetKind::Cifar10 => read(cifar10)?,
        DatasetKind::Digits => {
            let all = digits().map_err(NetsError::from)?;
            split(all, config.test_fraction)?
        }
        DatasetKind::Synthetic => {
            let all = synthetic(
                config.synthetic_samples,
                model.input_shape(),
                model.num_classes(),
                SPLIT_SEED,
            )
            .map_err(NetsError::from)?;
            split(all, config.test_fraction)?
        }
    };
    let (train, validation) = split(full, config.validation_fraction)?;
    Ok(RunData {
        train,
        validation,
        test,
    })
}
