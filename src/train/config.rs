//! [`TrainConfig`]: everything a training run is made of, read from TOML (unknown keys are errors) and written
//! back, fully resolved, into the run directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::resources::MAX_THREADS;
use crate::train::error::{Result, TrainError};
use crate::train::probe::ProbeConfig;
use crate::train::save_dtype::SaveDtype;

/// The most summaries `newton.summary_average` may average: each is kept (an `S × S` matrix and two vectors), and
/// even at a period of one step (one summary per step) 10 000 span a hundred epochs of a hundred steps, far longer
/// than the summaries of a changing model stay comparable.
pub const MAX_SUMMARY_AVERAGE: usize = 10_000;

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

/// Method 1's hyper-parameters (table 2 of the paper, `λ_1` and `λ_int` of table 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewtonConfig {
    /// `λ_1`, the initial step size.
    pub lr: f64,
    /// `λ_int`, the internal damping of the cubic term (0: no regularisation).
    pub lambda_int: f64,
    /// `B`, the minibatch size of the summaries (`D_newt`).
    pub summary_batch_size: usize,
    /// `τ`: steps between two computations of the summaries.
    pub period: usize,
    /// `μ_g`, momentum of the direction on the gradient.
    pub grad_momentum: f64,
    /// `μ_η`, momentum on `(η)₊`.
    pub eta_momentum: f64,
    /// Take the positive part of `η` before the momentum.
    pub positive_part: bool,
    /// ReduceLROnPlateau on `λ_t`, called once per epoch: calls without improvement before a reduction (0: off).
    pub patience: usize,
    /// Factor of a reduction.
    pub factor: f64,
    /// Relative improvement that counts for the plateau scheduler.
    pub threshold: f64,
    /// How `λ_int` and `λ_t` evolve: `"paper"` (both constant but for the plateau scheduler), `"adaptive"`
    /// (adaptive cubic regularisation of `λ_int` on the ratio of actual to predicted decrease, rejecting bad
    /// steps, and `λ_t` steered by each period's realised decrease; see `jetnewton_optim::AdaptiveConfig`) or
    /// `"adaptive-damping"` (only `λ_int` adapts).
    pub schedule: ScheduleKind,
    /// Solve with the mean of the last `summary_average` summaries (1: no averaging).
    pub summary_average: usize,
    /// Algorithm 1's direction `u_t`: `"momentum"` of the gradients (algorithm 4's, the default), `"gradient"`, or
    /// `"adam"` (Adam's update at unit learning rate, as the reference code's updater). Left out of the file when
    /// the default, so that runs made before the setting existed keep their identity.
    #[serde(skip_serializing_if = "DirectionKind::is_momentum")]
    pub direction: DirectionKind,
}

/// `newton.direction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectionKind {
    /// `ũ_t = μ_g ũ_{t−1} + (1 − μ_g) g_t`.
    #[default]
    Momentum,
    /// `ũ_t = g_t`.
    Gradient,
    /// Adam's update at unit learning rate.
    Adam,
}

impl DirectionKind {
    fn is_momentum(&self) -> bool {
        *self == Self::Momentum
    }

    /// The optimiser's rule.
    pub fn rule(self) -> jetnewton_optim::DirectionRule {
        match self {
            Self::Momentum => jetnewton_optim::DirectionRule::Momentum,
            Self::Gradient => jetnewton_optim::DirectionRule::Gradient,
            Self::Adam => jetnewton_optim::DirectionRule::Adam,
        }
    }
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

impl Default for NewtonConfig {
    /// `Method1Config::paper`'s values (table 2), so that the two cannot drift apart; `B` = 1000 is the oracle's.
    fn default() -> Self {
        // The scheduler's period is set per run from the steps per epoch; any value gives the other fields.
        let m = jetnewton_optim::Method1Config::paper(1);
        let plateau = m.scheduler.unwrap_or_default();
        Self {
            lr: m.lr,
            lambda_int: m.solver.lambda_int,
            summary_batch_size: 1000,
            period: m.period,
            grad_momentum: m.grad_momentum,
            eta_momentum: m.eta_momentum,
            positive_part: m.positive_part,
            patience: plateau.patience,
            factor: plateau.factor,
            threshold: plateau.threshold,
            schedule: ScheduleKind::Paper,
            summary_average: 1,
            direction: DirectionKind::Momentum,
        }
    }
}

/// Adam's hyper-parameters (PyTorch's defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamSection {
    /// Learning rate.
    pub lr: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε.
    pub eps: f64,
    /// L2 penalty.
    pub weight_decay: f64,
}

