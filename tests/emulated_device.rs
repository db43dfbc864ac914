//! The emulated device (the CUDA kernels compiled as host C++, `--device emulated`) against the CPU engine, for
//! every model family of the spec language, in f64: the gradient, the summaries (gbar, hbar, diag D³) for the
//! canonical partition and one other, and a few Method 1 steps. With the root package's `host-kernels` feature
//! (CI: `cargo test -p jetnewton --features host-kernels --test emulated_device`) an MLP's Method 1 summaries run
//! resident on the device and the binary's `--device emulated` is checked too; without it the library-level
//! checks still send every matrix product through the kernels (the dev-dependency builds them), VGG-11' aside.
//!
//! Tolerance: both sides compute the same f64 forms; the kernels only sum the products' terms in another order
//! (tiles instead of the CPU GEMM's blocks, another reduction tree in the resident MLP), so the results differ by
//! rounding, ~1e-13 to 1e-12 of the largest entry on these sizes. 1e-10 of the largest entry of each quantity
//! (the figure) leaves two orders of margin and still catches any wrong index, transpose or missing term,
//! which moves results by far more.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jetnewton::oracle::ModelOracle;
use jetnewton::workload::Workload;
use jetnewton_engine::device::{self, ComputeDevice, DeviceGuard};
use jetnewton_engine::summaries::{jet_summaries, Summaries, SummaryOptions};
use jetnewton_engine::{Graph, Tensor};
use jetnewton_kernels::KernelMatmul;
use jetnewton_nets::data::{synthetic, MinibatchSampler};
use jetnewton_nets::{Model, PartitionSpec};
use jetnewton_optim::{Method1, Method1Config, Optimizer};

/// Relative tolerance of every comparison (see the module docs).
const TOL: f64 = 1e-10;

/// The engine's device is one per process: tests that install it (or compute the CPU reference) take turns.
static DEVICE_LOCK: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    DEVICE_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the emulated device (every product through the kernels), or `None` with the reason printed when
/// build.rs found no C++ compiler.
fn emulated() -> Option<DeviceGuard> {
    match KernelMatmul::emulated() {
        Ok(d) => {
            assert_eq!(jetnewton_engine::device::MatmulDevice::min_work(&d), 0);
            Some(device::install(Arc::new(d)))
        }
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// Every entry of `got` within [`TOL`] of `want`'s largest entry (plus 1e-300 for all-zero quantities).
fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(1e-300f64, |m, x| m.max(x.abs()));
    for (k, (x, y)) in got.iter().zip(want).enumerate() {
        assert!(
            (x - y).abs() <= TOL * scale,
            "{what}[{k}]: {x} emulated vs {y} cpu (scale {scale:e})"
        );
    }
}

/// The emulated device as a [`ComputeDevice`] holding tensors, or `None` with the reason printed.
fn resident_device() -> Option<Arc<dyn ComputeDevice>> {
    match KernelMatmul::emulated() {
        Ok(d) => Some(Arc::new(d)),
        Err(e) => {
            eprintln!("skipped: {e}");
            None
        }
    }
}

/// `got` (resident on the emulated device) against the CPU's `cpu`: the gradient and the summaries.
fn assert_same_results(
    label: &dyn Fn(&str) -> String,
    (got_grad, got): (&[Tensor<f64>], &Summaries),
    (cpu_grad, cpu): (&[Tensor<f64>], &Summaries),
) {
    for (k, (x, y)) in got_grad.iter().zip(cpu_grad).enumerate() {
        assert_close(&label(&format!("gradient {k}")), x.data(), y.data());
    }
    assert_close(&label("loss"), &[got.loss], &[cpu.loss]);
    assert_close(&label("gbar"), &got.gbar, &cpu.gbar);
    assert_close(&label("hbar"), &got.hbar.concat(), &cpu.hbar.concat());
    assert_close(&label("d3"), &got.d3, &cpu.d3);
}

/// The gradient and the jet summaries of `w` along its gradient, on whatever device is installed.
fn gradient_and_summaries(w: &Workload<'_, f64>) -> (Vec<Tensor<f64>>, Summaries) {
    let gradient = w.gradient().unwrap();
    let direction = w.gradient_direction().unwrap();
    let g = Graph::new();
    let b = w.build(&g).unwrap();
    let dir = b.direction(&g, &direction).unwrap();
    let s = jet_summaries(&g, b.loss, &b.groups, &dir, SummaryOptions::default()).unwrap();
    (gradient, s)
}

/// Which emulated paths [`check_model`] compares with the CPU.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Paths {
    /// Tensors resident on the device, and host tensors with the products through the installed device.
    Both,
    /// Resident tensors only (for the slowest model: its products reach the same GEMM kernel either way).
    Resident,
}

