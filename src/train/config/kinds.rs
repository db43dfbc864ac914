//! The enumerated settings of a run: optimiser, data set, precision, and Method 1's schedule.

use serde::{Deserialize, Serialize};

/// The optimisers `jetnewton train` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Method 1 (algorithm 4 of the paper).
    Newton,
    /// Method 1 with appendix L's diagonal approximation of `hbar`.
    NewtonDiag,
    /// Adam.
    Adam,
    /// K-FAC.
    Kfac,
    /// SGD with momentum.
    Sgd,
}

impl OptimizerKind {
    /// The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Newton => "newton",
            Self::NewtonDiag => "newton-diag",
            Self::Adam => "adam",
            Self::Kfac => "kfac",
            Self::Sgd => "sgd",
        }
    }

    /// Method 1 or its diagonal variant.
    pub fn is_newton(self) -> bool {
        matches!(self, Self::Newton | Self::NewtonDiag)
    }
}

/// The data sets `jetnewton train` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// The UCI 8×8 digits embedded in the binary (1 797 samples, 64 features).
    Digits,
    /// MNIST from `data_dir` (IDX files, raw or gzip).
    Mnist,
    /// Fashion-MNIST from `data_dir`.
    FashionMnist,
    /// CIFAR-10 binary batches from `data_dir`.
    Cifar10,
    /// A seeded synthetic problem (`synthetic_samples` samples of the model's input shape).
    Synthetic,
}

impl DatasetKind {
    /// The name used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Digits => "digits",
            Self::Mnist => "mnist",
            Self::FashionMnist => "fashion-mnist",
            Self::Cifar10 => "cifar10",
            Self::Synthetic => "synthetic",
        }
    }
}

/// Floating-point precision of training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TrainDtype {
    /// 32-bit floats (the paper's setting).
    F32,
    /// 64-bit floats.
    F64,
}

/// Method 1's schedule of `λ_int` and `λ_t` (`newton.schedule`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// The paper's: `λ_int` constant, `λ_t` changed only by the plateau scheduler.
    #[default]
    Paper,
    /// Adaptive `λ_int` and `λ_t` with the default thresholds.
    Adaptive,
    /// Adaptive `λ_int` only, `λ_t` as in the paper.
    AdaptiveDamping,
}
