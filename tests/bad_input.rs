//! The bad-input catalogue of `jetnewton train` (and the weights loader of `summaries`): each case exits with
//! code 2 and a message naming the file, flag or field at fault, never panics, and leaves no run directory or
//! temporary file behind.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn jetnewton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jetnewton"))
        .args(args)
        .output()
        .unwrap()
}

/// A small, fast run on the embedded digits.
const SMALL: &[&str] = &[
    "--model",
    "mlp:64-16-10:tanh",
    "--epochs",
    "1",
    "--summary-batch-size",
    "200",
    "--log",
    "quiet",
];

/// An IDX file: magic, dimensions (big-endian u32), bytes.
fn idx(magic: u32, dims: &[u32], bytes: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(bytes);
    out
}

/// A well-formed MNIST-like directory of `n` training and `n` test images; `corrupt` edits the files first.
fn mnist_dir(
    root: &Path,
    name: &str,
    n: u32,
    corrupt: impl Fn(&mut Vec<(String, Vec<u8>)>),
) -> PathBuf {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    let pixels: Vec<u8> = (0..n * 784).map(|i| (i % 251) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let mut files = Vec::new();
    for prefix in ["train", "t10k"] {
        files.push((
            format!("{prefix}-images-idx3-ubyte"),
            idx(2051, &[n, 28, 28], &pixels),
        ));
        files.push((
            format!("{prefix}-labels-idx1-ubyte"),
            idx(2049, &[n], &labels),
        ));
    }
    corrupt(&mut files);
    for (f, bytes) in files {
        fs::write(dir.join(f), bytes).unwrap();
    }
    dir
}

/// Runs `train` with `args` into a fresh run directory and checks the failure: exit code 2, `needles` named,
/// no panic, and no run directory left.
fn refuses(root: &Path, args: &[&str], needles: &[&str]) {
    let run = root.join(format!(
        "run-{}",
        args.join("_").replace(['/', ' ', '='], "-")
    ));
    let mut full = vec!["train", "--run-dir", run.to_str().unwrap()];
    full.extend_from_slice(args);
    let out = jetnewton(&full);
    check_refusal(&full, &out, needles);
    assert!(!run.exists(), "{full:?}: left {}", run.display());
}

fn check_refusal(args: &[&str], out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for needle in needles {
        assert!(
            err.contains(needle),
            "{args:?}: `{err}` does not name {needle}"
        );
    }
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

/// An edit of a data directory's files (name, bytes).
type Corruption = Box<dyn Fn(&mut Vec<(String, Vec<u8>)>)>;

#[test]
fn bad_data_files_are_named() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let missing = r.join("no-such-dir");
    refuses(
        r,
        &[
            "--dataset",
            "mnist",
            "--data-dir",
            missing.to_str().unwrap(),
        ],
        &["no-such-dir"],
    );
    let cases: Vec<(&str, Corruption, &[&str])> = vec![
        (
            "truncated",
            Box::new(|f| f[0].1.truncate(1000)),
            &["train-images-idx3-ubyte"],
        ),
        (
            "magic",
            Box::new(|f| f[0].1[3] = 0x01),
            &["train-images-idx3-ubyte", "magic"],
        ),
        (
            "label",
            Box::new(|f| *f[1].1.last_mut().unwrap() = 12),
            &["train-labels-idx1-ubyte", "12"],
        ),
        (
            "gzip",
            Box::new(|f| {
                f[0].0.push_str(".gz");
                f[0].1 = vec![0x1f, 0x8b, 8, 0, 1, 2, 3];
            }),
            &["train-images-idx3-ubyte.gz"],
        ),
        (
            "missing",
            Box::new(|f| {
                f.remove(1);
            }),
            &["train-labels-idx1-ubyte"],
        ),
    ];
    for (name, corrupt, needles) in cases {
        let dir = mnist_dir(r, name, 40, corrupt);
        let mut args = vec!["--dataset", "mnist", "--data-dir", dir.to_str().unwrap()];
        args.extend_from_slice(&[
            "--model",
            "mlp:784-8-10:tanh",
            "--batch-size",
            "10",
            "--quiet",
        ]);
        refuses(r, &args, needles);
    }
}

#[test]
fn bad_flags_and_specs_are_named() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    // SMALL's flags, with `extra` replacing any of them it repeats (clap refuses a flag given twice).
    let with = |extra: &[&'static str]| {
        let mut a: Vec<&str> = Vec::new();
        for pair in SMALL.chunks(2) {
            if !extra.contains(&pair[0]) {
                a.extend_from_slice(pair);
            }
        }
        a.extend_from_slice(extra);
        a
    };
    refuses(r, &with(&["--model", "resnet:1"]), &["resnet"]);
    refuses(r, &with(&["--model", "mlp:100-10"]), &["100"]);
    refuses(r, &with(&["--partition", "blocks-0"]), &["blocks-0"]);
    refuses(r, &with(&["--partition", "stripes"]), &["stripes"]);
    refuses(
        r,
        &with(&["--partition", "custom:w=*.weight;x=nothing*"]),
        &["nothing*"],
    );
    refuses(r, &with(&["--batch-size", "0"]), &["batch_size"]);
    refuses(
        r,
        &with(&["--batch-size", "100000"]),
        &["batch_size", "100000"],
    );
    refuses(
        r,
        &with(&["--summary-batch-size", "0"]),
        &["summary_batch_size"],
    );
    refuses(r, &with(&["--lr=-1"]), &["lr"]);
    refuses(r, &with(&["--set", "newton.nosuch=1"]), &["nosuch"]);
    refuses(r, &with(&["--set", "epochs=\"three\""]), &["epochs"]);
    let out = jetnewton(&["--threads", "0", "train", "--quiet"]);
    check_refusal(&["--threads", "0"], &out, &["threads"]);
}

