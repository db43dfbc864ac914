//! `jetnewton summaries --lambda-int L`: η* on the summaries it prints, checked against the optimality
//! conditions of the paper's cubic-regularised model (not against the solver's own code), and bad λ_int refused.

use std::path::PathBuf;
use std::process::{Command, Output};

fn jetnewton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(args)
        .output()
        .unwrap()
}

fn fixtures() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/summaries"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} is missing", dir.display());
        None
    }
}

fn vector(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `(T(η), ∇T(η))` of `T(η) = −ηᵀg + ½ηᵀHη + (λ/6)‖Dη‖³`, `D = diag(|d3|^{1/3})`.
fn cubic(g: &[f64], h: &[Vec<f64>], d3: &[f64], lambda: f64, eta: &[f64]) -> (f64, Vec<f64>) {
    let d2: Vec<f64> = d3.iter().map(|d| d.abs().powf(2.0 / 3.0)).collect();
    let norm = eta
        .iter()
        .zip(&d2)
        .map(|(e, d)| d * e * e)
        .sum::<f64>()
        .sqrt();
    let he: Vec<f64> = h
        .iter()
        .map(|r| r.iter().zip(eta).map(|(a, e)| a * e).sum())
        .collect();
    let t = -eta.iter().zip(g).map(|(e, g)| e * g).sum::<f64>()
        + 0.5 * eta.iter().zip(&he).map(|(e, x)| e * x).sum::<f64>()
        + lambda / 6.0 * norm.powi(3);
    let grad = (0..g.len())
        .map(|s| -g[s] + he[s] + 0.5 * lambda * norm * d2[s] * eta[s])
        .collect();
    (t, grad)
}

#[test]
fn eta_is_the_stationary_point_of_the_cubic_model() {
    let Some(dir) = fixtures() else { return };
    for name in ["mlp-tanh", "lenet5-small"] {
        let d = dir.join(name);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("expected.json")).unwrap()).unwrap();
        let model = expected["model"].as_str().unwrap();
        let file = |f: &str| d.join(f).to_str().unwrap().to_string();
        let (w, b) = (file("weights.safetensors"), file("batch.safetensors"));
        for lambda in ["1", "0.3", "10"] {
            let out = jetnewton(&[
                "summaries",
                "--model",
                model,
                "--weights",
                &w,
                "--batch",
                &b,
                "--lambda-int",
                lambda,
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                j["solver"]["status"], "solved",
                "{name} λ={lambda}: {}",
                j["solver"]
            );
            let (g, d3, eta) = (vector(&j["gbar"]), vector(&j["d3"]), vector(&j["eta"]));
            let h: Vec<Vec<f64>> = j["hbar"].as_array().unwrap().iter().map(vector).collect();
            let lambda: f64 = lambda.parse().unwrap();
            let (t, grad) = cubic(&g, &h, &d3, lambda, &eta);
            let scale = g.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            // The solver stops at a relative tolerance of 1e-10 on its scalar root; the gradient of T then
            // vanishes to ~1e-8 of ‖ḡ‖ (the root's error times the curvature, both O(1) here).
            for (s, r) in grad.iter().enumerate() {
                assert!(
                    r.abs() <= 1e-7 * scale,
                    "{name} λ={lambda}: ∂T/∂η_{s} = {r}"
                );
            }
            assert!(t < 0.0, "{name}: T(η*) = {t} is no decrease");
            let reported = j["solver"]["model_decrease"].as_f64().unwrap();
            assert!(
                (t - reported).abs() <= 1e-9 * t.abs().max(1e-300),
                "{t} vs {reported}"
            );
        }
    }
}