impl Default for AdamSection {
    /// `AdamConfig`'s defaults, so that the two cannot drift apart.
    fn default() -> Self {
        let a = jetnewton_optim::AdamConfig::default();
        Self {
            lr: a.lr,
            beta1: a.betas.0,
            beta2: a.betas.1,
            eps: a.eps,
            weight_decay: a.weight_decay,
        }
    }
}

/// SGD's hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SgdSection {
    /// Learning rate.
    pub lr: f64,
    /// Momentum.
    pub momentum: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// L2 penalty.
    pub weight_decay: f64,
}

impl Default for SgdSection {
    fn default() -> Self {
        Self {
            lr: 0.01,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
}

/// The numerical guard of every optimiser: rejected steps roll back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuardConfig {
    /// Reject a step whose loss, parameters or step sizes are not finite, and roll back.
    pub enabled: bool,
    /// Multiplies the step size after a rejected step.
    pub shrink: f64,
    /// Consecutive rejections after which the run stops.
    pub max_rejections: usize,
    /// Reject a step whose minibatch loss is a finite blow-up: above this multiple of the run's starting loss
    /// (the initial network's loss on the evaluation set; 0: off). The default, 20, is far above minibatch
    /// noise: for cross-entropy over 10 classes it means a mean loss of ~46 over a minibatch, every sample's
    /// logits ~46 the wrong way on average, which a healthy run does not reach even on one sample; a tanh MLP
    /// trained by SGD at lr 1e4 ends near 70× its starting loss, which a factor of 100 would let pass.
    pub blowup_factor: f64,
}

/// [`GuardConfig::blowup_factor`]'s default.
pub const DEFAULT_BLOWUP_FACTOR: f64 = 20.0;

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            shrink: 0.5,
            max_rejections: 10,
            blowup_factor: DEFAULT_BLOWUP_FACTOR,
        }
    }
}

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
    pub adam: AdamSection,
    /// SGD.
    pub sgd: SgdSection,
    /// K-FAC.
    pub kfac: KfacSection,
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
            adam: AdamSection::default(),
            sgd: SgdSection::default(),
            kfac: KfacSection::default(),
            guard: GuardConfig::default(),
            probe: ProbeConfig::default(),
        }
    }
}

