//! `train --probe-every N`: probes of the summaries along any optimiser's training, written to `probes.jsonl`,
//! reproducible with `jetnewton summaries` from the files the run leaves, and never changing the trajectory.

use std::path::Path;
use std::process::{Command, Output};

fn jetnewton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(["--threads", "2"])
        .args(args)
        .output()
        .unwrap()
}

/// Trains SGD on the embedded digits in f64 for 6 steps into `dir`, with `extra` flags.
fn sgd(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "train",
        "--optimizer",
        "sgd",
        "--dtype",
        "f64",
        "--steps",
        "6",
    ];
    args.extend_from_slice(&["--run-dir", dir.to_str().unwrap(), "--quiet", "--no-plots"]);
    args.extend_from_slice(extra);
    let out = jetnewton(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn probes(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("probes.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn matrix(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
        .collect()
}

#[test]
fn probes_match_summaries_and_leave_the_trajectory_alone() {
    let root = tempfile::tempdir().unwrap();
    let plain = root.path().join("plain");
    sgd(&plain, &[]);
    for direction in ["update", "gradient"] {
        let dir = root.path().join(direction);
        sgd(
            &dir,
            &[
                "--probe-every",
                "3",
                "--probe-set",
                "300",
                "--probe-direction",
                direction,
            ],
        );
        // Bit for bit the weights of the run without probes.
        let weights = |d: &Path| std::fs::read(d.join("final.safetensors")).unwrap();
        assert_eq!(
            weights(&dir),
            weights(&plain),
            "{direction}: probes changed the trajectory"
        );
        let lines = probes(&dir);
        let steps: Vec<u64> = lines.iter().map(|l| l["step"].as_u64().unwrap()).collect();
        assert_eq!(steps, [3, 6]);
        for key in ["loss", "gbar", "hbar", "d3", "eta", "solver"] {
            assert!(
                !lines[1][key].is_null(),
                "{direction}: {key} missing in {}",
                lines[1]
            );
        }
        assert_eq!(lines[1]["samples"], 300);
        // The last probe again, from the run's files: the weights, the probe set and the probe's direction.
        let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let out = jetnewton(&[
            "summaries",
            "--model",
            "mlp:64-128-64-10:tanh",
            "--weights",
            &file("final.safetensors"),
            "--batch",
            &file("probe-set.safetensors"),
            "--direction",
            &file("probe-direction.safetensors"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let (want, got) = (matrix(&s["hbar"]), matrix(&lines[1]["hbar"]));
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // The same f64 computation on the same inputs: equal up to rounding.
        for (w, g) in want.iter().zip(&got) {
            assert!(
                (w - g).abs() <= 1e-12 * scale,
                "{direction}: hbar {g} vs {w}"
            );
        }
        // The paper's figures 1 and 2b along this SGD run: hbar of the first and last probes, η* over steps.
        let out = jetnewton(&["report", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for picture in [
            "probe-eta.png",
            "probe-hbar-step-000003.png",
            "probe-hbar-step-000006.png",
        ] {
            let path = dir.join("plots").join(picture);
            assert!(
                std::fs::metadata(&path).is_ok_and(|m| m.len() > 1000),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn bad_probe_settings_exit_2_naming_the_flag() {
    let root = tempfile::tempdir().unwrap();
    for (set, wanted) in [
        ("100000", "training set has"),
        ("somewhere", "expected `train`"),
        ("0", "0 samples"),
    ] {
        let dir = root.path().join(set);
        let out = jetnewton(&[
            "train",
            "--steps",
            "2",
            "--probe-every",
            "1",
            "--probe-set",
            set,
            "--run-dir",
            dir.to_str().unwrap(),
            "--quiet",
            "--no-plots",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        assert!(
            err.contains("--probe-set") && err.contains(wanted),
            "{set}: {err}"
        );
        assert!(
            !dir.join("run.json").exists(),
            "{set}: a refused run left files"
        );
    }
}