#[test]
fn a_bad_lambda_int_is_refused_naming_the_flag() {
    let Some(dir) = fixtures() else { return };
    let d = dir.join("mlp-tanh");
    let file = |f: &str| d.join(f).to_str().unwrap().to_string();
    for bad in ["-1", "nan", "inf"] {
        let out = jetnewton(&[
            "summaries",
            "--model",
            "mlp:10-7-10:tanh",
            "--weights",
            &file("weights.safetensors"),
            "--batch",
            &file("batch.safetensors"),
            "--lambda-int",
            bad,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--lambda-int"), "{bad}: {err}");
    }
}

/// Writes the seeded weights of `mlp:6-5-4:tanh` (by `train --steps 1`, so in PyTorch names) and a batch of 3
/// samples into `dir`; returns their paths.
fn small_inputs(dir: &std::path::Path) -> (String, String) {
    use safetensors::{serialize, Dtype, View};
    struct Raw(Dtype, Vec<usize>, Vec<u8>);
    impl View for &Raw {
        fn dtype(&self) -> Dtype {
            self.0
        }
        fn shape(&self) -> &[usize] {
            &self.1
        }
        fn data(&self) -> std::borrow::Cow<'_, [u8]> {
            (&self.2[..]).into()
        }
        fn data_len(&self) -> usize {
            self.2.len()
        }
    }
    let x: Vec<u8> = (0..18)
        .flat_map(|i| ((i as f64 * 0.37).sin()).to_le_bytes())
        .collect();
    let y: Vec<u8> = [0i64, 3, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
    let (xr, yr) = (Raw(Dtype::F64, vec![3, 6], x), Raw(Dtype::I64, vec![3], y));
    let batch = dir.join("batch.safetensors");
    std::fs::write(&batch, serialize([("x", &xr), ("y", &yr)], None).unwrap()).unwrap();
    let run = dir.join("run");
    let out = jetnewton(&[
        "--threads",
        "1",
        "train",
        "--dataset",
        "synthetic",
        "--model",
        "mlp:6-5-4:tanh",
        "--steps",
        "1",
        "--run-dir",
        run.to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--set",
        "synthetic_samples=200",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let weights = run.join("final.safetensors");
    (
        weights.to_str().unwrap().into(),
        batch.to_str().unwrap().into(),
    )
}

fn summaries_json(weights: &str, batch: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "summaries",
        "--model",
        "mlp:6-5-4:tanh",
        "--weights",
        weights,
        "--batch",
        batch,
    ];
    args.extend_from_slice(extra);
    let out = jetnewton(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn order_d_gives_the_symmetric_derivative_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let (w, b) = small_inputs(dir.path());
    let two = summaries_json(&w, &b, &["--order", "2"]);
    let hbar: Vec<Vec<f64>> = two["hbar"].as_array().unwrap().iter().map(vector).collect();
    let dd = &two["dd"];
    assert_eq!(dd["order"], 2);
    let values = vector(&dd["values"]);
    let indices = dd["indices"].as_array().unwrap();
    // One entry per pair s ≤ t of the S groups.
    let groups = hbar.len();
    assert_eq!(indices.len(), groups * (groups + 1) / 2);
    assert_eq!(values.len(), indices.len());
    let scale = hbar.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for (index, v) in indices.iter().zip(&values) {
        let (s, t) = (
            index[0].as_u64().unwrap() as usize,
            index[1].as_u64().unwrap() as usize,
        );
        // Two exact f64 computations (polarised forward jets, reverse jets): rounding only.
        assert!(
            (v - 0.5 * (hbar[s][t] + hbar[t][s])).abs() <= 1e-12 * scale,
            "{index}: {v}"
        );
    }
    let four = summaries_json(&w, &b, &["--order", "4"]);
    let c = |n: usize, k: usize| (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1));
    assert_eq!(
        four["dd"]["values"].as_array().unwrap().len(),
        c(groups + 3, 4)
    );
    for bad in ["0", "5", "9"] {
        let out = jetnewton(&[
            "summaries",
            "--model",
            "mlp:6-5-4:tanh",
            "--weights",
            &w,
            "--batch",
            &b,
            "--order",
            bad,
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("--order") && err.contains("outside 1..=4"),
            "{bad}: {err}"
        );
    }
}