impl TrainConfig {
    /// Reads a TOML config; unknown keys and wrong types are errors naming the file, the key and the line.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text).map_err(|reason| TrainError::Config {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses TOML text; the error is toml's message (key, line and column).
    pub fn from_toml(text: &str) -> std::result::Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// The TOML form, every key written.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot serialise: {e}\n"))
    }

    /// Applies one `key=value` override (`newton.lr=0.05`, `optimizer="adam"`, `epochs=3`): the value is read as
    /// TOML, or as a string when it does not parse as TOML. The key must exist.
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let bad = |key: &str, reason: String| TrainError::Value {
            key: key.into(),
            reason,
        };
        let (key, text) = assignment
            .split_once('=')
            .ok_or_else(|| bad(assignment, "expected KEY=VALUE".into()))?;
        let key = key.trim();
        let value = toml::from_str::<toml::Table>(&format!("v = {}", text.trim()))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(text.trim().to_string()));
        let mut root = toml::Value::try_from(&*self).map_err(|e| bad(key, e.to_string()))?;
        let mut slot = &mut root;
        let parts: Vec<&str> = key.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let table = slot
                .as_table_mut()
                .ok_or_else(|| bad(key, format!("`{}` is not a table", parts[..i].join("."))))?;
            if i + 1 == parts.len() {
                table.insert((*part).to_string(), value.clone());
                break;
            }
            // A section left out of the file because it holds its defaults (`[probe]`) starts empty; an unknown
            // one is refused when the result is read back.
            slot = table
                .entry((*part).to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        }
        *self = root
            .try_into()
            .map_err(|e: toml::de::Error| bad(key, e.message().to_string()))?;
        Ok(())
    }

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

    /// Bounds on counts that do not follow from the machine's memory, each explained at its constant.
    fn validate_counts(&self) -> Result<()> {
        let bad = |key: &str, reason: String| {
            Err(TrainError::Value {
                key: key.into(),
                reason,
            })
        };
        if let Some(n) = self.threads.filter(|&n| n == 0 || n > MAX_THREADS) {
            return bad("threads", format!("{n} is not between 1 and {MAX_THREADS}"));
        }
        if u32::try_from(self.epochs).is_err() {
            return bad(
                "epochs",
                format!(
                    "{} is more than the {} epochs the records can count",
                    self.epochs,
                    u32::MAX
                ),
            );
        }
        if self.newton.summary_average > MAX_SUMMARY_AVERAGE {
            return bad(
                "newton.summary_average",
                format!(
                    "{} is more than {MAX_SUMMARY_AVERAGE} summaries to average",
                    self.newton.summary_average
                ),
            );
        }
        Ok(())
    }

    /// Every value's domain.
    fn validate_values(&self) -> Result<()> {
        let bad = |key: &str, reason: &str| {
            Err(TrainError::Value {
                key: key.into(),
                reason: reason.into(),
            })
        };
        if self.threads == Some(0) {
            return bad("threads", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.epochs == 0 && self.steps.is_none() {
            return bad("epochs", "must be at least 1 (or set steps)");
        }
        if self.steps == Some(0) {
            return bad("steps", "must be at least 1");
        }
        for (key, v) in [
            ("validation_fraction", self.validation_fraction),
            ("test_fraction", self.test_fraction),
        ] {
            if !(0.0..0.9).contains(&v) {
                return bad(key, "must lie in [0, 0.9)");
            }
        }
        if self.optimizer.is_newton() && self.newton.summary_batch_size == 0 {
            return bad("newton.summary_batch_size", "must be at least 1");
        }
        if self.newton.period == 0 {
            return bad("newton.period", "must be at least 1");
        }
        if self.newton.summary_average == 0 {
            return bad(
                "newton.summary_average",
                "must be at least 1 (1: no averaging)",
            );
        }
        if self.dataset == DatasetKind::Synthetic && self.synthetic_samples < 10 {
            return bad("synthetic_samples", "must be at least 10");
        }
        if !(self.guard.shrink > 0.0 && self.guard.shrink <= 1.0) {
            return bad("guard.shrink", "must lie in (0, 1]");
        }
        if self.guard.max_rejections == 0 {
            return bad("guard.max_rejections", "must be at least 1");
        }
        if !(self.guard.blowup_factor == 0.0 || self.guard.blowup_factor > 1.0) {
            return bad("guard.blowup_factor", "must be 0 (off) or above 1");
        }
        Ok(())
    }
}

/// K-FAC's hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KfacSection {
    /// Learning rate.
    pub lr: f64,
    /// Momentum.
    pub momentum: f64,
    /// Running-average decay of the Kronecker factors.
    pub stat_decay: f64,
    /// Tikhonov damping added to the factors' eigenvalue products.
    pub damping: f64,
    /// Trust-region bound on the step's KL divergence.
    pub kl_clip: f64,
    /// L2 penalty.
    pub weight_decay: f64,
    /// Steps between two updates of the factors.
    pub t_cov: usize,
    /// Steps between two eigendecompositions of the factors.
    pub t_inv: usize,
}

