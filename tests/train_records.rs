//! What `steps.jsonl` says about Method 1's schedule: `λ_int` at every step, and with the adaptive schedule the
//! trial's `ρ` and the period ratio at the steps that recompute the summaries; and an adaptive run resumed in
//! the middle of a period continues exactly.

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(["--threads", "2"])
        .args(args)
        .args(["--no-plots", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn train(dir: &Path, schedule: &str, steps: u32) {
    let schedule = format!("newton.schedule=\"{schedule}\"");
    let (steps, dir) = (steps.to_string(), dir.to_str().unwrap());
    run(&[
        "train",
        "--model",
        "mlp:64-32-10:tanh",
        "--steps",
        &steps,
        "--run-dir",
        dir,
        "--set",
        &schedule,
    ]);
}

fn records(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("steps.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn steps(dir: &Path, schedule: &str) -> Vec<serde_json::Value> {
    train(dir, schedule, 41);
    records(dir)
}

#[test]
fn steps_record_lambda_int_and_the_adaptive_trials() {
    let root = tempfile::tempdir().unwrap();
    let adaptive = steps(&root.path().join("adaptive"), "adaptive");
    let paper = steps(&root.path().join("paper"), "paper");
    assert_eq!((adaptive.len(), paper.len()), (41, 41));
    for s in adaptive.iter().chain(&paper) {
        assert!(s["lambda_int"].as_f64().unwrap() >= 1.0, "{s}");
    }
    // The paper's schedule never tries a step and keeps λ_int.
    assert!(paper.iter().all(|s| s.get("rho").is_none()
        && s.get("eta_refused").is_none()
        && s["lambda_int"] == 1.0));
    // The adaptive one tries each new solution (steps 1, 11, 21, …): a ρ, when the model predicted a decrease,
    // appears only there.
    let recomputed = |s: &serde_json::Value| s.get("solver").is_some();
    assert!(adaptive
        .iter()
        .all(|s| s.get("rho").is_none() || recomputed(s)));
    assert!(
        adaptive.iter().any(|s| s["rho"].as_f64().is_some()),
        "no trial had a ρ"
    );
    // The period ratio is measured when a period ends (steps 11, 21, 31, 41), and it moves λ_t; the paper's λ_t
    // stays.
    for s in &adaptive {
        let step = s["step"].as_u64().unwrap();
        assert_eq!(
            s.get("period_ratio").is_some(),
            step > 1 && step % 10 == 1,
            "{s}"
        );
    }
    let lr = |s: &serde_json::Value| s["lr"].as_f64().unwrap();
    assert!(adaptive.iter().any(|s| lr(s) != 0.1), "λ_t never moved");
    assert!(paper
        .iter()
        .all(|s| lr(s) == 0.1 && s.get("period_ratio").is_none()));
}

/// Cut at step 25, inside the period that started at step 21: the resumed run needs that period's start and the
/// minibatch of its summaries to judge it at step 31.
#[test]
fn an_adaptive_run_resumed_mid_period_continues_exactly() {
    let root = tempfile::tempdir().unwrap();
    let (whole, cut) = (root.path().join("whole"), root.path().join("cut"));
    train(&whole, "adaptive", 41);
    // The `--schedule` flag and `--set newton.schedule=…` are the same configuration.
    let cut_dir = cut.to_str().unwrap();
    run(&[
        "train",
        "--model",
        "mlp:64-32-10:tanh",
        "--steps",
        "25",
        "--run-dir",
        cut_dir,
        "--schedule",
        "adaptive",
    ]);
    run(&["train", "--resume", cut_dir, "--steps", "41"]);
    let without_time = |dir: &Path| -> Vec<serde_json::Value> {
        records(dir)
            .into_iter()
            .map(|mut s| {
                s.as_object_mut().unwrap().remove("wall_s");
                s
            })
            .collect()
    };
    assert_eq!(without_time(&whole), without_time(&cut));
    let weights = |dir: &Path| std::fs::read(dir.join("final.safetensors")).unwrap();
    assert!(weights(&whole) == weights(&cut), "final weights differ");
}

/// The tensors of a safetensors file: name → (dtype, little-endian bytes).
fn tensors(path: &Path) -> Vec<(String, safetensors::Dtype, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut out: Vec<_> = file
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.data().to_vec()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn final_weights_can_be_saved_in_bf16() {
    let root = tempfile::tempdir().unwrap();
    let (f32_dir, bf16_dir) = (root.path().join("f32"), root.path().join("bf16"));
    let args = ["train", "--model", "mlp:64-16-10:tanh", "--steps", "5"];
    run(&[&args[..], &["--run-dir", f32_dir.to_str().unwrap()]].concat());
    let bf16 = [
        "--run-dir",
        bf16_dir.to_str().unwrap(),
        "--save-dtype",
        "bf16",
    ];
    run(&[&args[..], &bf16[..]].concat());
    let (full, half) = (
        tensors(&f32_dir.join("final.safetensors")),
        tensors(&bf16_dir.join("final.safetensors")),
    );
    assert_eq!(full.len(), half.len());
    for ((name, dtype, bytes), (half_name, half_dtype, half_bytes)) in full.iter().zip(&half) {
        assert_eq!(
            (name, *dtype, *half_dtype),
            (half_name, safetensors::Dtype::F32, safetensors::Dtype::BF16)
        );
        // The same training (the save type is not part of it), each f32 rounded to nearest-even bf16: its top 16
        // bits after adding half an ulp of bf16 (plus the tie-breaking bit).
        let want: Vec<u8> = bytes
            .chunks_exact(4)
            .flat_map(|b| {
                let bits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                let rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
                (rounded as u16).to_le_bytes()
            })
            .collect();
        assert_eq!(half_bytes, &want, "{name}");
    }
}

#[test]
fn method1_with_adams_direction_trains_and_resumes_exactly() {
    let root = tempfile::tempdir().unwrap();
    let (whole, cut, plain) = (
        root.path().join("whole"),
        root.path().join("cut"),
        root.path().join("plain"),
    );
    let base = [
        "train",
        "--model",
        "mlp:64-32-10:tanh",
        "--set",
        "newton.direction=\"adam\"",
    ];
    run(&[
        &base[..],
        &["--steps", "33", "--run-dir", whole.to_str().unwrap()],
    ]
    .concat());
    // Cut inside a period, after Adam's moments have built up: they travel with the checkpoint.
    run(&[
        &base[..],
        &["--steps", "17", "--run-dir", cut.to_str().unwrap()],
    ]
    .concat());
    run(&["train", "--resume", cut.to_str().unwrap(), "--steps", "33"]);
    let weights = |dir: &Path| std::fs::read(dir.join("final.safetensors")).unwrap();
    assert!(
        weights(&whole) == weights(&cut),
        "final weights differ after resuming"
    );
    // A different direction is a different trajectory (the setting is not ignored), and both learn.
    train(&plain, "paper", 33);
    assert!(weights(&whole) != weights(&plain));
    let last_loss = |dir: &Path| records(dir).last().unwrap()["loss"].as_f64().unwrap();
    let first_loss = records(&whole)[0]["loss"].as_f64().unwrap();
    assert!(
        last_loss(&whole) < first_loss,
        "{} !< {first_loss}",
        last_loss(&whole)
    );
}
