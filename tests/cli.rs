//! The `jetnewton` binary end to end: the main job, the summaries exchange against PyTorch's fixtures, and bad
//! input (exit code 2, a message naming the culprit, no panic).

use std::path::PathBuf;
use std::process::{Command, Output};

fn jetnewton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(args)
        .output()
        .expect("the binary runs")
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

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// Largest relative difference between two JSON numbers or nested arrays of numbers.
fn max_rel(a: &serde_json::Value, b: &serde_json::Value) -> f64 {
    match (a, b) {
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
            assert_eq!(x.len(), y.len());
            x.iter()
                .zip(y)
                .map(|(p, q)| max_rel(p, q))
                .fold(0.0, f64::max)
        }
        _ => {
            let (p, q) = (a.as_f64().expect("number"), b.as_f64().expect("number"));
            (p - q).abs() / p.abs().max(q.abs()).max(1e-300)
        }
    }
}

#[test]
fn grad_main_job_prints_every_tensor() {
    let out = jetnewton(&["grad", "--batch-size", "64"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias",
    ] {
        assert!(text.contains(name), "missing {name} in {text}");
    }
}

#[test]
fn summaries_reproduce_pytorch_double_backward_fixtures() {
    let Some(dir) = fixtures() else { return };
    for case in ["mlp-tanh", "lenet5-small"] {
        let d = dir.join(case);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("expected.json")).expect("expected.json"))
                .expect("json");
        let model = expected["model"].as_str().expect("model spec");
        let w = d.join("weights.safetensors");
        let b = d.join("batch.safetensors");
        let mut args = vec![
            "summaries",
            "--model",
            model,
            "--weights",
            w.to_str().unwrap(),
            "--batch",
            b.to_str().unwrap(),
        ];
        let u = d.join("direction.safetensors");
        if u.exists() {
            args.extend(["--direction", u.to_str().unwrap()]);
        }
        for method in ["jet", "double-backward"] {
            let mut a = args.clone();
            a.extend(["--method", method]);
            let got = json(&jetnewton(&a));
            assert_eq!(got["groups"], expected["groups"], "{case}");
            // f64 throughout; the fixtures' README promises ~1e-12 relative, rounding differs only in the order of
            // summation (jets and double backward also agree to this level).
            for key in ["loss", "gbar", "hbar", "d3"] {
                let r = max_rel(&got[key], &expected[key]);
                assert!(r < 1e-10, "{case} {method} {key}: relative error {r}");
            }
            assert!(got["timing"]["gradient_ms"].as_f64().unwrap() >= 0.0);
        }
    }
}

#[test]
fn bad_inputs_exit_2_naming_the_problem() {
    let Some(dir) = fixtures() else { return };
    let d = dir.join("mlp-tanh");
    let w = d.join("weights.safetensors");
    let b = d.join("batch.safetensors");
    let (w, b) = (w.to_str().unwrap(), b.to_str().unwrap());
    let cases: [(&[&str], &str); 5] = [
        (
            &[
                "summaries",
                "--model",
                "mlp:10-7-10:tanh",
                "--weights",
                "/no/such/w.safetensors",
                "--batch",
                b,
            ],
            "/no/such/w.safetensors",
        ),
        (
            &[
                "summaries",
                "--model",
                "mlp:10-8-10:tanh",
                "--weights",
                w,
                "--batch",
                b,
            ],
            "0.weight",
        ),
        (
            &[
                "summaries",
                "--model",
                "resnet:1",
                "--weights",
                w,
                "--batch",
                b,
            ],
            "resnet",
        ),
        (
            &[
                "summaries",
                "--model",
                "mlp:10-7-10:tanh",
                "--weights",
                w,
                "--batch",
                b,
                "--partition",
                "blocks-0",
            ],
            "blocks-0",
        ),
        (
            &[
                "summaries",
                "--model",
                "mlp:10-7-10:tanh",
                "--weights",
                b,
                "--batch",
                b,
            ],
            "weight",
        ),
    ];
    for (args, needle) in cases {
        let out = jetnewton(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: {err} does not name {needle}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: partial output");
    }
}

/// `--device`: an unknown name and, in a build without the `cuda` (`host-kernels`) feature, CUDA (the emulated
/// device) itself are refused before any work, naming the flag and the reason; `--device cpu` is the default and
/// changes nothing.
#[test]
fn device_flag_refuses_what_it_cannot_open() {
    let spec = [
        "timing",
        "--model",
        "mlp:6-4-3:tanh",
        "--batch-size",
        "4",
        "--repeat",
        "1",
    ];
    let with = |device: &str| {
        let mut args = vec!["--device", device];
        args.extend_from_slice(&spec);
        jetnewton(&args)
    };
    let out = with("tpu");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown device `tpu`: expected cpu, emulated, cuda or cuda:N"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let out = with("cpu");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&out)["device"], "cpu");

    if !cfg!(feature = "cuda") {
        let out = with("cuda:1");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--device: cuda:1: jetnewton was not compiled with CUDA support"),
            "{err}"
        );
        assert!(!err.contains("panicked") && out.stdout.is_empty(), "{err}");
    }
    if !cfg!(feature = "host-kernels") {
        let out = with("emulated");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--device: emulated: this build has no host kernels (build with --features host-kernels)"),
            "{err}"
        );
        assert!(!err.contains("panicked") && out.stdout.is_empty(), "{err}");
    }
}
