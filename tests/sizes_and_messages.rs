//! Sizes checked before allocating, checked counts, bounded threads, negative numbers as values, and messages that
//! name what the user wrote: each case exits with code 2 (1 for a computation that overflowed), names the flag,
//! key or file at fault, never panics, and (for `train`) leaves no run directory behind. Every size is far beyond
//! any machine's memory, so the cases hold on any machine and are refused before anything of that size exists.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use safetensors::tensor::TensorView;
use safetensors::Dtype;

fn jetnewton_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn jetnewton(args: &[&str]) -> Output {
    jetnewton_env(args, &[])
}

/// Exit code `code`, every needle in stderr, no panic, nothing on stdout.
fn check_failure(args: &[&str], out: &Output, code: i32, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?}: `{err}` does not name {needle}"
        );
    }
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}: partial output");
}

/// Runs `train` with `args` into a fresh run directory under `root`: exit code 2, the needles named, no panic,
/// no run directory left.
fn train_refuses(root: &Path, args: &[&str], needles: &[&str]) {
    let run = root.join(format!(
        "run-{}",
        args.join("_").replace(['/', ' ', '=', '"', ':'], "-")
    ));
    let mut full = vec![
        "train",
        "--run-dir",
        run.to_str().unwrap(),
        "--log",
        "quiet",
        "--no-plots",
    ];
    full.extend_from_slice(args);
    let out = jetnewton(&full);
    check_failure(&full, &out, 2, needles);
    assert!(!run.exists(), "{full:?}: left {}", run.display());
}

#[test]
fn models_too_large_for_memory_are_refused_naming_the_spec() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    train_refuses(
        r,
        &["--model", "mlp:784-100000000000-10:tanh"],
        &["--model", "mlp:784-100000000000-10:tanh", "memory", "TiB"],
    );
    train_refuses(
        r,
        &["--model", "lenet5:3x100000x100000"],
        &["--model", "lenet5:3x100000x100000", "memory"],
    );
    // A repeat count is bounded before the widths are listed.
    train_refuses(
        r,
        &["--model", "mlp:784-1024x100000000-10"],
        &["mlp:784-1024x100000000-10", "at most 10000 widths"],
    );
    // Counts that overflow are errors, not panics or wrapped sizes.
    train_refuses(
        r,
        &["--model", "mlp:784-18446744073709551615-10"],
        &["mlp:784-18446744073709551615-10", "2^53"],
    );
    train_refuses(
        r,
        &["--model", "lenet5:1x4294967296x4294967296"],
        &["lenet5:1x4294967296x4294967296", "2^53"],
    );
    // K-FAC's Kronecker factors of a wide layer.
    train_refuses(
        r,
        &["--optimizer", "kfac", "--model", "mlp:64-10000000-10"],
        &["kfac", "Kronecker", "memory"],
    );
}

#[test]
fn counts_from_the_config_are_bounded() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    train_refuses(
        r,
        &[
            "--dataset",
            "synthetic",
            "--set",
            "synthetic_samples=1000000000000000",
        ],
        &["synthetic_samples", "memory"],
    );
    train_refuses(
        r,
        &["--set", "newton.summary_average=100000"],
        &["newton.summary_average", "10000"],
    );
    train_refuses(r, &["--epochs", "18446744073709551615"], &["--epochs"]);
    train_refuses(r, &["--set", "epochs=4611686018427387904"], &["epochs"]);
    train_refuses(r, &["--set", "threads=5000"], &["threads", "1024"]);
}

