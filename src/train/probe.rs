//! Probes (`[probe]`, `--probe-every N`): every N steps of any optimiser, the summaries gbar, hbar, diag D³ and
//! the loss on a fixed probe set along the optimiser's last update (or the gradient), with η* for λ_int and the
//! solver's outcome, one JSON object per probe in `probes.jsonl` (the paper's figures 1 and 2b study these
//! along SGD training).
//!
//! A probe reads the parameters and nothing else: it draws no minibatch and leaves the optimiser alone, so a run
//! with probes follows the same trajectory, bit for bit, as one without.

use std::path::Path;
use std::time::Instant;

use jetnewton_engine::{Float, Tensor};
use jetnewton_nets::data::{Batch, Dataset};
use jetnewton_nets::save_batch;
use serde::{Deserialize, Serialize};

use crate::eta::eta_json;
use crate::oracle::ModelOracle;
use crate::run::dir::files;
use crate::run::records::ProbeRecord;
use crate::train::data::RunData;
use crate::train::error::{Result, TrainError};
use crate::train::inverse::invert;

/// The default probe set: at most this many training samples.
pub const DEFAULT_PROBE_SAMPLES: usize = 10_000;

/// `[probe]` of the config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeConfig {
    /// Steps between two probes (0: no probes).
    pub every: u64,
    /// The fixed probe set.
    pub set: ProbeSet,
    /// The direction of the summaries.
    pub direction: ProbeDirection,
    /// λ_int of η* (default: `newton.lambda_int`).
    pub lambda_int: Option<f64>,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            every: 0,
            set: ProbeSet::Named("train".into()),
            direction: ProbeDirection::Update,
            lambda_int: None,
        }
    }
}

/// `probe.set`: `"train"` (a fixed subset of at most 10 000 training samples), `"validation"` (the validation
/// split) or a number N of training samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProbeSet {
    /// N training samples.
    Samples(u64),
    /// `train` or `validation`.
    Named(String),
}

impl std::str::FromStr for ProbeSet {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s.parse() {
            Ok(n) => Self::Samples(n),
            Err(_) => Self::Named(s.to_string()),
        })
    }
}

/// `probe.direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ProbeDirection {
    /// The last step's update, `θ_{t−1} − θ_t` (so that `gbar > 0` when the step went downhill).
    Update,
    /// The gradient of the loss on the probe set.
    Gradient,
}

impl ProbeConfig {
    /// True when probes are off and every setting is the default (then the config file leaves `[probe]` out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Errors naming the key for a set that is neither `train`, `validation` nor a positive count, or a λ_int
    /// below 0; the count is checked against the data when the run starts ([`Probe::new`]).
    pub fn validate(&self) -> Result<()> {
        let bad = |key: &str, reason: String| {
            Err(TrainError::Value {
                key: key.into(),
                reason,
            })
        };
        match &self.set {
            ProbeSet::Samples(0) => return bad("probe.set", "0 samples: give at least 1".into()),
            ProbeSet::Named(n) if n != "train" && n != "validation" => {
                return bad(
                    "probe.set",
                    format!(
                        "`{n}`: expected `train`, `validation` or a number of training samples"
                    ),
                )
            }
            _ => {}
        }
        match self.lambda_int {
            Some(l) if !(l.is_finite() && l >= 0.0) => bad(
                "probe.lambda_int",
                format!("{l} is not a finite number ≥ 0"),
            ),
            _ => Ok(()),
        }
    }
}

/// The probes of a running session: the fixed set, the groups and what to compute.
pub(crate) struct Probe {
    every: u64,
    direction: ProbeDirection,
    lambda_int: f64,
    batch: Batch,
    groups: Vec<Vec<usize>>,
}

