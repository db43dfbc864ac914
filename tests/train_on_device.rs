//! `jetnewton train` on a device: with the emulated device installed in its compute role (what `--device
//! emulated|cuda` does), the session keeps the parameters resident, and a run gives the CPU's losses and final
//! weights, for Method 1 (LeNet-5, whose ops then run through the device rules), SGD with momentum and Adam;
//! SGD's update, like Method 1's, leaves resident parameters on the device.
//!
//! Tolerance: in f64 both sides compute the same forms and differ only in the order the kernels sum products
//! (GEMM tiles, reduction trees), ~1e-15 relative per operation. A few steps of training pass that through the
//! solver and the updates without amplifying it much on these small problems; 1e-9 of the largest entry leaves
//! margin while a wrong op, a stale parameter or a step taken on another minibatch moves the weights by ~1e-3
//! and more.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jetnewton::oracle::ModelOracle;
use jetnewton::train::{train, DatasetKind, OptimizerKind, Silent, TrainConfig, TrainDtype};
use jetnewton_engine::device::{self, ComputeDevice, DeviceCounters};
use jetnewton_kernels::KernelMatmul;
use jetnewton_nets::data::{synthetic, MinibatchSampler};
use jetnewton_nets::{load_params, Model};
use jetnewton_optim::{Optimizer, Sgd, SgdConfig};

/// Relative tolerance of every comparison (see the module docs).
const TOL: f64 = 1e-9;

/// The engine's device is one per process: the runs take turns.
static DEVICE_LOCK: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    DEVICE_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A short f64 run of `optimizer` on `model` over a small synthetic set of `input`'s shape.
fn config(model: &str, synthetic_samples: usize, optimizer: OptimizerKind) -> TrainConfig {
    let mut c = TrainConfig {
        model: model.into(),
        dataset: DatasetKind::Synthetic,
        synthetic_samples,
        optimizer,
        epochs: 1,
        steps: Some(4),
        batch_size: 8,
        dtype: TrainDtype::F64,
        ..TrainConfig::default()
    };
    c.newton.summary_batch_size = 8;
    c.newton.period = 2;
    c
}

/// Trains `config` into `dir`; the epoch-end training losses, the final weights (flattened, in the model's
/// order), and the device's traffic during the run when `device` is installed.
fn run(
    config: &TrainConfig,
    dir: &Path,
    device: Option<&Arc<dyn ComputeDevice>>,
) -> (Vec<f64>, Vec<f64>, Option<DeviceCounters>) {
    let installed = device.map(|d| (device::install_compute(d.clone()), d.counters()));
    let outcome = train(config, dir, &mut Silent).unwrap();
    device::health().unwrap();
    let used = installed.map(|(_guard, before)| device.unwrap().counters().since(&before));
    let model = Model::from_spec(&config.model).unwrap();
    let weights = load_params::<f64>(&outcome.final_weights, &model).unwrap();
    let flat = weights
        .into_entries()
        .into_iter()
        .flat_map(|(_, t)| t.data().to_vec())
        .collect();
    let losses = outcome.epochs.iter().map(|e| e.train.loss).collect();
    (losses, flat, used)
}

/// Every entry of `got` within [`TOL`] of `want`'s largest entry.
fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(1e-300f64, |m, x| m.max(x.abs()));
    for (k, (x, y)) in got.iter().zip(want).enumerate() {
        assert!(
            (x - y).abs() <= TOL * scale,
            "{what}[{k}]: {x} on the device vs {y} on the cpu (scale {scale:e})"
        );
    }
}