#[test]
fn negative_numbers_are_values_that_validation_names() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for (args, needles) in [
        (&["--lr", "-0.1"][..], &["--lr", "newton.lr"][..]),
        (
            &["--lambda-int", "-1"],
            &["--lambda-int", "newton.lambda_int"],
        ),
        (&["--set", "newton.lr=-1"], &["newton.lr"]),
        (&["--set", "newton.lambda_int=-1"], &["newton.lambda_int"]),
        (
            &["--set", "newton.eta_momentum=-0.5"],
            &["newton.eta_momentum"],
        ),
        (
            &["--optimizer", "adam", "--lr", "-0.001"],
            &["--lr", "adam.lr"],
        ),
        (
            &["--optimizer", "adam", "--set", "adam.beta1=-0.9"],
            &["adam.beta1"],
        ),
        (&["--optimizer", "sgd", "--lr", "-1"], &["--lr", "sgd.lr"]),
        (
            &["--optimizer", "sgd", "--set", "sgd.momentum=-0.9"],
            &["sgd.momentum"],
        ),
        (&["--optimizer", "kfac", "--lr", "-1"], &["--lr", "kfac.lr"]),
        (
            &["--optimizer", "kfac", "--set", "kfac.damping=-0.03"],
            &["kfac.damping"],
        ),
        (
            &[
                "--schedule",
                "adaptive",
                "--lambda-int",
                "0",
                "--model",
                "mlp:64-16-10",
            ],
            &["--lambda-int", "adaptive"],
        ),
    ] {
        train_refuses(r, args, needles);
        let mut full = vec!["train", "--run-dir", "unused"];
        full.extend_from_slice(args);
        let err = String::from_utf8_lossy(&jetnewton(&full).stderr).to_string();
        // Neither a parse failure of the number nor a Rust type in the message.
        for internal in ["unexpected argument", "Params", "Config", "CubicParams"] {
            assert!(!err.contains(internal), "{args:?}: {err}");
        }
    }
}

#[test]
fn config_files_at_fault_are_named() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let write = |name: &str, text: &str| {
        let path = r.join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let negative = write("negative.toml", "epochs = 1\n[newton]\nlr = -0.5\n");
    let huge = write("huge.toml", "model = \"mlp:64-100000000000-10\"\n");
    let threads = write("threads.toml", "threads = 100000\n");
    for (path, needles) in [
        (&negative, &["negative.toml", "newton.lr"][..]),
        (&huge, &["huge.toml", "mlp:64-100000000000-10", "memory"]),
        (&threads, &["threads.toml", "threads"]),
    ] {
        train_refuses(r, &["--config", path.to_str().unwrap()], needles);
        let out_dir = r.join("compare-out");
        let args = [
            "compare",
            path.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ];
        let out = jetnewton(&args);
        check_failure(&args, &out, 2, needles);
        assert!(!out_dir.exists(), "{args:?} left {}", out_dir.display());
    }
}

#[test]
fn thread_counts_are_bounded_and_a_failed_pool_is_reported() {
    for args in [
        &["--threads", "100000", "grad"][..],
        &["--threads", "18446744073709551615", "train", "--quiet"],
        &["--threads", "0", "timing"],
    ] {
        check_failure(args, &jetnewton(args), 2, &["--threads", "1024"]);
    }
    // Threads whose stacks cannot be had: the pool cannot be built, and the command says so.
    let args = ["--threads", "2", "grad"];
    let out = jetnewton_env(&args, &[("RUST_MIN_STACK", "100000000000000")]);
    check_failure(&args, &out, 2, &["--threads", "worker threads"]);
}

#[test]
fn timing_and_grad_check_sizes_first() {
    for (args, needles) in [
        (
            &["timing", "--repeat", "18446744073709551615"][..],
            &["--repeat", "10000"][..],
        ),
        (
            &["timing", "--batch-size", "100000000000"],
            &["--batch-size", "memory"],
        ),
        (&["timing", "--batch-size", "0"], &["--batch-size"]),
        (
            &[
                "timing",
                "--model",
                "mlp:784-100000000000-10",
                "--repeat",
                "1",
            ],
            &["--model", "mlp:784-100000000000-10", "memory"],
        ),
        (
            &["grad", "--model", "mlp:64-10000000000-10"],
            &["--model", "mlp:64-10000000000-10", "memory"],
        ),
        (
            &["grad", "--batch-size", "100000000000"],
            &["--batch-size", "1797"],
        ),
    ] {
        check_failure(args, &jetnewton(args), 2, needles);
    }
}

/// The arguments as `&str`s, for the messages of the checks.
fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Writes a safetensors file of `(name, dtype, shape, bytes)` tensors.
fn write_tensors(path: &Path, tensors: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)>) -> PathBuf {
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, data)| (*n, TensorView::new(*d, s.clone(), data).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
    path.to_path_buf()
}

fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Weights of `mlp:3-2:tanh` (`0.weight [2, 3]`, `0.bias [2]`) with every value `fill` but `odd` at `at`.
fn weights(path: &Path, fill: f64, odd: (&str, usize, f64)) -> PathBuf {
    let tensor = |name: &str, n: usize| {
        let mut v = vec![fill; n];
        if odd.0 == name {
            v[odd.1] = odd.2;
        }
        f64_bytes(&v)
    };
    write_tensors(
        path,
        vec![
            ("0.weight", Dtype::F64, vec![2, 3], tensor("0.weight", 6)),
            ("0.bias", Dtype::F64, vec![2], tensor("0.bias", 2)),
        ],
    )
}

/// A batch of two samples for `mlp:3-2:tanh`, inputs `x` with `odd` at `at`.
fn batch(path: &Path, x: f64, odd: (usize, f64)) -> PathBuf {
    let mut xs = vec![x; 6];
    xs[odd.0] = odd.1;
    let labels: Vec<u8> = [0i64, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
    write_tensors(
        path,
        vec![
            ("x", Dtype::F64, vec![2, 3], f64_bytes(&xs)),
            ("y", Dtype::I64, vec![2], labels),
        ],
    )
}

#[test]
fn summaries_refuse_non_finite_inputs_and_results() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let good_w = weights(&r.join("good.safetensors"), 0.1, ("", 0, 0.0));
    let nan_w = weights(&r.join("nan.safetensors"), 0.1, ("0.weight", 4, f64::NAN));
    let huge_w = weights(&r.join("huge.safetensors"), 1e300, ("", 0, 0.0));
    let inf_dir = weights(
        &r.join("dir.safetensors"),
        1.0,
        ("0.bias", 1, f64::INFINITY),
    );
    let good_b = batch(&r.join("batch.safetensors"), 0.5, (0, 0.5));
    let inf_b = batch(
        &r.join("inf-batch.safetensors"),
        0.5,
        (5, f64::NEG_INFINITY),
    );
    let huge_b = batch(&r.join("huge-batch.safetensors"), 1e300, (0, 1e300));
    let p = |p: &PathBuf| p.to_str().unwrap().to_string();
    let run = |w: &PathBuf, b: &PathBuf, extra: &[&str]| {
        let mut args: Vec<String> = ["summaries", "--model", "mlp:3-2:tanh", "--weights"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend([p(w), "--batch".into(), p(b)]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        (jetnewton(&refs), args)
    };
    // The good files give finite JSON, so the refusals below are about the odd values.
    let (out, _) = run(&good_w, &good_b, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("null"));
    let (out, args) = run(&nan_w, &good_b, &[]);
    check_failure(
        &refs(&args),
        &out,
        2,
        &["--weights", "nan.safetensors", "0.weight", "NaN at index 4"],
    );
    let (out, args) = run(&good_w, &inf_b, &[]);
    check_failure(
        &refs(&args),
        &out,
        2,
        &["--batch", "inf-batch.safetensors", "`x`", "-inf at index 5"],
    );
    let dir = p(&inf_dir);
    let (out, args) = run(&good_w, &good_b, &["--direction", &dir]);
    check_failure(
        &refs(&args),
        &out,
        2,
        &["--direction", "dir.safetensors", "0.bias", "inf at index 1"],
    );
    // Finite inputs whose values overflow: no `null` in a JSON that exits 0, but a message and exit 1.
    let (out, args) = run(&huge_w, &huge_b, &[]);
    check_failure(&refs(&args), &out, 1, &["not finite"]);
    // A repeat count that cannot be allocated is refused before anything runs.
    let (out, args) = run(&good_w, &good_b, &["--repeat", "18446744073709551615"]);
    check_failure(&refs(&args), &out, 2, &["--repeat", "10000"]);
    // A model too large for memory is named before its weights are read.
    let args = [
        "summaries",
        "--model",
        "mlp:784-100000000000-10",
        "--weights",
        good_w.to_str().unwrap(),
        "--batch",
        good_b.to_str().unwrap(),
    ];
    check_failure(&args, &jetnewton(&args), 2, &["--model", "memory"]);
}
