//! Synthetic run directories, written with the records types as `jetnewton train` writes them.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::run::records::{
    EpochRecord, GroupInfo, GroupKind, HbarSnapshot, RunInfo, RunStatus, SplitMetrics, StepRecord,
};

/// What to put in a synthetic run.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub name: String,
    pub optimizer: String,
    pub groups: Vec<GroupInfo>,
    pub epochs: u32,
    pub steps_per_epoch: usize,
    /// Epochs whose records carry a validation split.
    pub validation: bool,
    pub test: bool,
    /// Whether steps and epochs carry η (Method 1).
    pub eta: bool,
    /// Epochs that get an hbar snapshot.
    pub hbar_epochs: Vec<u32>,
    pub hbar_inv: bool,
    /// The epoch whose validation loss is the lowest (the curve dips there).
    pub best: u32,
    /// How fast the loss falls, per epoch.
    pub rate: f64,
    /// Whether λ_t moves from step to step (Method 1's adaptive schedule); else it stays 1.
    pub moving_lr: bool,
}

impl RunSpec {
    /// A Method 1 run on a canonical partition of two layers (weight, bias, weight, bias).
    pub fn newton(name: &str) -> Self {
        Self {
            name: name.into(),
            optimizer: "newton".into(),
            groups: canonical(2),
            epochs: 4,
            steps_per_epoch: 25,
            validation: true,
            test: true,
            eta: true,
            hbar_epochs: vec![0, 1, 2, 3, 4],
            hbar_inv: true,
            best: 2,
            rate: 1.5,
            moving_lr: false,
        }
    }

    /// An Adam run: no η, no snapshots.
    pub fn adam(name: &str) -> Self {
        Self {
            optimizer: "adam".into(),
            eta: false,
            hbar_epochs: Vec::new(),
            ..Self::newton(name)
        }
    }
}

/// The canonical partition of an MLP with `layers` layers: `L.weight`, `L.bias` per layer.
pub fn canonical(layers: usize) -> Vec<GroupInfo> {
    (0..layers)
        .flat_map(|l| ["weight", "bias"].map(|p| format!("{}.{p}", 2 * l)))
        .map(|name| group(&[&name]))
        .collect()
}

/// A group of these parameter tensors.
pub fn group(params: &[&str]) -> GroupInfo {
    GroupInfo {
        label: params.join("+"),
        params: params.iter().map(|p| p.to_string()).collect(),
        kind: GroupKind::of(params),
    }
}

/// A deterministic wiggle in [-1, 1], standing for minibatch noise.
fn noise(i: u64) -> f64 {
    ((i as f64) * 12.9898).sin()
}

/// A symmetric S×S matrix whose entries span many orders of magnitude and both signs.
pub fn spread_matrix(s: usize, scale: f64) -> Vec<Vec<f64>> {
    (0..s)
        .map(|i| {
            (0..s)
                .map(|j| {
                    let sign = if (i + j) % 3 == 1 { -1.0 } else { 1.0 };
                    let decades = (i as f64 - j as f64).abs() + (i + j) as f64 * 0.25;
                    sign * scale * 10f64.powf(-decades)
                })
                .collect()
        })
        .collect()
}

/// Writes the run `spec` into `dir`.
pub fn write_run(dir: &Path, spec: &RunSpec) {
    fs::create_dir_all(dir.join("hbar")).unwrap();
    let s = spec.groups.len();
    let info = RunInfo {
        run_id: None,
        name: spec.name.clone(),
        model: "mlp:64-32-10".into(),
        dataset: "digits".into(),
        optimizer: spec.optimizer.clone(),
        partition: "canonical".into(),
        groups: spec.groups.clone(),
        num_params: 3000,
        steps_per_epoch: spec.steps_per_epoch,
        status: RunStatus::Completed,
        message: None,
    };
    fs::write(
        dir.join("run.json"),
        serde_json::to_vec_pretty(&info).unwrap(),
    )
    .unwrap();
    let eta = |t: f64| -> Vec<f64> {
        (0..s)
            .map(|g| 10f64.powf(-(g as f64)) * (1.0 + 0.5 * (-t).exp()))
            .collect()
    };
    let mut steps = String::new();
    let total = spec.epochs as u64 * spec.steps_per_epoch as u64;
    for step in 1..=total {
        let epoch = step as f64 / spec.steps_per_epoch as f64;
        let record = StepRecord {
            step,
            epoch,
            loss: 2.3 * (-spec.rate * epoch).exp() + 0.02 + 0.05 * noise(step).abs(),
            lr: if spec.moving_lr {
                0.1 * (1.0 + 0.5 * (step as f64 / 10.0).sin())
            } else {
                1.0
            },
            eta: spec.eta.then(|| eta(epoch)),
            solver: None,
            rejected: false,
            lambda_int: spec.eta.then_some(1.0),
            rho: None,
            period_ratio: None,
            eta_refused: false,
            wall_s: 0.01 * step as f64,
        };
        steps.push_str(&serde_json::to_string(&record).unwrap());
        steps.push('\n');
    }
    fs::write(dir.join("steps.jsonl"), steps).unwrap();
    let mut epochs = String::new();
    for epoch in 0..=spec.epochs {
        let t = f64::from(epoch);
        let train = 2.3 * (-spec.rate * t).exp() + 0.02;
        let dip = if epoch == spec.best { 0.0 } else { 0.5 };
        let split = |loss: f64| SplitMetrics {
            loss,
            accuracy: (1.0 - loss / 2.5).clamp(0.0, 1.0),
        };
        let record = EpochRecord {
            epoch,
            step: epoch as u64 * spec.steps_per_epoch as u64,
            train: split(train),
            validation: spec.validation.then(|| split(train + 0.05 + dip)),
            test: spec.test.then(|| split(train + 0.08 + dip)),
            lr: 1.0,
            eta: (spec.eta && epoch > 0).then(|| eta(t)),
            wall_s: 0.01 * (epoch as f64) * spec.steps_per_epoch as f64,
            peak_rss_mib: 100.0,
        };
        epochs.push_str(&serde_json::to_string(&record).unwrap());
        epochs.push('\n');
    }
    fs::write(dir.join("epochs.jsonl"), epochs).unwrap();
    for &epoch in &spec.hbar_epochs {
        let scale = 10.0 / (1.0 + f64::from(epoch));
        let snapshot = HbarSnapshot {
            epoch,
            step: epoch as u64 * spec.steps_per_epoch as u64,
            hbar: spread_matrix(s, scale),
            hbar_inv: spec.hbar_inv.then(|| spread_matrix(s, 1.0 / scale)),
        };
        let path = dir.join("hbar").join(format!("epoch-{epoch:04}.json"));
        fs::write(path, serde_json::to_vec(&snapshot).unwrap()).unwrap();
    }
}

/// Appends raw text to a file of the run.
pub fn append(dir: &Path, file: &str, text: &str) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.join(file))
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}