/// The gradient and the summaries of `spec` on a seeded batch, for each partition, on the CPU and emulated.
fn check_model(spec: &str, batch: usize, partitions: &[&str], paths: Paths) {
    let model = Model::from_spec(spec).unwrap();
    for (i, partition) in partitions.iter().enumerate() {
        let partition: PartitionSpec = partition.parse().unwrap();
        let w =
            Workload::<f64>::synthetic(&model, batch, partition.clone(), 11 + i as u64).unwrap();
        let _turn = serial();
        let (cpu_grad, cpu) = gradient_and_summaries(&w);
        // Tensors resident on the device: every op with a device rule runs as kernels on resident data.
        let Some(compute) = resident_device() else {
            return;
        };
        let resident = w.to_device(&compute).unwrap();
        let before = compute.counters();
        let (res_grad, res) = gradient_and_summaries(&resident);
        let used = compute.counters().since(&before);
        assert!(used.launches > 0, "{spec}: the device rules ran ({used:?})");
        assert!(
            res_grad.iter().all(|g| g.device().is_some()),
            "{spec}: gradients stay resident"
        );
        let label = |q: &str| format!("{spec} {partition:?} resident {q}");
        assert_same_results(&label, (&res_grad, &res), (&cpu_grad, &cpu));
        if paths == Paths::Resident {
            continue;
        }
        // The products through the installed device, the rest on the host.
        let Some(_device) = emulated() else { return };
        let (emu_grad, emu) = gradient_and_summaries(&w);
        device::health().unwrap();
        let label = |q: &str| format!("{spec} {partition:?} {q}");
        assert_same_results(&label, (&emu_grad, &emu), (&cpu_grad, &cpu));
    }
}

#[test]
fn mlps_of_every_activation_match_the_cpu() {
    for (act, other) in [
        ("tanh", "chunks-2"),
        ("elu", "weights-biases"),
        ("relu", "blocks-2"),
        ("sigmoid", "alternate-2"),
    ] {
        check_model(
            &format!("mlp:8-6-5-4:{act}"),
            5,
            &["canonical", other],
            Paths::Both,
        );
    }
}

#[test]
fn deep_elu_mlp_matches_the_cpu() {
    check_model(
        "mlp:3072-64x3-10:elu",
        3,
        &["canonical", "chunks-3"],
        Paths::Both,
    );
}

#[test]
fn lenet5_matches_the_cpu() {
    check_model(
        "lenet5:1x28x28:tanh",
        2,
        &["canonical", "weights-biases"],
        Paths::Both,
    );
}

/// VGG-11' through the emulated kernels costs minutes per pass of its 22-group canonical partition (every kernel
/// of every jet order runs in fibers on the CPU); one sample and partitions of one and two groups still send every
/// layer's products, convolutions, pooling, jets and adjoints through the kernels, on resident tensors. About two
/// minutes even so: run only in the feature build, not in a plain `cargo test --workspace`.
#[cfg(feature = "host-kernels")]
#[test]
fn vgg11p_matches_the_cpu() {
    check_model(
        "vgg11p:3x32x32",
        1,
        &["trivial", "weights-biases"],
        Paths::Resident,
    );
}

/// The losses of `steps` Method 1 steps of `spec` on a seeded synthetic set, and the final parameters; with
/// `resident`, the parameters (and so the gradients, the direction and the updates) live on that device.
fn method1_run(
    spec: &str,
    input: &[usize],
    steps: usize,
    resident: Option<&Arc<dyn ComputeDevice>>,
) -> (Vec<f64>, Vec<Tensor<f64>>) {
    let model = Model::from_spec(spec).unwrap();
    let data = synthetic(40, input, model.num_classes(), 3).unwrap();
    let d_g = MinibatchSampler::new(data.len(), 8, 1).unwrap();
    let d_newt = MinibatchSampler::new(data.len(), 8, 2).unwrap();
    let mut oracle = ModelOracle::new(model, &data, d_g, d_newt).unwrap();
    let mut params = oracle.initial_params::<f64>(0);
    if let Some(d) = resident {
        params = params.iter().map(|p| p.to_device(d).unwrap()).collect();
    }
    let groups = oracle.groups(&PartitionSpec::Canonical).unwrap();
    let config = Method1Config::paper(oracle.steps_per_epoch());
    let mut opt = Method1::new(oracle.layout(), groups, config).unwrap();
    let losses = (0..steps)
        .map(|_| opt.step(&mut params, &mut oracle).unwrap().loss)
        .collect();
    (losses, params)
}