#[test]
fn bad_config_files_are_named_with_the_key() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let cases = [
        (
            "unknown.toml",
            "epochs = 1\nlearning_rate = 0.1\n",
            "learning_rate",
        ),
        ("type.toml", "epochs = \"three\"\n", "epochs"),
        (
            "table.toml",
            "[newton]\nlr = 0.1\nmomentum = 0.9\n",
            "momentum",
        ),
        ("syntax.toml", "epochs = = 1\n", "line 1"),
        ("enum.toml", "optimizer = \"lbfgs\"\n", "lbfgs"),
    ];
    for (file, text, needle) in cases {
        let path = r.join(file);
        fs::write(&path, text).unwrap();
        refuses(
            r,
            &["--config", path.to_str().unwrap(), "--quiet"],
            &[file, needle],
        );
    }
    refuses(
        r,
        &["--config", r.join("absent.toml").to_str().unwrap()],
        &["absent.toml"],
    );
}

#[test]
fn bad_run_directories_and_checkpoints_are_named() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    // A run directory below a regular file cannot be created.
    let file = r.join("plain-file");
    fs::write(&file, "x").unwrap();
    let below = file.join("run");
    let mut args = vec!["train", "--run-dir", below.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    check_refusal(&args, &jetnewton(&args), &["plain-file"]);

    // Resuming what is not a run.
    let out = jetnewton(&["train", "--resume", r.to_str().unwrap(), "--quiet"]);
    check_refusal(&["--resume"], &out, &["not a run directory"]);

    // A finished run to tamper with.
    let run = r.join("run");
    let mut args = vec!["train", "--run-dir", run.to_str().unwrap(), "--no-plots"];
    args.extend_from_slice(SMALL);
    assert!(jetnewton(&args).status.success());
    let resume = |extra: &[&str]| {
        let mut a = vec![
            "train",
            "--resume",
            run.to_str().unwrap(),
            "--quiet",
            "--no-plots",
        ];
        a.extend_from_slice(extra);
        jetnewton(&a)
    };
    // Changing the configuration of a resumed run.
    check_refusal(&["--resume --lr"], &resume(&["--lr", "0.5"]), &["--lr"]);
    // Another run in the same directory.
    check_refusal(&args, &jetnewton(&args), &["already holds a run"]);

    // A checkpoint of another model: the run's config now names a different one.
    let config = run.join("config.toml");
    let original = fs::read_to_string(&config).unwrap();
    fs::write(
        &config,
        original.replace("mlp:64-16-10:tanh", "mlp:64-17-10:tanh"),
    )
    .unwrap();
    check_refusal(
        &["--resume"],
        &resume(&["--epochs", "2"]),
        &["checkpoint", "mlp:64-16-10:tanh"],
    );
    fs::write(&config, &original).unwrap();

    // A truncated checkpoint.
    let ck = run.join("checkpoint.safetensors");
    let bytes = fs::read(&ck).unwrap();
    fs::write(&ck, &bytes[..bytes.len() / 2]).unwrap();
    check_refusal(
        &["--resume"],
        &resume(&["--epochs", "2"]),
        &["checkpoint.safetensors"],
    );
    fs::write(&ck, &bytes).unwrap();
    assert!(resume(&["--epochs", "2"]).status.success());
}

