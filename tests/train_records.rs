//! What `steps.jsonl` says about Method 1's schedule: `λ_int` at every step, and with the adaptive schedule the
//! trial's `ρ` at the steps that recompute the summaries.

use std::path::Path;
use std::process::Command;

fn steps(dir: &Path, schedule: &str) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(["--threads", "2", "train", "--model", "mlp:64-32-10:tanh"])
        .args(["--steps", "41", "--no-plots", "--quiet", "--run-dir"])
        .arg(dir)
        .args(["--set", &format!("newton.schedule=\"{schedule}\"")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("steps.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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
}