impl Default for KfacSection {
    /// `KfacConfig`'s defaults, so that the two cannot drift apart.
    fn default() -> Self {
        let k = jetnewton_optim::KfacConfig::default();
        Self {
            lr: k.lr,
            momentum: k.momentum,
            stat_decay: k.stat_decay,
            damping: k.damping,
            kl_clip: k.kl_clip,
            weight_decay: k.weight_decay,
            t_cov: k.t_cov,
            t_inv: k.t_inv,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_config_reads_back_equal() {
        let mut c = TrainConfig {
            name: Some("Method 1, chunks-5".into()),
            steps: Some(40),
            ..TrainConfig::default()
        };
        c.newton.lambda_int = 10.0;
        assert_eq!(TrainConfig::from_toml(&c.to_toml()).unwrap(), c);
        assert_eq!(c.run_slug(), "method-1-chunks-5");
        for (name, slug) in [
            (".", "run"),
            ("..", "run"),
            ("../x", "x"),
            (".hidden", "hidden"),
            ("a/..", "a-.."),
        ] {
            c.name = Some(name.into());
            assert_eq!(c.run_slug(), slug, "{name}");
        }
    }

    #[test]
    fn set_overrides_any_key_and_refuses_unknown_ones() {
        let mut c = TrainConfig::default();
        c.set("newton.eta_momentum=0.3").unwrap();
        assert_eq!(c.newton.schedule, ScheduleKind::Paper);
        c.set("newton.schedule=adaptive").unwrap();
        c.set("newton.summary_average=3").unwrap();
        assert_eq!(
            (c.newton.schedule, c.newton.summary_average),
            (ScheduleKind::Adaptive, 3)
        );
        c.set("newton.schedule=adaptive-damping").unwrap();
        assert_eq!(c.newton.schedule, ScheduleKind::AdaptiveDamping);
        c.set("newton.schedule=adaptive").unwrap();
        c.set("optimizer = adam").unwrap();
        c.set("epochs=7").unwrap();
        c.set("name=my run").unwrap();
        assert_eq!(c.newton.eta_momentum, 0.3);
        assert_eq!(c.optimizer, OptimizerKind::Adam);
        assert_eq!((c.epochs, c.name.as_deref()), (7, Some("my run")));
        for bad in [
            "newton.nosuch=1",
            "nosuch.lr=1",
            "epochs=three",
            "epochs",
            "model.x=1",
            "newton.schedule=sometimes",
        ] {
            let before = c.clone();
            assert!(c.set(bad).is_err(), "{bad}");
            assert_eq!(c, before, "{bad} changed the config");
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let e = TrainConfig::from_toml("epochs = 1\nlearnig_rate = 2\n").unwrap_err();
        assert!(e.contains("learnig_rate") && e.contains("line 2"), "{e}");
        let e = TrainConfig::from_toml("[adam]\nlr = \"fast\"\n").unwrap_err();
        assert!(e.contains("lr"), "{e}");
        for (key, c) in [
            (
                "batch_size",
                TrainConfig {
                    batch_size: 0,
                    ..TrainConfig::default()
                },
            ),
            (
                "threads",
                TrainConfig {
                    threads: Some(0),
                    ..TrainConfig::default()
                },
            ),
            (
                "validation_fraction",
                TrainConfig {
                    validation_fraction: 0.95,
                    ..TrainConfig::default()
                },
            ),
        ] {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(key), "{e}");
        }
    }

    #[test]
    fn total_steps_are_checked_and_epochs_bounded() {
        let c = |epochs, steps| TrainConfig {
            epochs,
            steps,
            ..TrainConfig::default()
        };
        assert_eq!(c(3, None).total_steps(7).unwrap(), 21);
        assert_eq!(c(3, Some(5)).total_steps(7).unwrap(), 5);
        assert_eq!(c(0, Some(5)).total_steps(7).unwrap(), 5);
        let e = c(usize::MAX, None).total_steps(2).unwrap_err().to_string();
        assert!(e.contains("`epochs`"), "{e}");
        let e = c(1 << 62, Some(3)).total_steps(16).unwrap_err().to_string();
        assert!(e.contains("`epochs`"), "{e}");
        for epochs in [usize::MAX, 1 << 62] {
            let e = c(epochs, None).validate().unwrap_err().to_string();
            assert!(e.contains("`epochs`"), "{e}");
        }
        let mut t = TrainConfig {
            threads: Some(MAX_THREADS + 1),
            ..TrainConfig::default()
        };
        assert!(t.validate().unwrap_err().to_string().contains("`threads`"));
        t.threads = Some(MAX_THREADS);
        t.newton.summary_average = MAX_SUMMARY_AVERAGE + 1;
        let e = t.validate().unwrap_err().to_string();
        assert!(e.contains("`newton.summary_average`"), "{e}");
    }
}