/// The emulated device, or `None` with the reason printed when build.rs found no C++ compiler.
fn emulated() -> Option<Arc<dyn ComputeDevice>> {
    match KernelMatmul::emulated() {
        Ok(d) => Some(Arc::new(d)),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// Trains `config` on the CPU and on the emulated device; asserts the same losses and weights, and returns the
/// device's traffic.
fn same_run_on_both(label: &str, config: &TrainConfig) -> Option<DeviceCounters> {
    let _turn = serial();
    let dir = tempfile::tempdir().unwrap();
    let (cpu_losses, cpu_weights, _) = run(config, &dir.path().join("cpu"), None);
    let device = emulated()?;
    let (losses, weights, used) = run(config, &dir.path().join("device"), Some(&device));
    assert_close(&format!("{label}: epoch losses"), &losses, &cpu_losses);
    assert_close(&format!("{label}: final weights"), &weights, &cpu_weights);
    used
}

/// Method 1 on LeNet-5, every op with a device rule on the device from the first step to the last.
#[test]
fn method1_trains_lenet5_resident_as_on_the_cpu() {
    let mut config = config("lenet5:1x28x28:tanh", 80, OptimizerKind::Newton);
    config.eval_samples = 16;
    let Some(used) = same_run_on_both("Method 1", &config) else {
        return;
    };
    assert!(used.launches > 1000, "the device ran the passes: {used:?}");
    // Resident tensors feed most launches from the device; with host parameters every product would upload its
    // operands (two or three copies per launch).
    assert!(
        used.uploads * 5 < used.launches,
        "the passes ran on host tensors: {used:?}"
    );
}

/// SGD with momentum (linear combinations only: resident) and Adam (its update is written on the host; the
/// session puts the parameters back on the device after each step) give the CPU's runs.
#[test]
fn sgd_and_adam_on_the_device_match_the_cpu() {
    for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        let config = config("mlp:8-6-4:tanh", 40, optimizer);
        same_run_on_both(&format!("{optimizer:?}"), &config);
    }
}

/// SGD's update (momentum, Nesterov, weight decay) is made of linear combinations, so resident parameters stay
/// on the device, step after step, and the steps are the host's.
#[test]
fn sgd_keeps_resident_parameters_on_the_device() {
    let Some(device) = emulated() else { return };
    let model = Model::from_spec("mlp:8-6-4:tanh").unwrap();
    let data = synthetic(40, &[8], model.num_classes(), 3).unwrap();
    let sgd = SgdConfig {
        nesterov: true,
        weight_decay: 1e-3,
        ..SgdConfig::with_momentum()
    };
    let steps = |resident: bool| {
        let d_g = MinibatchSampler::new(data.len(), 8, 1).unwrap();
        let d_newt = MinibatchSampler::new(data.len(), 8, 2).unwrap();
        let mut oracle = ModelOracle::new(model.clone(), &data, d_g, d_newt).unwrap();
        let mut params = oracle.initial_params::<f64>(0);
        if resident {
            params = params
                .iter()
                .map(|p| p.to_device(&device).unwrap())
                .collect();
        }
        let mut opt = Sgd::new(oracle.layout(), sgd).unwrap();
        for _ in 0..3 {
            opt.step(&mut params, &mut oracle).unwrap();
        }
        params
    };
    let (host, resident) = (steps(false), steps(true));
    for (k, (r, h)) in resident.iter().zip(&host).enumerate() {
        assert!(r.device().is_some(), "parameter {k} left the device");
        assert_close(&format!("SGD parameter {k}"), r.data(), h.data());
    }
}

/// The numbers `jetnewton grad` prints (the loss, then each tensor's gradient norm), with `--device`.
#[cfg(feature = "host-kernels")]
fn grad_numbers(device: &str) -> Vec<f64> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(["--device", device, "grad", "--model", "mlp:64-32-16-10:elu"])
        .args(["--batch-size", "16"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{device}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loss = stdout
        .split_whitespace()
        .skip_while(|w| *w != "loss")
        .nth(1);
    let norms = stdout
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().last());
    loss.into_iter()
        .chain(norms)
        .map(|v| v.parse().unwrap())
        .collect()
}

/// `grad --device emulated` (resident tensors) prints the CPU's loss and gradient norms. f32, printed to 6-7
/// significant digits: the two sides differ by summation order, ~1e-6 relative after a backward pass;
/// 1e-4 allows that and a last printed digit, while a wrong op moves a norm by far more.
#[cfg(feature = "host-kernels")]
#[test]
fn grad_on_the_emulated_device_prints_the_cpu_numbers() {
    let _turn = serial();
    let (cpu, device) = (grad_numbers("cpu"), grad_numbers("emulated"));
    assert_eq!(cpu.len(), 7, "the loss and the MLP's six tensors: {cpu:?}");
    for (k, (x, y)) in device.iter().zip(&cpu).enumerate() {
        assert!(
            (x - y).abs() <= 1e-4 * y.abs(),
            "number {k}: {x} emulated vs {y} cpu"
        );
    }
}