/// The disk fills up while a checkpoint is written (simulated with a file-size limit: writes past it fail with
/// EFBIG, as they would with ENOSPC). The run stops with an error naming the checkpoint, the previous
/// checkpoint is intact, no temporary file is left, and resuming later continues exactly.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_while_checkpointing_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let bin = env!("CARGO_BIN_EXE_jetnewton");
    let train = |dir: &Path, epochs: &str| {
        let mut a = vec![
            "--threads",
            "2",
            "train",
            "--no-plots",
            "--run-dir",
            dir.to_str().unwrap(),
        ];
        a.extend_from_slice(&[
            "--model",
            "mlp:64-16-10:tanh",
            "--summary-batch-size",
            "200",
            "--quiet",
        ]);
        a.extend_from_slice(&["--epochs", epochs]);
        assert!(jetnewton(&a).status.success());
    };
    let reference = r.join("reference");
    train(&reference, "3");
    let run = r.join("run");
    train(&run, "1");
    let ck = run.join("checkpoint.safetensors");
    let before = fs::read(&ck).unwrap();
    // The records stay far below the limit; a checkpoint of this model (~100 KiB) does not fit.
    let limit_kib = before.len() / 1024 / 2;
    let script = format!(
        "trap '' XFSZ; ulimit -f {limit_kib}; exec {bin} train --resume {} --epochs 3 --quiet --no-plots",
        run.display()
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    check_refusal(
        &["resume under a full disk"],
        &out,
        &["checkpoint.safetensors"],
    );
    assert_eq!(
        fs::read(&ck).unwrap(),
        before,
        "the last checkpoint changed"
    );
    let stray: Vec<_> = fs::read_dir(&run)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
    let out = jetnewton(&[
        "--threads",
        "2",
        "train",
        "--resume",
        run.to_str().unwrap(),
        "--quiet",
        "--no-plots",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read(run.join("final.safetensors")).unwrap(),
        fs::read(reference.join("final.safetensors")).unwrap()
    );
}

/// A run that cannot be saved by the guard stops with exit code 1, a message, a loadable checkpoint of its last
/// good state, and `diverged` in run.json.
#[test]
fn a_diverging_run_stops_with_a_usable_checkpoint() {
    let root = tempfile::tempdir().unwrap();
    let run = root.path().join("run");
    let mut args = vec!["train", "--no-plots", "--run-dir", run.to_str().unwrap()];
    args.extend_from_slice(SMALL);
    // SGD with an absurd step: the parameters overflow f32 after a step, and halving 1e38 four times does not help.
    args.extend_from_slice(&[
        "--optimizer",
        "sgd",
        "--lr",
        "1e38",
        "--set",
        "guard.max_rejections=4",
    ]);
    let out = jetnewton(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("diverged") && err.contains("checkpoint"),
        "{err}"
    );
    let info: serde_json::Value =
        serde_json::from_slice(&fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["status"], "diverged");
    let ck =
        jetnewton::run::checkpoint::Checkpoint::<f32>::load(&run.join("checkpoint.safetensors"))
            .unwrap();
    assert!(ck
        .params
        .iter()
        .all(|(_, t)| t.data().iter().all(|v| v.is_finite())));
}

#[test]
fn bad_weights_files_are_named() {
    use safetensors::tensor::TensorView;
    use safetensors::Dtype;
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    // Weights of mlp:3-2:tanh: 0.weight [2, 3], 0.bias [2].
    let f32s = |n: usize| -> Vec<u8> {
        (0..n)
            .flat_map(|i| (i as f32 * 0.1).to_le_bytes())
            .collect()
    };
    let (w, b, extra) = (f32s(6), f32s(2), f32s(1));
    let ints: Vec<u8> = (0..6).flat_map(|i: i32| i.to_le_bytes()).collect();
    let write = |name: &str, tensors: Vec<(&str, Dtype, Vec<usize>, &[u8])>| {
        let views: Vec<(&str, TensorView<'_>)> = tensors
            .into_iter()
            .map(|(n, d, s, data)| (n, TensorView::new(d, s, data).unwrap()))
            .collect();
        let path = r.join(name);
        safetensors::serialize_to_file(views, None, &path).unwrap();
        path
    };
    let extra_file = write(
        "extra.safetensors",
        vec![
            ("0.weight", Dtype::F32, vec![2, 3], &w),
            ("0.bias", Dtype::F32, vec![2], &b),
            ("1.weight", Dtype::F32, vec![1], &extra),
        ],
    );
    let dtype_file = write(
        "dtype.safetensors",
        vec![
            ("0.weight", Dtype::I32, vec![2, 3], &ints),
            ("0.bias", Dtype::F32, vec![2], &b),
        ],
    );
    let batch = write("batch.safetensors", vec![("x", Dtype::F32, vec![2, 3], &w)]);
    let labels: Vec<u8> = [0i64, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
    let batch_bytes = {
        let views = vec![
            ("x", TensorView::new(Dtype::F32, vec![2, 3], &w).unwrap()),
            ("y", TensorView::new(Dtype::I64, vec![2], &labels).unwrap()),
        ];
        safetensors::serialize(views, None).unwrap()
    };
    fs::write(&batch, batch_bytes).unwrap();
    for (file, needles) in [
        (&extra_file, &["extra.safetensors", "1.weight"][..]),
        (&dtype_file, &["dtype.safetensors", "0.weight", "I32"][..]),
    ] {
        let args = [
            "summaries",
            "--model",
            "mlp:3-2:tanh",
            "--weights",
            file.to_str().unwrap(),
            "--batch",
            batch.to_str().unwrap(),
        ];
        let out = jetnewton(&args);
        check_refusal(&args, &out, needles);
        assert!(out.stdout.is_empty(), "partial output");
    }
}