impl Probe {
    /// The probes `config` asks for over `data`, or `None` when `probe.every` is 0; errors naming `probe.set`
    /// when it asks for more samples than the training set has, or for a validation split the run has not.
    pub fn new(
        config: &ProbeConfig,
        lambda_int: f64,
        data: &RunData,
        groups: Vec<Vec<usize>>,
    ) -> Result<Option<Self>> {
        if config.every == 0 {
            return Ok(None);
        }
        let bad = |reason: String| TrainError::Value {
            key: "probe.set".into(),
            reason,
        };
        let (set, n) = match &config.set {
            ProbeSet::Samples(n) => {
                let n = usize::try_from(*n).unwrap_or(usize::MAX);
                if n > data.train.len() {
                    return Err(bad(format!(
                        "{n} samples, but the training set has {}",
                        data.train.len()
                    )));
                }
                (&data.train, n)
            }
            ProbeSet::Named(name) if name == "validation" => {
                let v = data.validation.as_ref().ok_or_else(|| {
                    bad("`validation`, but this run has no validation split".into())
                })?;
                (v, v.len())
            }
            ProbeSet::Named(_) => (&data.train, data.train.len().min(DEFAULT_PROBE_SAMPLES)),
        };
        Ok(Some(Self {
            every: config.every,
            direction: config.direction,
            lambda_int: config.lambda_int.unwrap_or(lambda_int),
            batch: spread(set, n)?,
            groups,
        }))
    }

    /// Writes the probe set to `dir/probe-set.safetensors` (`x`, `y`: what `jetnewton summaries --batch` reads),
    /// so that a probe can be reproduced from the run's files.
    pub fn save_set(&self, dir: &Path) -> Result<()> {
        let x = Tensor::from_vec(self.batch.shape().to_vec(), self.batch.inputs().to_vec())?;
        save_batch(dir.join(files::PROBE_SET), &x, self.batch.labels())?;
        Ok(())
    }

    /// Whether step `step` is probed.
    pub fn due(&self, step: u64) -> bool {
        step.is_multiple_of(self.every)
    }

    /// Whether a probe needs the parameters from before its step.
    pub fn needs_previous(&self) -> bool {
        self.direction == ProbeDirection::Update
    }

    /// The probe of step `step` at `params` (`previous`: the parameters before the step, for the update
    /// direction): one `probes.jsonl` line, and the direction it used.
    pub fn run<F: Float>(
        &self,
        step: u64,
        oracle: &ModelOracle<'_>,
        params: &[Tensor<F>],
        previous: Option<&[Tensor<F>]>,
    ) -> Result<(ProbeRecord, Vec<Tensor<F>>)> {
        let started = Instant::now();
        let update = match (self.direction, previous) {
            (ProbeDirection::Update, Some(before)) => Some(
                before
                    .iter()
                    .zip(params)
                    .map(|(b, p)| {
                        let mut u = b.clone();
                        u.axpy(-F::one(), p).map(|()| u)
                    })
                    .collect::<std::result::Result<_, _>>()?,
            ),
            _ => None,
        };
        let (s, direction) = oracle.summaries_on(params, update, &self.groups, &self.batch)?;
        let (eta, solver) = eta_json(&s, self.lambda_int);
        let line = ProbeRecord {
            step,
            loss: s.loss,
            hbar_inv: invert(&s.hbar),
            gbar: s.gbar,
            hbar: s.hbar,
            d3: s.d3,
            eta,
            solver,
            direction: match self.direction {
                ProbeDirection::Update => "update",
                ProbeDirection::Gradient => "gradient",
            }
            .into(),
            samples: self.batch.len(),
            seconds: started.elapsed().as_secs_f64(),
        };
        Ok((line, direction))
    }
}

/// `n` samples of `data` spread evenly over it (sample `⌊i·len/n⌋` for `i < n`): a fixed set that needs no seed.
fn spread(data: &Dataset, n: usize) -> Result<Batch> {
    let len = data.len();
    let indices: Vec<usize> = (0..n).map(|i| i * len / n.max(1)).collect();
    Ok(data
        .batch_of(&indices)
        .map_err(jetnewton_nets::NetsError::from)?)
}