/// Method 1 steps give the CPU's losses and parameters (an MLP, whose summaries run resident on the device with
/// the `host-kernels` feature, and LeNet-5, through the engine's products).
#[test]
fn method1_steps_match_the_cpu() {
    for (spec, input, steps) in [
        ("mlp:8-6-4:tanh", &[8][..], 4),
        ("lenet5:1x28x28:tanh", &[1, 28, 28][..], 2),
    ] {
        let _turn = serial();
        let (cpu_losses, cpu_params) = method1_run(spec, input, steps, None);
        let Some(compute) = resident_device() else {
            return;
        };
        let (res_losses, res_params) = method1_run(spec, input, steps, Some(&compute));
        assert!(
            res_params.iter().all(|p| p.device().is_some()),
            "{spec}: parameters stay resident"
        );
        assert_close(&format!("{spec} resident losses"), &res_losses, &cpu_losses);
        for (k, (x, y)) in res_params.iter().zip(&cpu_params).enumerate() {
            assert_close(
                &format!("{spec} resident parameter {k}"),
                x.data(),
                y.data(),
            );
        }
        let Some(_device) = emulated() else { return };
        let (emu_losses, emu_params) = method1_run(spec, input, steps, None);
        device::health().unwrap();
        assert_close(&format!("{spec} losses"), &emu_losses, &cpu_losses);
        for (k, (x, y)) in emu_params.iter().zip(&cpu_params).enumerate() {
            assert_close(&format!("{spec} parameter {k}"), x.data(), y.data());
        }
    }
}

/// The binary's `summaries --device emulated` prints the numbers of `--device cpu` (an MLP, resident on the device,
/// and LeNet-5, through the engine's products), on weights and a batch written here.
#[cfg(feature = "host-kernels")]
#[test]
fn cli_summaries_on_the_emulated_device_match_the_cpu() {
    use std::process::Command;

    let dir = tempfile::tempdir().unwrap();
    for (spec, input, partition) in [
        ("mlp:8-6-4:elu", &[8][..], "chunks-2"),
        ("lenet5:1x28x28:tanh", &[1, 28, 28][..], "canonical"),
    ] {
        let model = Model::from_spec(spec).unwrap();
        let weights = dir.path().join("weights.safetensors");
        let batch = dir.path().join("batch.safetensors");
        jetnewton_nets::save_params(&weights, &model.init_params::<f64>(5)).unwrap();
        write_batch(&batch, input, 3);
        let run = |device: &str| {
            let out = Command::new(env!("CARGO_BIN_EXE_jetnewton"))
                .args([
                    "--device",
                    device,
                    "summaries",
                    "--model",
                    spec,
                    "--partition",
                    partition,
                ])
                .args(["--dtype", "f64", "--weights"])
                .arg(&weights)
                .arg("--batch")
                .arg(&batch)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{device}: {err}");
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
        };
        let (cpu, emu) = (run("cpu"), run("emulated"));
        assert!(
            emu["device"].as_str().unwrap().starts_with("emulated"),
            "{}",
            emu["device"]
        );
        let numbers = |v: &serde_json::Value, key: &str| -> Vec<f64> {
            let flat = if key == "hbar" {
                v[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r.as_array().unwrap().clone())
                    .collect()
            } else if key == "loss" {
                vec![v[key].clone()]
            } else {
                v[key].as_array().unwrap().clone()
            };
            flat.iter().map(|x| x.as_f64().unwrap()).collect()
        };
        for key in ["loss", "gbar", "hbar", "d3"] {
            assert_close(
                &format!("{spec} {key}"),
                &numbers(&emu, key),
                &numbers(&cpu, key),
            );
        }
    }
}

/// A seeded batch of `rows` samples of shape `input` (`x`, f64) with labels `y` (int64), as `summaries` reads it.
#[cfg(feature = "host-kernels")]
fn write_batch(path: &std::path::Path, input: &[usize], rows: usize) {
    use safetensors::tensor::{Dtype, TensorView};

    let numel: usize = rows * input.iter().product::<usize>();
    let x: Vec<u8> = (0..numel)
        .flat_map(|i| ((i as f64 * 0.37).sin()).to_le_bytes())
        .collect();
    let y: Vec<u8> = (0..rows as i64)
        .flat_map(|l| (l % 3).to_le_bytes())
        .collect();
    let mut shape = vec![rows];
    shape.extend_from_slice(input);
    let tensors = [
        ("x", TensorView::new(Dtype::F64, shape, &x).unwrap()),
        ("y", TensorView::new(Dtype::I64, vec![rows], &y).unwrap()),
    ];
    std::fs::write(path, safetensors::serialize(tensors, None).unwrap()).unwrap();
}
